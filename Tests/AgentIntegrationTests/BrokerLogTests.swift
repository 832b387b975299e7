@testable import Agent
import ExportCore
import Foundation
import Logging
import Testing
import TestSupport

/// Every broker event is logged once, by the agent, at its level: the MQTT client reports events
/// and logs none of them itself. Real mosquitto, killed and started again.
@Suite("Broker events in the log", .serialized)
struct BrokerLogTests {
    @Test func eachBrokerEventIsOneLineAtItsLevel() async throws {
        try await withBroker { broker in
            let sandbox = try await ExportSandbox(generation: .d, fixture: Libraries.small())
            let lines = LogLines()
            var logger = Logger(label: "agent-test") { _ in lines }
            logger.logLevel = .debug
            let (config, settings) = sandbox.agentConfig(broker)
            let agent = try AgentService(config: config, settings: settings, logger: logger, environment: [:],
                                         supervisorURL: URL(string: "http://127.0.0.1:9")!, birthDelay: 0.05...0.2)
            let task = Task { try await agent.runUntilSignalled(handleSignals: false) }
            let connected = "connected to MQTT broker; announcing entities"
            // Bounds, not timings: on a loaded two-core machine the agent can take seconds to start.
            #expect(await lines.waitUntil(timeout: .seconds(30)) { $0.count(connected) == 1 })
            await broker.stop()
            #expect(await lines.waitUntil(timeout: .seconds(30)) { $0.count("lost the MQTT broker connection; reconnecting") == 1 })
            try await Task.sleep(for: .milliseconds(300))
            try await broker.start()
            #expect(await lines.waitUntil(timeout: .seconds(60)) { $0.count(connected) == 2 })
            await agent.requestShutdown()
            try await task.value

            let events = lines.all.filter { $0.message.lowercased().contains("mqtt broker") || $0.message.contains("MQTT connect") }
            let byMessage = Dictionary(grouping: events, by: \.message)
            #expect(byMessage["connecting to MQTT broker"]?.map(\.level) == [.info])
            #expect(byMessage[connected]?.map(\.level) == [.info, .info])
            #expect(byMessage["lost the MQTT broker connection; reconnecting"]?.map(\.level) == [.warning])
            #expect(byMessage["disconnected from MQTT broker"]?.map(\.level) == [.debug])
            // While the broker was down: the first refusal is a warning, the retries after it debug.
            let failed = byMessage["cannot connect to MQTT broker; exports continue, retrying in the background"] ?? []
            #expect(failed.map(\.level) == [.warning] || failed.isEmpty)
            #expect((byMessage["MQTT connect retry failed"] ?? []).allSatisfy { $0.level == .debug })
            let known: Set = ["connecting to MQTT broker", connected, "lost the MQTT broker connection; reconnecting",
                              "disconnected from MQTT broker", "cannot connect to MQTT broker; exports continue, retrying in the background",
                              "MQTT connect retry failed"]
            #expect(Set(byMessage.keys).subtracting(known).isEmpty, "\(byMessage.keys.sorted())")
            await sandbox.tearDown()
        }
    }
}
