import Dispatch
import Synchronization

/// Lets a trigger (CLI signal, MQTT button, web page) stop a run at the next file boundary.
public final class RunControl: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// Runs blocking file-system work off Swift's cooperative pool, so a slow NFS/SMB share never
/// starves the MQTT client or the web server.
enum BlockingIO {
    /// Scanning: listing folders, stat'ing sources, planning (long jobs, a few at a time).
    private static let queue = DispatchQueue(label: "immich-export.io", qos: .utility, attributes: .concurrent)
    /// Writing: copies and their syncs. Short jobs the run waits on; on a pool of their own, so
    /// they never queue behind scanning jobs (which took the pool's threads for tens of ms).
    private static let writes = DispatchQueue(label: "immich-export.write", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await on(queue, body)
    }

    /// `run` for writes (see `writes`).
    static func write<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await on(writes, body)
    }

    private static func on<T: Sendable>(_ queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// How a run ended.
public struct RunResult: Sendable {
    public var status: ProgressSnapshot.Status
    public var error: String?
    public var snapshot: ProgressSnapshot

    public init(status: ProgressSnapshot.Status, error: String? = nil, snapshot: ProgressSnapshot) {
        self.status = status
        self.error = error
        self.snapshot = snapshot
    }
}
