import Logging
import Testing
@testable import MQTT

/// The client without a broker: configuration checks, lifecycle errors before any connection,
/// payload text. (Everything that talks to a broker is in MQTTIntegrationTests.)
@Suite struct MQTTClientWithoutBrokerTests {
    let logger = Logger(label: "mqtt-tests")

    @Test func lifecycleErrors() async throws {
        let configuration = MQTTConfiguration(host: "127.0.0.1", port: 1, clientID: "lifecycle")
        let client = try MQTTClient(configuration: configuration, logger: logger)
        #expect(throws: MQTTError.notConnected(endpoint: "127.0.0.1:1")) {
            try client.publish(MQTTMessage(topic: "a", string: "b"))
        }
        await client.stop()
        await client.stop()
        #expect(throws: MQTTError.stopped) { try client.start() }
        // Streams end after stop, so consumers do not hang.
        for await _ in client.messages {}
        for await _ in client.connectionEvents {}
    }

    @Test func unreadableCAFileFailsStart() async throws {
        let configuration = MQTTConfiguration(
            host: "127.0.0.1", port: 8883, clientID: "tls", tls: true, caFile: "/nonexistent/ca.pem")
        let client = try MQTTClient(configuration: configuration, logger: logger)
        #expect(throws: MQTTError.tls(endpoint: "127.0.0.1:8883", reason: "CA file /nonexistent/ca.pem is not readable")) {
            try client.start()
        }
        await client.stop()
    }

    @Test func invalidConfigurationIsRejectedWithAClearMessage() {
        var configuration = MQTTConfiguration(host: "broker", clientID: "c", keepAlive: 2)
        #expect(throws: MQTTError.invalidConfiguration("mqtt keepalive 2 must be 5...65535 seconds")) {
            _ = try MQTTClient(configuration: configuration, logger: logger)
        }
        configuration.keepAlive = 30
        configuration.password = "pw"
        #expect(throws: MQTTError.self) { _ = try MQTTClient(configuration: configuration, logger: logger) }
    }

    @Test func configurationNeverPrintsThePassword() {
        let configuration = MQTTConfiguration(host: "broker", clientID: "c", username: "u", password: "hunter2")
        #expect(!"\(configuration)".contains("hunter2"))
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }

    @Test func messagePayloadString() {
        #expect(MQTTMessage(topic: "t", string: "ä").payloadString == "ä")
        #expect(MQTTMessage(topic: "t", payload: [0xFF, 0xFE]).payloadString == nil)
    }
}
