import Foundation
import Logging
import MQTT
import TestSupport

/// An independent MQTT client that records everything on the broker (`#`), as Home Assistant
/// would see it. Reconnects by itself when the broker restarts.
final class Observer: @unchecked Sendable {
    let client: MQTTClient
    private let lock = NSLock()
    private var items: [MQTTMessage] = []
    private var connects = 0
    private var tasks: [Task<Void, Never>] = []

    init(_ broker: MosquittoBroker, topics: [String] = ["#"]) async throws {
        var logger = Logger(label: "observer")
        logger.logLevel = .critical
        client = try MQTTClient(configuration: MQTTConfiguration(
            host: broker.host, port: broker.port, clientID: "observer-\(UUID().uuidString.prefix(8))",
            keepAlive: 5, reconnectDelayMin: 1, reconnectDelayMax: 1), logger: logger)
        for topic in topics { client.subscribe(topic, qos: 1) }
        let messages = client.messages
        let events = client.connectionEvents
        tasks.append(Task { [weak self] in
            for await m in messages { self?.lock.withLock { self?.items.append(m) } }
        })
        tasks.append(Task { [weak self] in
            for await e in events where e == .connected { self?.lock.withLock { self?.connects += 1 } }
        })
        try client.start()
        // Generous: in a full parallel test run on two cores (PostgreSQL clusters starting, the
        // browser suite) the first connect once took longer than 10 s.
        guard await waitUntil(timeout: .seconds(30), { _ in self.connectCount > 0 }) else { throw ObserverError("observer did not connect") }
    }

    func stop() async {
        await client.stop()
        tasks.forEach { $0.cancel() }
    }

    var all: [MQTTMessage] { lock.withLock { items } }
    var connectCount: Int { lock.withLock { connects } }
    func clear() { lock.withLock { items.removeAll() } }

    func messages(on topic: String) -> [MQTTMessage] { all.filter { $0.topic == topic } }
    func last(on topic: String) -> MQTTMessage? { all.last { $0.topic == topic } }

    /// The JSON objects received on `topic`, oldest first.
    func json(on topic: String) -> [[String: Any]] {
        messages(on: topic).compactMap { try? JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any] }
    }

    @discardableResult
    func waitUntil(timeout: Duration = .seconds(10), _ predicate: ([MQTTMessage]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if predicate(all) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return predicate(all)
    }

    /// Waits for a state document matching `predicate` and returns it.
    func waitForState(_ topic: String, timeout: Duration = .seconds(15), _ predicate: @escaping ([String: Any]) -> Bool) async -> [String: Any]? {
        var found: [String: Any]?
        _ = await waitUntil(timeout: timeout) { _ in
            found = self.json(on: topic).last(where: predicate)
            return found != nil
        }
        return found
    }
}

struct ObserverError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
