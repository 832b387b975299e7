import Foundation

/// Drains an AsyncStream into a list that tests can poll with a deadline.
///
/// A single long-lived consumer, because cancelling a task that awaits an AsyncStream
/// ends the stream, so racing `next()` against a timeout is not an option.
final class Recorder<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []
    private var task: Task<Void, Never>?

    init(_ stream: AsyncStream<Element>) {
        task = Task { [weak self] in
            for await item in stream {
                guard let self else { return }
                self.lock.withLock { self.items.append(item) }
            }
        }
    }

    deinit { task?.cancel() }

    var all: [Element] { lock.withLock { items } }

    /// Polls until `predicate` holds for the items so far; false on timeout.
    @discardableResult
    func waitUntil(timeout: Duration = .seconds(5), _ predicate: ([Element]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if predicate(all) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return predicate(all)
    }
}

extension Recorder where Element: Equatable {
    func count(of element: Element) -> Int {
        all.filter { $0 == element }.count
    }

    /// Waits until `element` has been seen at least `times` times.
    func waitFor(_ element: Element, times: Int = 1, timeout: Duration = .seconds(5)) async -> Bool {
        await waitUntil(timeout: timeout) { $0.filter { $0 == element }.count >= times }
    }
}
