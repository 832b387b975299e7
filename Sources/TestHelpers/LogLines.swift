import Foundation
import Logging

/// A log handler for tests: keeps every line logged through it, with its level.
public final class LogLines: LogHandler, @unchecked Sendable {
    public struct Line: Sendable {
        public var level: Logger.Level
        public var message: String
    }

    private let lock = NSLock()
    private var lines: [Line] = []
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        lock.withLock { lines.append(Line(level: event.level, message: event.message.description)) }
    }

    public var all: [Line] { lock.withLock { lines } }

    public func count(_ message: String) -> Int { all.filter { $0.message == message }.count }

    /// Lines at `level` or worse.
    public func count(atLeast level: Logger.Level) -> Int { all.filter { $0.level >= level }.count }

    public func waitUntil(timeout: Duration, _ condition: (LogLines) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(self)
    }
}
