@testable import ExportCore
import Foundation
import Synchronization
import Testing

@Suite("Lanes for blocking directory updates")
struct LanesTests {
    @Test("lane counts: one lane for a few updates, up to four for many")
    func counts() {
        #expect(Lanes.updateCount(for: 0) == 1)
        #expect(Lanes.updateCount(for: 15) == 1)
        #expect(Lanes.updateCount(for: 16) == 2)
        #expect(Lanes.updateCount(for: 35) == 4)
        #expect(Lanes.updateCount(for: 100_000) == 4)
    }

    @Test("collect returns what each lane made, in lane order", arguments: [1, 2, 4])
    func collectInLaneOrder(lanes: Int) {
        let parts = Lanes.collect(lanes) { lane in Array(Lanes.share(lane, of: lanes, 10)) }
        #expect(parts.count == lanes)
        #expect(parts.flatMap { $0 } == Array(0..<10))
    }

    @Test("map keeps the order, runs each item once, in at most the lanes asked for", arguments: [1, 2, 4])
    func mapInLanes(lanes: Int) {
        let running = Atomic<Int>(0)
        let mostAtOnce = Atomic<Int>(0)
        let calls = Atomic<Int>(0)
        let items = Array(0..<64)
        let result = Lanes.map(items, lanes: lanes) { item -> String in
            calls.add(1, ordering: .relaxed)
            let now = running.add(1, ordering: .relaxed).newValue
            mostAtOnce.max(now, ordering: .relaxed)
            usleep(2_000)   // a directory update that waits on the filesystem
            running.subtract(1, ordering: .relaxed)
            return "item \(item)"
        }
        #expect(result == items.map { "item \($0)" })
        #expect(calls.load(ordering: .relaxed) == items.count)
        // Lanes run on Dispatch's pool: side by side when it has threads free, never more than asked.
        #expect((1...lanes).contains(mostAtOnce.load(ordering: .relaxed)))
    }
}
