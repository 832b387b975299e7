import Foundation

/// A value guarded by an NSLock.
///
/// NSLock rather than `Synchronization.Mutex`: the values kept here (libmosquitto's handle,
/// continuations) are not `Sendable`, and Mutex's `sending` rules refuse storing them from the
/// library's callbacks.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
