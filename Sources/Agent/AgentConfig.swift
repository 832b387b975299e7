import ExportCore

/// The options only the agent reads: when to run, and how to reach Home Assistant over MQTT.
public enum AgentOption: String, OptionName {
    case schedule
    case haPushIntervalSec = "ha_push_interval_sec"
    case mqttHost = "mqtt_host"
    case mqttPort = "mqtt_port"
    case mqttUser = "mqtt_user"
    case mqttPass = "mqtt_pass"
    case mqttTLS = "mqtt_tls"
    case discoveryPrefix = "discovery_prefix"
    case topicPrefix = "topic_prefix"

    public var isSecret: Bool { self == .mqttPass }
}

/// The agent's settings beside the export's `ExportConfig`.
public struct AgentConfig: Sendable, Equatable {
    /// 5-field cron expression; empty = no scheduled runs.
    public var schedule = "0 2 * * *"
    /// Accepted for compatibility; MQTT state updates are throttled to about one per second anyway.
    public var haPushIntervalSec = 1.0
    public var mqtt = MQTTOptions()

    public init() {}

    /// The agent's options from `reader`, each bad one recorded there (a schedule that is not a
    /// cron expression included); nil when any was bad.
    public static func read(from reader: inout OptionReader) -> AgentConfig? {
        let problemsBefore = reader.problems.count
        var config = AgentConfig()
        config.schedule = reader.string(AgentOption.schedule) ?? config.schedule
        do {
            _ = try Scheduler.parse(config.schedule)
        } catch {
            reader.problem(AgentOption.schedule, error.message)
        }
        config.haPushIntervalSec = reader.double(AgentOption.haPushIntervalSec, default: 1, range: 0...3600)
        config.mqtt = MQTTOptions.read(from: &reader)
        return reader.problems.count == problemsBefore ? config : nil
    }
}

public struct MQTTOptions: Sendable, Equatable {
    /// nil: inside the add-on, ask the Supervisor; standalone, MQTT stays off.
    public var host: String?
    public var port: Int = 1883
    public var user: String?
    public var password: String?
    public var tls: Bool = false
    public var discoveryPrefix: String = "homeassistant"
    public var topicPrefix: String = "immich_backup"
    public init() {}

    static func read(from reader: inout OptionReader) -> MQTTOptions {
        var mqtt = MQTTOptions()
        mqtt.host = reader.string(AgentOption.mqttHost).flatMap { $0.isEmpty ? nil : $0 }
        mqtt.port = reader.int(AgentOption.mqttPort, default: 1883, range: 1...65535)
        mqtt.user = reader.string(AgentOption.mqttUser).flatMap { $0.isEmpty ? nil : $0 }
        mqtt.password = reader.string(AgentOption.mqttPass).flatMap { $0.isEmpty ? nil : $0 }
        mqtt.tls = reader.bool(AgentOption.mqttTLS, default: false)
        mqtt.discoveryPrefix = reader.topicSegment(AgentOption.discoveryPrefix, default: "homeassistant")
        mqtt.topicPrefix = reader.topicSegment(AgentOption.topicPrefix, default: "immich_backup")
        return mqtt
    }
}
