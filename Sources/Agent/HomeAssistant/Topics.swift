import ExportCore

/// Every MQTT topic the agent uses, derived from `discovery_prefix` and `topic_prefix`.
public struct HATopics: Sendable, Equatable {
    public let discoveryPrefix: String
    public let topicPrefix: String
    /// The discovery node id and the prefix of every unique_id: `topic_prefix` reduced to the
    /// characters HA allows there, so two agents with different topic prefixes never collide.
    public let nodeID: String

    public init(discoveryPrefix: String = "homeassistant", topicPrefix: String = "immich_backup") {
        self.discoveryPrefix = discoveryPrefix
        self.topicPrefix = topicPrefix
        self.nodeID = Self.nodeID(from: topicPrefix)
    }

    public init(_ options: MQTTOptions) {
        self.init(discoveryPrefix: options.discoveryPrefix, topicPrefix: options.topicPrefix)
    }

    /// Retained JSON document every sensor reads with its value_template.
    public var state: String { topicPrefix + "/state" }
    /// Retained JSON with the long texts (full error, guard reason, failures).
    public var attributes: String { topicPrefix + "/attributes" }
    /// `online` / `offline` (the last will), retained.
    public var availability: String { topicPrefix + "/availability" }
    /// Buttons and scripts send `run`, `dry_run`, `cancel` or JSON here.
    public var command: String { topicPrefix + "/command" }
    /// The event entity's topic (not retained: an event must not replay).
    public var event: String { topicPrefix + "/event" }
    /// Home Assistant's own birth / will.
    public var homeAssistantStatus: String { discoveryPrefix + "/status" }

    public func discovery(_ entity: HAEntity) -> String {
        "\(discoveryPrefix)/\(entity.component.rawValue)/\(nodeID)/\(entity.key)/config"
    }

    public func uniqueID(_ entity: HAEntity) -> String { nodeID + "_" + entity.key }

    static func nodeID(from topicPrefix: String) -> String {
        let allowed = topicPrefix.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-") ? c : "_"
        }
        let id = String(allowed).trimmingCharacters(in: ["_"])
        return id.isEmpty ? "immich_backup" : id
    }
}
