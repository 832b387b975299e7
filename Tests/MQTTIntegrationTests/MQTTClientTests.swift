import Foundation
import Logging
import Testing
import TestSupport
@testable import MQTT

/// Each test runs its own real mosquitto on 127.0.0.1 (see MosquittoBroker) and uses
/// mosquitto_sub / mosquitto_pub as the independent peer.
@Suite struct MQTTClientTests {
    let logger = Logger(label: "mqtt-tests")

    private func makeClient(
        _ broker: MosquittoBroker, id: String = #function,
        username: String? = nil, password: String? = nil, will: MQTTMessage? = nil
    ) throws -> MQTTClient {
        let configuration = MQTTConfiguration(
            host: broker.host, port: broker.port, clientID: "test-\(id.prefix(while: { $0 != "(" }))-\(UUID().uuidString.prefix(6))",
            username: username, password: password, keepAlive: 5, will: will,
            reconnectDelayMin: 1, reconnectDelayMax: 1)
        return try MQTTClient(configuration: configuration, logger: logger)
    }

    /// A started client whose will is a retained "offline" on `willTopic`, once it has connected.
    private func connectedClientWithWill(
        _ broker: MosquittoBroker, willTopic: String, id: String = #function
    ) async throws -> (MQTTClient, Recorder<MQTTConnectionEvent>) {
        let will = MQTTMessage(topic: willTopic, string: "offline", qos: 1, retain: true)
        let client = try makeClient(broker, id: id, will: will)
        let events = Recorder(client.connectionEvents)
        try client.start()
        #expect(await events.waitFor(.connected))
        return (client, events)
    }

    /// Publishes via mosquitto_pub until the client has received the message: a SUBSCRIBE
    /// sent by the client may not be processed by the broker yet when the first one goes out.
    private func publishUntilReceived(
        _ broker: MosquittoBroker, _ messages: Recorder<MQTTMessage>, topic: String, text: String
    ) async throws -> Bool {
        for _ in 0..<25 {
            try await broker.publish(topic, text)
            if await messages.waitUntil(timeout: .milliseconds(200), { $0.contains { $0.topic == topic && $0.payloadString == text } }) {
                return true
            }
        }
        return false
    }

    @Test func publishedRetainedMessageIsSeenByMosquittoSub() async throws {
        try await withBroker { broker in
            let client = try makeClient(broker)
            let events = Recorder(client.connectionEvents)
            try client.start()
            #expect(await events.waitFor(.connected))
            #expect(client.isConnected)

            try client.publish(MQTTMessage(topic: "test/retained", string: "hello wörld", qos: 1, retain: true))
            #expect(try await broker.subscribeOnce("test/retained") == "hello wörld")

            await client.stop()
            await client.stop()  // idempotent
            #expect(!client.isConnected)
        }
    }

    @Test func subscriptionsReceiveMessagesFromMosquittoPub() async throws {
        try await withBroker { broker in
            let client = try makeClient(broker)
            let events = Recorder(client.connectionEvents)
            let messages = Recorder(client.messages)
            client.subscribe("test/early/#")  // before connecting: sent on connect
            try client.start()
            #expect(await events.waitFor(.connected))
            #expect(try await publishUntilReceived(broker, messages, topic: "test/early/a", text: "one"))

            client.subscribe("test/late", qos: 0)  // while connected: sent at once
            #expect(try await publishUntilReceived(broker, messages, topic: "test/late", text: "two"))

            let received = try #require(messages.all.first { $0.topic == "test/early/a" })
            #expect(received.payload == Array("one".utf8))
            #expect(received.qos == 1)
            #expect(!received.retain)
            await client.stop()
        }
    }

    @Test func willIsPublishedWhenTheConnectionDropsUncleanly() async throws {
        try await withBroker { broker in
            let (client, events) = try await connectedClientWithWill(broker, willTopic: "test/status")
            try client.publish(MQTTMessage(topic: "test/status", string: "online", qos: 1, retain: true))
            #expect(try await broker.subscribeOnce("test/status") == "online")

            client._simulateNetworkFailure()
            #expect(await events.waitUntil { $0.contains { if case .disconnected = $0 { true } else { false } } })
            #expect(try await broker.subscribeOnce("test/status") == "offline")
            // The loop thread reconnects by itself.
            #expect(await events.waitFor(.connected, times: 2))
            await client.stop()
        }
    }

    @Test func cleanStopDoesNotPublishTheWill() async throws {
        try await withBroker { broker in
            let (client, events) = try await connectedClientWithWill(broker, willTopic: "test/status")
            try client.publish(MQTTMessage(topic: "test/status", string: "online", qos: 1, retain: true))
            #expect(try await broker.subscribeOnce("test/status") == "online")

            await client.stop()
            #expect(await events.waitFor(.disconnected(reason: "client disconnected")))
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await broker.subscribeOnce("test/status") == "online")
        }
    }

