// What the unit tests use as well (seeded random numbers, counters, temp folders) lives in
// TestHelpers, which starts nothing; everything that imports TestSupport sees it too.
@_exported import TestHelpers
