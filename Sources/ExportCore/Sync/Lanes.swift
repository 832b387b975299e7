import Foundation

/// Blocking work spread over two threads when there is enough of it. What the export spreads is
/// kernel work per item (a path lookup, a directory update), and two of those run side by side.
enum Lanes {
    /// Two lanes from `minimum` items on, else one.
    static func count(for items: Int, from minimum: Int) -> Int { items >= minimum ? 2 : 1 }

    /// Lane `lane`'s share of `0..<items` when `lanes` lanes split them: disjoint, together all.
    static func share(_ lane: Int, of lanes: Int, _ items: Int) -> Range<Int> {
        (items * lane / lanes)..<(items * (lane + 1) / lanes)
    }

    /// Runs `body` for each lane, side by side; a single lane runs on the calling thread.
    static func run(_ lanes: Int, _ body: @Sendable (Int) -> Void) {
        if lanes == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: lanes, execute: body) }
    }
}
