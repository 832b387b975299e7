import Foundation
import Synchronization

/// Test seam for fault injection at the copier's write step (e.g. ENOSPC on the n-th file).
/// Faults are registered per export folder, so tests running in parallel never see each
/// other's faults. Empty in production: one lock and an empty-dictionary check per file.
public enum WriteFaults {
    public typealias Fault = @Sendable (_ target: String) -> Int32?

    private struct Registry {
        var faults: [String: Fault] = [:]
        var batchSizes: [String: Int] = [:]
    }

    private static let registry = Mutex(Registry())

    /// Faults for files written under `prefix` (an export_dir).
    public static func register(under prefix: String, _ fault: @escaping Fault) {
        registry.withLock { $0.faults[key(prefix)] = fault }
    }

    public static func remove(under prefix: String) {
        registry.withLock {
            $0.faults[key(prefix)] = nil
            $0.batchSizes[key(prefix)] = nil
        }
    }

    /// Copies written under `prefix` are named in batches of exactly `files` (never earlier by
    /// age), so a test can hold a run at a known file with a known number already named.
    public static func batchByCount(_ files: Int, under prefix: String) {
        registry.withLock { $0.batchSizes[key(prefix)] = files }
    }

    /// Registrations are by folder, so "…/export" never matches "…/export-2".
    private static func key(_ prefix: String) -> String { prefix.hasSuffix("/") ? prefix : prefix + "/" }

    /// The batch size a test set for `target`'s export folder, or nil.
    static func batchSize(for target: String) -> Int? {
        registry.withLock { $0.batchSizes.isEmpty ? nil : $0.batchSizes.first { target.hasPrefix($0.key) }?.value }
    }

    /// The same seam for a test that drives the CLI in another process: every copy waits this
    /// many milliseconds first, so a run lasts long enough to be signalled mid-way on any disk.
    /// Unset (production): nothing.
    static let delayMilliseconds: UInt32? = getenv("IMMICH_EXPORT_TEST_WRITE_DELAY_MS").flatMap { UInt32(String(cString: $0)) }

    /// The errno to fail `target` with, or nil.
    static func check(_ target: String) -> Int32? {
        if let delayMilliseconds { usleep(delayMilliseconds * 1000) }
        let matching = registry.withLock { $0.faults.isEmpty ? nil : $0.faults.first { target.hasPrefix($0.key) }?.value }
        return matching?(target)
    }
}
