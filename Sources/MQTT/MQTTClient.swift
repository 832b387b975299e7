import Logging

/// An MQTT client with an async API over libmosquitto's threaded interface.
///
/// `start()` returns at once; the connection comes up in the background and is kept up
/// (with backoff) until `stop()`. Watch `connectionEvents` for its state and read
/// `messages` for subscribed topics. Thread-safe. Broker events (connected, lost, a failed
/// attempt) are not logged here, only reported as events: their one log line is the owner's.
public final class MQTTClient: Sendable {
    private let connection: MosquittoConnection

    public init(configuration: MQTTConfiguration, logger: Logger) throws(MQTTError) {
        connection = try MosquittoConnection(configuration: configuration, logger: logger)
    }

    deinit {
        // Joins the loop thread before `connection` (the callback userdata) is released.
        connection.shutdown()
    }

    public var configuration: MQTTConfiguration { connection.configuration }

    /// Messages on subscribed topics. Single consumer; ends after `stop()`.
    public var messages: AsyncStream<MQTTMessage> { connection.messages }

    /// Connection state changes. Single consumer; ends after `stop()`.
    public var connectionEvents: AsyncStream<MQTTConnectionEvent> { connection.events }

    /// Sets will, credentials and TLS, then connects in the background. A broker that is
    /// down or refuses the login is not an error here: the client keeps retrying and
    /// reports `connectFailed` events. Throws only for unusable settings or after `stop()`.
    public func start() throws(MQTTError) {
        try connection.start()
    }

    /// Remembers the topic (filter) and subscribes now if connected, and again on every reconnect.
    public func subscribe(_ topic: String, qos: Int = 1) {
        connection.subscribe(topic, qos: qos)
    }

    /// Forgets the topic and unsubscribes now if connected.
    public func unsubscribe(_ topic: String) {
        connection.unsubscribe(topic)
    }

    /// Queues the message for sending without waiting for the network.
    /// Throws `MQTTError.notConnected` while the broker connection is down.
    public func publish(_ message: MQTTMessage) throws(MQTTError) {
        try connection.publish(message)
    }

    public var isConnected: Bool { connection.isConnected }

    /// The latest connect failure, cleared once connected.
    public var lastError: MQTTError? { connection.lastError }

    /// Waits (up to `drainTimeout`, while connected) for the broker to acknowledge what was
    /// published, then disconnects cleanly (the broker does not send the will), stops the network
    /// thread and ends both streams. Idempotent; the client cannot be started again.
    public func stop(drainTimeout: Duration = .seconds(2)) async {
        await connection.drain(timeout: drainTimeout)
        connection.shutdown()
    }

    /// Test hook: drop the connection without DISCONNECT, as a network failure would.
    func _simulateNetworkFailure() {
        connection.simulateNetworkFailure()
    }
}
