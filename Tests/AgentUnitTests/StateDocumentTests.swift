@testable import Agent
import ExportCore
import Foundation
import Testing

@Suite("State, attributes and event documents")
struct StateDocumentTests {
    func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func idleDocumentHasEveryKeyWithNulls() throws {
        let doc = try object(CompactJSON.encode(HAStateDocument(snapshot: ProgressSnapshot(), nextRun: nil)))
        for key in ["status", "copied", "skipped", "failed", "deleted", "total", "percent_copied", "files_per_second",
                    "running", "last_run", "next_run", "guard", "error", "bytes_copied", "albums_total", "schema",
                    "immich_version", "duration_seconds"] {
            #expect(doc.keys.contains(key), "missing \(key)")
        }
        #expect(doc["status"] as? String == "idle")
        #expect(doc["error"] is NSNull)
        #expect(doc["running"] as? Bool == false)
    }

    @Test func timestampsCarryAnOffset() throws {
        var snapshot = ProgressSnapshot()
        snapshot.lastRun = Timestamp.iso8601(Date(timeIntervalSince1970: 1_767_225_600), timeZone: TimeZone(identifier: "Europe/Berlin")!)
        let next = Date(timeIntervalSince1970: 1_767_232_800)
        let doc = HAStateDocument(snapshot: snapshot, nextRun: next, timeZone: TimeZone(identifier: "Europe/Berlin")!)
        #expect(doc.lastRun == "2026-01-01T01:00:00+01:00")
        #expect(doc.nextRun == "2026-01-01T03:00:00+01:00")
        #expect(HAStateDocument(snapshot: snapshot, nextRun: next, timeZone: TimeZone(identifier: "UTC")!).nextRun
                == "2026-01-01T02:00:00+00:00")
    }

    @Test func longErrorsAreShortInStatesAndFullInAttributes() throws {
        var snapshot = ProgressSnapshot()
        snapshot.error = String(repeating: "database unreachable; ", count: 40)
        snapshot.guardReason = "found 1 of 100 files\nassets_root looks unmounted"
        snapshot.failed = 12
        // Failure has no public initializer: build it the way progress.json readers do.
        let failures = (0..<12).map { #"{"path":"a/\#($0).jpg","reason":"EIO"}"# }.joined(separator: ",")
        snapshot.failures = try JSONDecoder().decode([ProgressSnapshot.Failure].self, from: Data("[\(failures)]".utf8))
        let state = HAStateDocument(snapshot: snapshot, nextRun: nil)
        #expect(state.error!.count == HAStateDocument.stateLimit)
        #expect(state.error!.hasSuffix("…"))
        #expect(state.guardReason == "found 1 of 100 files assets_root looks unmounted")

        let attributes = try object(CompactJSON.encode(HAAttributesDocument(snapshot: snapshot)))
        let error = try #require(attributes["error"] as? [String: Any])
        #expect(error["message"] as? String == snapshot.error)
        #expect(error["failed_files"] as? Int == 12)
        #expect((error["failures"] as? [Any])?.count == 10)
        #expect((attributes["guard"] as? [String: Any])?["reason"] as? String == snapshot.guardReason)
    }

    @Test func eventPayloadsNameTheirType() throws {
        var snapshot = ProgressSnapshot()
        snapshot.copied = 3
        snapshot.total = 5
        snapshot.durationSeconds = 1.234
        let finished = Runner.Event.finished(.init(trigger: .mqtt, dryRun: false,
                                                   result: RunResult(status: .complete, error: nil, snapshot: snapshot)))
        let f = try object(CompactJSON.encode(HAEventPayload.from(finished)))
        #expect(f["event_type"] as? String == "run_finished")
        #expect(f["status"] as? String == "complete")
        #expect(f["copied"] as? Int == 3)
        #expect(f["trigger"] as? String == "mqtt")
        #expect(f["duration_seconds"] as? Double == 1.2)

        let refused = try object(CompactJSON.encode(HAEventPayload.from(.refused(trigger: .schedule, dryRun: false, reason: "busy"))))
        #expect(refused["event_type"] as? String == "run_refused")
        #expect(refused["reason"] as? String == "busy")
        #expect(HAEventType.allCases.map(\.rawValue).contains(refused["event_type"] as! String))
    }

    @Test func restoredSnapshotIsNeverRunning() {
        var previous = ProgressSnapshot()
        previous.status = .running
        previous.running = true
        previous.copied = 7
        previous.lastRun = "2026-01-01T00:00:00+00:00"
        previous.currentFile = "x.jpg"
        let restored = AgentService.restored(previous)
        #expect(!restored.running)
        #expect(restored.status == .failed)
        #expect(restored.copied == 7)
        #expect(restored.lastRun == previous.lastRun)
        #expect(restored.currentFile == nil)
        #expect(AgentService.restored(nil) == ProgressSnapshot())
        var done = ProgressSnapshot()
        done.status = .complete
        #expect(AgentService.restored(done).status == .complete)
    }

    @Test func aMissingSettingShowsFromTheStartAndIsForgottenOnceSet() {
        let problem = ExportConfig.databaseNotSet(addon: true)
        var done = ProgressSnapshot()
        done.status = .complete
        done.lastRun = "2026-01-01T00:00:00+00:00"
        let unset = AgentService.starting(from: done, setupProblem: problem)
        #expect(unset.error == problem)
        #expect(unset.status == .complete && unset.lastRun == done.lastRun)
        #expect(AgentService.starting(from: nil, setupProblem: problem).error == problem)

        // A run that failed for it, then the setting was made: the stale message goes.
        var failed = ProgressSnapshot()
        failed.status = .failed
        failed.error = problem
        let set = AgentService.starting(from: failed, setupProblem: nil)
        #expect(set.error == nil && set.status == .idle)
        // Any other failure stays on record.
        failed.error = "the export disk is full"
        #expect(AgentService.starting(from: failed, setupProblem: nil) == AgentService.restored(failed))
    }
}
