import Foundation
import Synchronization

/// Blocking work spread over threads when there is enough of it. What the export spreads is
/// kernel work per item (a path lookup, a directory update), and those run side by side.
enum Lanes {
    /// Two lanes from `minimum` items on, else one.
    static func count(for items: Int, from minimum: Int) -> Int { items >= minimum ? 2 : 1 }

    /// Lane `lane`'s share of `0..<items` when `lanes` lanes split them: disjoint, together all.
    static func share(_ lane: Int, of lanes: Int, _ items: Int) -> Range<Int> {
        (items * lane / lanes)..<(items * (lane + 1) / lanes)
    }

    /// Runs `body` for each lane, side by side (a single lane runs on the calling thread), and
    /// returns what each lane made, in lane order.
    static func collect<Output: Sendable>(_ lanes: Int, _ body: @Sendable (Int) -> Output) -> [Output] {
        guard lanes > 1 else { return [body(0)] }
        let results = LaneResults<Output>(lanes: lanes)
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in results.store(body(lane), lane: lane) }
        return results.take()
    }

    /// Lanes for directory updates (renames over old files, deletes): one per `minimum` items, from
    /// two lanes at twice `minimum` up to four. Such an update waits on the filesystem's locks and
    /// journal about as long as it computes, so on two CPUs four lanes still gain
    /// (docs/benchmarks.md, "Scanning").
    static func updateCount(for items: Int, from minimum: Int = 8) -> Int {
        items >= 2 * minimum ? min(4, items / minimum) : 1
    }

    /// `transform` of every item, in order, computed in `lanes` lanes (`collect`).
    static func map<Item: Sendable, Output: Sendable>(_ items: [Item], lanes: Int,
                                                      _ transform: @Sendable (Item) -> Output) -> [Output] {
        guard lanes > 1 else { return items.map(transform) }
        return collect(lanes) { lane in share(lane, of: lanes, items.count).map { transform(items[$0]) } }.flatMap { $0 }
    }
}

/// What each lane made, until every lane is done: each lane stores its own result, once.
private final class LaneResults<Output: Sendable>: Sendable {
    private let slots: Mutex<[Output?]>
    init(lanes: Int) { slots = Mutex(Array(repeating: nil, count: lanes)) }
    func store(_ result: Output, lane: Int) { slots.withLock { $0[lane] = result } }
    /// Every lane's result in lane order, once all lanes have stored theirs.
    func take() -> [Output] { slots.withLock { $0.map { $0! } } }
}
