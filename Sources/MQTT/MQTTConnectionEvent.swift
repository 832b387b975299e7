/// Changes of the broker connection, delivered on `MQTTClient.connectionEvents`.
public enum MQTTConnectionEvent: Sendable, Equatable {
    /// The broker accepted the connection; subscriptions have been (re)sent.
    case connected
    /// An established connection ended; the client keeps reconnecting unless stopped.
    case disconnected(reason: String)
    /// A connection attempt failed (broker unreachable, login refused, TLS error, ...);
    /// the client keeps retrying with backoff.
    case connectFailed(reason: String)
}
