@testable import Agent
import ExportCore
import Foundation
import MQTT
import Testing
import TestSupport

/// The agent in-process against a real mosquitto and a real PostgreSQL fixture; commands go in
/// through `mosquitto_pub`, and an independent client watches what Home Assistant would see.
@Suite("Agent over MQTT", .serialized)
struct AgentMQTTTests {
    let topics = HATopics()

    /// Publishes `payload` until the agent reacts: its subscription may not be active yet when
    /// the first one goes out.
    func press(_ broker: MosquittoBroker, _ payload: String, until reacted: @escaping () async -> Bool) async throws -> Bool {
        for _ in 0..<20 {
            try await broker.publish(topics.command, payload)
            for _ in 0..<25 {
                if await reacted() { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        return false
    }

    @Test func announcesEveryEntityAndGoesOnline() async throws {
        try await withAgent(Libraries.small()) { broker, _, _, observer in
            let configTopics = Set(HADiscovery.messages(topics: topics).map(\.topic))
            #expect(await observer.waitUntil { m in configTopics.isSubset(of: Set(m.map(\.topic))) })
            #expect(await observer.waitUntil { _ in observer.last(on: topics.availability)?.payloadString == "online" })
            for message in observer.all where configTopics.contains(message.topic) {
                #expect(message.qos == 1)
                let object = try JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any]
                #expect(object?["unique_id"] != nil)
            }
            // Retained: a late subscriber (HA starting after us) sees config, state and availability.
            #expect(try await broker.subscribeOnce("homeassistant/sensor/immich_backup/copied/config") != nil)
            #expect(try await broker.subscribeOnce(topics.availability) == "online")
            let state = try #require(try await broker.subscribeOnce(topics.state))
            let doc = try JSONSerialization.jsonObject(with: Data(state.utf8)) as? [String: Any]
            #expect(doc?["status"] as? String == "idle")
            #expect(doc?["next_run"] is NSNull)
        }
    }

    @Test func runNowExportsAndPublishesComplete() async throws {
        try await withAgent(Libraries.small()) { broker, sandbox, agent, observer in
            let reacted = try await press(broker, "run") { observer.json(on: topics.state).contains { $0["running"] as? Bool == true } || sandbox.exportedTree().count > 0 }
            #expect(reacted)
            let done = await observer.waitForState(topics.state) { $0["status"] as? String == "complete" }
            #expect(done?["copied"] as? Int == 6)
            #expect(done?["total"] as? Int == 6)
            #expect(done?["running"] as? Bool == false)
            #expect(done?["percent_copied"] as? Double == 100)
            #expect(done?["schema"] as? String == SchemaGeneration.d.rawValue)
            #expect((done?["last_run"] as? String)?.contains("T") == true)
            #expect(sandbox.exportedTree().count == 6)
            #expect(await observer.waitUntil { _ in
                observer.json(on: topics.event).contains { $0["event_type"] as? String == "run_finished" && $0["status"] as? String == "complete" }
            })
            // States are retained for a Home Assistant that starts later; events are not (no replay).
            #expect(try await broker.subscribeOnce(topics.state)?.contains(#""status":"complete""#) == true)
            #expect(try await broker.subscribeOnce(topics.event, timeout: 1) == nil)
            // progress.json is kept alongside.
            #expect(ProgressFileSink(exportDir: sandbox.exportDir, logger: .init(label: "t")).read()?.status == .complete)
            _ = agent
        }
    }