    /// What a shutdown does: its last words go out just before the stop, and must arrive (a
    /// DISCONNECT right behind them used to close the socket with them still queued).
    @Test func messagesPublishedJustBeforeStopReachTheBroker() async throws {
        try await withBroker { broker in
            let (client, _) = try await connectedClientWithWill(broker, willTopic: "test/last-words/status")
            for n in 1...200 {
                try client.publish(MQTTMessage(topic: "test/last-words/state", string: "\(n)", qos: 1, retain: true))
            }
            try client.publish(MQTTMessage(topic: "test/last-words/status", string: "stopped", qos: 1, retain: true))
            await client.stop()
            #expect(try await broker.subscribeOnce("test/last-words/state") == "200")
            #expect(try await broker.subscribeOnce("test/last-words/status") == "stopped")   // not the will
        }
    }

    @Test func droppingTheClientDisconnectsCleanly() async throws {
        try await withBroker { broker in
            let will = MQTTMessage(topic: "test/dropped", string: "offline", qos: 1, retain: true)
            let events: Recorder<MQTTConnectionEvent>
            do {
                let client = try makeClient(broker, will: will)
                events = Recorder(client.connectionEvents)
                try client.start()
                #expect(await events.waitFor(.connected))
            }  // last reference gone: deinit disconnects and joins the network thread
            #expect(await events.waitFor(.disconnected(reason: "client disconnected")))
            #expect(try await broker.subscribeOnce("test/dropped", timeout: 1) == nil)
        }
    }

    @Test func loginWithCorrectPasswordConnects() async throws {
        try await withBroker(username: "agent", password: "s3cret") { broker in
            let client = try makeClient(broker, username: "agent", password: "s3cret")
            let events = Recorder(client.connectionEvents)
            try client.start()
            #expect(await events.waitFor(.connected))
            #expect(client.lastError == nil)
            await client.stop()
        }
    }

    @Test func loginWithWrongPasswordReportsAClearReason() async throws {
        try await withBroker(username: "agent", password: "s3cret") { broker in
            let client = try makeClient(broker, username: "agent", password: "wrong")
            let events = Recorder(client.connectionEvents)
            try client.start()
            let failed = await events.waitUntil { $0.contains { if case .connectFailed = $0 { true } else { false } } }
            #expect(failed)
            guard case .connectFailed(let reason)? = events.all.first else {
                Issue.record("expected connectFailed first, got \(events.all)")
                return
            }
            #expect(reason.contains("MQTT broker 127.0.0.1:\(broker.port) refused the login: check mqtt_user / mqtt_pass"))
            #expect(!reason.contains("wrong"))  // the password never shows up
            #expect(client.lastError == .notAuthorized(endpoint: "127.0.0.1:\(broker.port)", reason: "Connection Refused: not authorised."))
            #expect(!client.isConnected)
            #expect(throws: MQTTError.notConnected(endpoint: "127.0.0.1:\(broker.port)")) {
                try client.publish(MQTTMessage(topic: "x", string: "y"))
            }
            await client.stop()
        }
    }

    @Test func brokerDownAtStartThenUpConnects() async throws {
        try await withBroker(started: false) { broker in
            let client = try makeClient(broker)
            let events = Recorder(client.connectionEvents)
            let messages = Recorder(client.messages)
            client.subscribe("test/after")
            try client.start()  // not an error: retries in the background

            #expect(await events.waitUntil { $0.contains { if case .connectFailed = $0 { true } else { false } } })
            guard case .connectFailed(let reason)? = events.all.first else {
                Issue.record("expected connectFailed, got \(events.all)")
                return
            }
            #expect(reason.contains("127.0.0.1:\(broker.port) is unreachable: Connection refused"))
            #expect(!client.isConnected)

            try await broker.start()
            #expect(await events.waitFor(.connected, timeout: .seconds(5)))
            #expect(try await publishUntilReceived(broker, messages, topic: "test/after", text: "up"))
            await client.stop()
        }
    }

    @Test func brokerRestartReconnectsAndResubscribes() async throws {
        try await withBroker { broker in
            let client = try makeClient(broker)
            let events = Recorder(client.connectionEvents)
            let messages = Recorder(client.messages)
            client.subscribe("test/restart")
            try client.start()
            #expect(await events.waitFor(.connected))
            #expect(try await publishUntilReceived(broker, messages, topic: "test/restart", text: "before"))

            await broker.stop()
            #expect(await events.waitUntil { $0.contains { if case .disconnected = $0 { true } else { false } } })
            #expect(!client.isConnected)
            #expect(throws: MQTTError.self) { try client.publish(MQTTMessage(topic: "x", string: "y")) }

            try await broker.start()  // fresh broker: no persistence, so it knows no subscriptions
            #expect(await events.waitFor(.connected, times: 2, timeout: .seconds(8)))
            #expect(try await publishUntilReceived(broker, messages, topic: "test/restart", text: "after"))
            await client.stop()
        }
    }
}
