import ExportCore
import MQTT

/// Where the MQTT broker comes from. Pure decision from the options and the environment.
public enum BrokerSource: Sendable, Equatable {
    /// `mqtt_host` is set: use the options as they are.
    case configured(BrokerAddress)
    /// Inside the add-on without `mqtt_host`: ask the Supervisor.
    case supervisor(token: String)
    /// Standalone without `mqtt_host`: no Home Assistant integration.
    case disabled(reason: String)

    public static func decide(_ options: MQTTOptions, environment: [String: String]) -> BrokerSource {
        if let host = options.host?.trimmingCharacters(in: .whitespaces), !host.isEmpty {
            return .configured(BrokerAddress(host: host, port: options.port, username: options.user,
                                             password: options.password, tls: options.tls))
        }
        if let token = environment["SUPERVISOR_TOKEN"], !token.isEmpty {
            return .supervisor(token: token)
        }
        return .disabled(reason: "mqtt_host is not set and no Home Assistant Supervisor is present")
    }
}

public struct BrokerAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var tls: Bool

    public init(host: String, port: Int, username: String? = nil, password: String? = nil, tls: Bool = false) {
        self.host = host
        self.port = port
        self.username = username.flatMap { $0.isEmpty ? nil : $0 }
        self.password = password.flatMap { $0.isEmpty ? nil : $0 }
        self.tls = tls
    }

    public init(_ service: SupervisorMQTTService) {
        self.init(host: service.host, port: service.port, username: service.username, password: service.password, tls: service.ssl)
    }

    /// Never shows the password.
    public var description: String { "\(tls ? "mqtts" : "mqtt")://\(host):\(port)" + (username.map { " user=\($0)" } ?? "") }

    /// Client settings with the availability topic as last will (`offline`, retained, QoS 1),
    /// so Home Assistant marks every entity unavailable when the agent dies.
    public func configuration(topics: HATopics, clientID: String, reconnectDelayMax: Int = 30) -> MQTTConfiguration {
        MQTTConfiguration(
            host: host, port: port, clientID: clientID, username: username, password: password, tls: tls,
            keepAlive: 30, will: MQTTMessage(topic: topics.availability, string: "offline", qos: 1, retain: true),
            reconnectDelayMin: 1, reconnectDelayMax: reconnectDelayMax)
    }
}
