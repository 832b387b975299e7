import Foundation

/// Deterministic pseudo-random numbers (SplitMix64), so a failing fuzz or fault case replays.
public struct SeededRandom: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A thread-safe counter for fault injection and test doubles.
public final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    public init() {}
    public func increment() -> Int {
        lock.lock(); defer { lock.unlock() }
        value += 1
        return value
    }
}
