import Foundation
import Synchronization

/// Fans values out to any number of AsyncStream subscribers (MQTT, web page, tests).
/// A subscriber that stops iterating is dropped; `finish()` ends every stream.
final class Broadcast<Element: Sendable>: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<Element>.Continuation]>([:])

    func subscribe() -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream.makeStream(of: Element.self, bufferingPolicy: .bufferingNewest(64))
        let id = UUID()
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    func yield(_ element: Element) {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(element) }
    }

    func finish() {
        let all = subscribers.withLock { s in
            defer { s = [:] }
            return Array(s.values)
        }
        all.forEach { $0.finish() }
    }
}