    @Test func dryRunButtonCopiesNothing() async throws {
        try await withAgent(Libraries.small()) { broker, sandbox, _, observer in
            let reacted = try await press(broker, #"{"action":"run","dry_run":true}"#) { observer.json(on: topics.event).contains { $0["event_type"] as? String == "run_started" } }
            #expect(reacted)
            let done = await observer.waitForState(topics.state) { $0["status"] as? String == "dry_run" }
            #expect(done != nil)
            #expect(done?["dry_run"] as? Bool == true)
            #expect(sandbox.exportedTree().isEmpty)
        }
    }

    /// Run now on a large library, a second request is refused (event), Cancel ends it `cancelled`.
    @Test func secondRequestIsRefusedAndCancelStopsTheRun() async throws {
        try await withAgent(Libraries.large(), copyConcurrency: 1, slowCopies: true) { broker, sandbox, agent, observer in
            let startedAt = ContinuousClock.now
            let reacted = try await press(broker, "run") { await agent.runner.isRunning }
            #expect(reacted)
            #expect(await observer.waitForState(topics.state) { ($0["copied"] as? Int ?? 0) > 0 && $0["running"] as? Bool == true } != nil)

            try await broker.publish(topics.command, "dry_run")
            #expect(await observer.waitUntil { _ in
                observer.json(on: topics.event).contains { $0["event_type"] as? String == "run_refused" && ($0["reason"] as? String)?.contains("still active") == true }
            })

            // Throttled: about one state per second while running, plus the milestones.
            let runningStates = observer.json(on: topics.state).filter { $0["running"] as? Bool == true }
            let elapsed = ContinuousClock.now - startedAt
            #expect(Double(runningStates.count) <= elapsed / .seconds(1) + 8, "\(runningStates.count) states in \(elapsed)")

            let cancelAt = ContinuousClock.now
            try await broker.publish(topics.command, "cancel")
            let done = await observer.waitForState(topics.state) { $0["running"] as? Bool == false && $0["status"] as? String != "idle" }
            #expect(ContinuousClock.now - cancelAt < .seconds(3))
            #expect(done?["status"] as? String == "cancelled")
            let copied = try #require(done?["copied"] as? Int)
            #expect(copied < 2500, "the run ended before the cancel arrived; make the library larger")
            #expect((done?["guard"] as? String)?.contains("cancelled") == true)
            #expect(await observer.waitUntil { _ in
                observer.json(on: topics.event).contains { $0["event_type"] as? String == "run_finished" && $0["status"] as? String == "cancelled" }
            })
            #expect(sandbox.exportedTree().count == copied)
        }
    }

    @Test func malformedCommandsAreIgnored() async throws {
        try await withAgent(Libraries.small()) { broker, sandbox, agent, observer in
            #expect(await observer.waitUntil { _ in observer.last(on: topics.availability)?.payloadString == "online" })
            for payload in ["PRESS", "{", #"{"action":"explode"}"#, #"{"action":"run","dry_run":"maybe"}"#, "\u{00}\u{01}"] {
                try await broker.publish(topics.command, payload)
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(await !agent.runner.isRunning)
            #expect(sandbox.exportedTree().isEmpty)
            // Still alive and listening.
            let reacted = try await press(broker, "run") { observer.json(on: topics.state).contains { $0["status"] as? String == "complete" } }
            #expect(reacted)
        }
    }

    @Test func homeAssistantBirthRepublishesDiscoveryAndState() async throws {
        try await withAgent(Libraries.small()) { broker, _, _, observer in
            let copiedConfig = "homeassistant/sensor/immich_backup/copied/config"
            #expect(await observer.waitUntil { _ in !observer.messages(on: copiedConfig).isEmpty })
            // Wipe the retained config, as if HA lost it; then HA comes online.
            try await broker.publish(copiedConfig, "", retain: true)
            #expect(await observer.waitUntil { _ in observer.last(on: copiedConfig)?.payload.isEmpty == true })
            let statesBefore = observer.messages(on: topics.state).count
            try await broker.publish("homeassistant/status", "online")
            #expect(await observer.waitUntil { _ in observer.last(on: copiedConfig)?.payload.isEmpty == false })
            #expect(await observer.waitUntil { _ in observer.messages(on: topics.state).count > statesBefore })
            #expect(try await broker.subscribeOnce(copiedConfig)?.contains("immich_backup_copied") == true)
        }
    }

    /// The broker dies mid-run and comes back empty (no persistence): the agent reconnects and
    /// publishes availability, discovery and the current state again; the run is unaffected.
    @Test func brokerRestartMidRunIsSurvived() async throws {
        try await withAgent(Libraries.large(files: 1500), copyConcurrency: 1, slowCopies: true) { broker, sandbox, agent, observer in
            let reacted = try await press(broker, "run") { await agent.runner.isRunning }
            #expect(reacted)
            await broker.stop()
            try await Task.sleep(for: .milliseconds(300))
            observer.clear()
            try await broker.start()

            #expect(await observer.waitUntil(timeout: .seconds(15)) { _ in observer.last(on: topics.availability)?.payloadString == "online" })
            #expect(await observer.waitUntil { _ in !observer.messages(on: "homeassistant/sensor/immich_backup/status/config").isEmpty })
            let done = await observer.waitForState(topics.state, timeout: .seconds(20)) { $0["status"] as? String == "complete" }
            #expect(done?["copied"] as? Int == 1500)
            #expect(sandbox.exportedTree().count == 1500)
            // Retained on the new broker, for Home Assistant to read.
            let state = try #require(try await broker.subscribeOnce(topics.state))
            #expect(state.contains(#""status":"complete""#))
        }
    }

    /// SIGTERM's path: the active run is cancelled (no cleanup), `offline` goes out, the agent returns.
    @Test func shutdownDuringARunCancelsItAndGoesOffline() async throws {
        try await withBroker { broker in
            let sandbox = try await ExportSandbox(generation: .d, fixture: Libraries.large(files: 1500))
            slowDownCopies(in: sandbox)
            defer { WriteFaults.remove(under: sandbox.exportDir) }
            let observer = try await Observer(broker)
            let agent = try RunningAgent(config: sandbox.agentConfig(broker, copyConcurrency: 1))
            #expect(await observer.waitUntil { _ in observer.last(on: topics.availability)?.payloadString == "online" })
            #expect(await agent.runner.start(dryRun: false, trigger: .web) == .started)
            #expect(await observer.waitForState(topics.state) { ($0["copied"] as? Int ?? 0) > 0 } != nil)
            let stopAt = ContinuousClock.now
            try await agent.stop()
            #expect(ContinuousClock.now - stopAt < .seconds(3))
            #expect(agent.service.tracker.snapshot().status == .cancelled)
            #expect(ProgressFileSink(exportDir: sandbox.exportDir, logger: .init(label: "t")).read()?.status == .cancelled)
            #expect(await observer.waitUntil { _ in observer.last(on: topics.availability)?.payloadString == "offline" })
            #expect(observer.json(on: topics.state).last?["status"] as? String == "cancelled")
            #expect(sandbox.exportedTree().count < 1500)
            await observer.stop()
            await sandbox.tearDown()
        }
    }

    /// Inside the add-on without mqtt_host: the broker comes from the Supervisor's services API.
    @Test func brokerFromTheSupervisor() async throws {
        try await withBroker { broker in
            let supervisor = try OneShotHTTPServer(response: """
                {"result":"ok","data":{"host":"\(broker.host)","port":"\(broker.port)","ssl":false,"protocol":"3.1.1","addon":"core_mosquitto"}}
                """)
            let sandbox = try await ExportSandbox(generation: .d, fixture: Libraries.small())
            let observer = try await Observer(broker)
            let agent = try RunningAgent(config: sandbox.agentConfig(nil), environment: ["SUPERVISOR_TOKEN": "addon-token"],
                                         supervisorURL: URL(string: "http://127.0.0.1:\(supervisor.port)")!)
            #expect(await observer.waitUntil { _ in observer.last(on: topics.availability)?.payloadString == "online" })
            #expect(await supervisor.request().lowercased().contains("authorization: bearer addon-token"))
            try await agent.stop()
            await observer.stop()
            await sandbox.tearDown()
        }
    }

    @Test func agentRunsWithoutBrokerAndSchedulesStillWork() async throws {
        // A broker that is not started: MQTT keeps retrying, the runner still exports.
        try await withBroker(started: false) { broker in
            let sandbox = try await ExportSandbox(generation: .d, fixture: Libraries.small())
            let agent = try RunningAgent(config: sandbox.agentConfig(broker))
            #expect(await agent.runner.start(dryRun: false, trigger: .web) == .started)
            await agent.runner.waitUntilIdle()
            #expect(sandbox.exportedTree().count == 6)
            #expect(agent.service.tracker.snapshot().status == .complete)
            try await agent.stop()
            await sandbox.tearDown()
        }
    }

    @Test func standaloneWithoutBrokerRunsWithMQTTOff() async throws {
        let sandbox = try await ExportSandbox(generation: .d, fixture: Libraries.small())
        let agent = try RunningAgent(config: sandbox.agentConfig(nil))
        #expect(await agent.runner.start(dryRun: true, trigger: .web) == .started)
        await agent.runner.waitUntilIdle()
        #expect(agent.service.tracker.snapshot().status == .dryRun)
        try await agent.stop()
        await sandbox.tearDown()
    }
}
