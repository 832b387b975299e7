/// Everything that can go wrong in `MQTTClient`, phrased for the person reading the log.
public enum MQTTError: Error, Equatable, CustomStringConvertible {
    /// The configuration can never work (empty host, keepalive < 5, ...).
    case invalidConfiguration(String)
    /// The broker answered but refused the username / password (CONNACK 4 or 5).
    case notAuthorized(endpoint: String, reason: String)
    /// The broker answered but refused the connection for another reason.
    case connectionRefused(endpoint: String, reason: String)
    /// No TCP connection: broker down, wrong port, host not found, ...
    case unreachable(endpoint: String, reason: String)
    /// TLS could not be set up or the handshake failed.
    case tls(endpoint: String, reason: String)
    /// `publish` while the broker connection is down.
    case notConnected(endpoint: String)
    /// The client was stopped; create a new one to connect again.
    case stopped
    /// libmosquitto rejected a call (bad topic, payload too large, out of memory, ...).
    case library(operation: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason):
            return "invalid MQTT configuration: \(reason)"
        case .notAuthorized(let endpoint, let reason):
            return "MQTT broker \(endpoint) refused the login: check mqtt_user / mqtt_pass (\(reason))"
        case .connectionRefused(let endpoint, let reason):
            return "MQTT broker \(endpoint) refused the connection: \(reason)"
        case .unreachable(let endpoint, let reason):
            return "MQTT broker \(endpoint) is unreachable: \(reason); check mqtt_host / mqtt_port and that the broker runs"
        case .tls(let endpoint, let reason):
            return "TLS to MQTT broker \(endpoint) failed: \(reason); check mqtt_tls / the CA file"
        case .notConnected(let endpoint):
            return "not connected to MQTT broker \(endpoint)"
        case .stopped:
            return "the MQTT client was stopped"
        case .library(let operation, let reason):
            return "\(operation) failed: \(reason)"
        }
    }
}
