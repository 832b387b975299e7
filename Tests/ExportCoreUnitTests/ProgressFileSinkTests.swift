import ExportCore
import Foundation
import Logging
import Testing
import TestHelpers

@Suite("progress.json writer")
struct ProgressFileSinkTests {
    @Test("writers of one progress sink take turns: every progress.json read is whole and no write fails")
    func sinkWritersDoNotInterleave() async throws {
        let dir = try TempDirectory.make("progress-writers")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A writer whose temp file another writer renamed away (or truncated under it) fails and
        // says so: with one writer at a time there is nothing to say.
        let warnings = LogLines()
        let sink = ProgressFileSink(exportDir: dir, logger: Logger(label: "t") { _ in warnings })
        // Large documents, so a write takes long enough for another to start in the middle of it.
        func document(_ writer: Int) -> ProgressSnapshot {
            var snapshot = ProgressSnapshot()
            snapshot.runID = "writer-\(writer)"
            snapshot.error = String(repeating: Character(UnicodeScalar(UInt8(97 + writer))), count: 400_000)
            return snapshot
        }
        let documents = (0..<6).map(document)
        let path = dir + "/progress.json"
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<6 {
                group.addTask { for _ in 0..<15 { sink.write(documents[writer]) } }
            }
            group.addTask {
                for _ in 0..<200 {
                    if let data = FileManager.default.contents(atPath: path) {
                        let read = try? JSONDecoder().decode(ProgressSnapshot.self, from: data)
                        #expect(read.map { documents.contains($0) } == true, "a mixed or partial progress.json")
                    }
                    try? await Task.sleep(for: .milliseconds(1))
                }
            }
        }
        let last = try JSONDecoder().decode(ProgressSnapshot.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(documents.contains(last))
        #expect(warnings.count(atLeast: .warning) == 0)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    @Test("a progress sink waiting out its interval stops at once when cancelled, writing nothing more")
    func sinkStopsWhenCancelled() async throws {
        let dir = try TempDirectory.make("progress-sink")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tracker = ProgressTracker()
        let sink = ProgressFileSink(exportDir: dir, interval: .seconds(30), logger: .init(label: "t"))
        let task = Task { await sink.run(tracker) }
        let path = dir + "/progress.json"
        // The milestone is written at once; the tick after it waits out the 30 s interval.
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: path) {
            tracker.emit(.started(runID: "r", dryRun: false, at: Date()))
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(FileManager.default.fileExists(atPath: path))
        tracker.emit(.albumStarted(albumID: "a"))
        try await Task.sleep(for: .milliseconds(100))
        try FileManager.default.removeItem(atPath: path)
        let cancelled = ContinuousClock.now
        task.cancel()
        await task.value
        #expect(ContinuousClock.now - cancelled < .seconds(10))
        // The owner writes the last document itself (as `run` does), so the sink does not.
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("milestones within half an interval wait for it, but the end of a run is written at once")
    func endOfRunAtOnce() async throws {
        let dir = try TempDirectory.make("progress-sink-end")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tracker = ProgressTracker()
        let sink = ProgressFileSink(exportDir: dir, interval: .seconds(30), logger: .init(label: "t"))
        let task = Task { await sink.run(tracker) }
        defer { task.cancel() }
        for _ in 0..<500 where sink.read()?.running != true {
            tracker.emit(.started(runID: "r", dryRun: false, at: Date()))
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(sink.read()?.running == true)
        // A phase change waits out its 15 s gap; the end does not.
        tracker.emit(.phase(.copying))
        try await Task.sleep(for: .milliseconds(200))
        #expect(sink.read()?.phase != .copying)
        tracker.emit(.finished(status: .complete, error: nil, at: Date()))
        for _ in 0..<500 where sink.read()?.status != .complete { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sink.read()?.status == .complete)
    }
}
