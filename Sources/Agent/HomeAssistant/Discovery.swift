import ExportCore
import Foundation

/// Builds Home Assistant MQTT discovery messages. Pure: same input, same bytes.
///
/// One config topic per entity (`<discovery_prefix>/<component>/<node_id>/<key>/config`)
/// rather than the single device topic of HA 2024.11+: older Home Assistant installs ignore
/// device discovery, while every version understands per-entity configs. Each config repeats
/// the full device block so HA groups the entities under one device whichever arrives first.
/// Full option names (no abbreviations) keep the payloads readable in MQTT Explorer.
public enum HADiscovery {
    public struct Message: Sendable, Equatable {
        public var topic: String
        public var payload: [UInt8]
    }

    public static let deviceName = "Immich Album Export"

    /// The config message of every entity, retained by the caller (QoS 1).
    public static func messages(topics: HATopics, entities: [HAEntity] = HAEntities.all) -> [Message] {
        entities.map { Message(topic: topics.discovery($0), payload: payload($0, topics: topics)) }
    }

    /// Empty retained payloads remove the entities from Home Assistant.
    public static func removals(topics: HATopics, entities: [HAEntity] = HAEntities.all) -> [Message] {
        entities.map { Message(topic: topics.discovery($0), payload: []) }
    }

    static func payload(_ entity: HAEntity, topics: HATopics) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(config(entity, topics: topics))) ?? Data("{}".utf8))
    }

    static func config(_ entity: HAEntity, topics: HATopics) -> Config {
        var c = Config(
            uniqueID: topics.uniqueID(entity),
            defaultEntityID: entity.defaultEntityID,
            objectID: entity.objectID,
            name: entity.name,
            device: Device(identifiers: [topics.nodeID], name: deviceName, manufacturer: "immich-export",
                           model: "Album export agent", swVersion: ExportCoreVersion.string),
            origin: Origin(name: "immich-export", swVersion: ExportCoreVersion.string),
            availabilityTopic: topics.availability,
            icon: entity.icon,
            deviceClass: entity.deviceClass,
            unitOfMeasurement: entity.unit,
            stateClass: entity.stateClass,
            entityCategory: entity.diagnostic ? "diagnostic" : nil,
            suggestedDisplayPrecision: entity.displayPrecision)
        switch entity.component {
        case .sensor, .binarySensor:
            c.stateTopic = topics.state
            c.valueTemplate = entity.valueTemplate
            if entity.attributes {
                c.jsonAttributesTopic = topics.attributes
                c.jsonAttributesTemplate = "{{ value_json.\(entity.key) | tojson }}"
            }
        case .button:
            c.commandTopic = topics.command
            c.payloadPress = entity.pressPayload
        case .event:
            c.stateTopic = topics.event
            c.eventTypes = entity.eventTypes
        }
        return c
    }

    struct Device: Encodable, Equatable {
        var identifiers: [String]
        var name: String
        var manufacturer: String
        var model: String
        var swVersion: String
        enum CodingKeys: String, CodingKey {
            case identifiers, name, manufacturer, model
            case swVersion = "sw_version"
        }
    }

    struct Origin: Encodable, Equatable {
        var name: String
        var swVersion: String
        enum CodingKeys: String, CodingKey {
            case name
            case swVersion = "sw_version"
        }
    }

    /// One entity's discovery config; nil fields are left out of the JSON.
    struct Config: Encodable, Equatable {
        var uniqueID: String
        var defaultEntityID: String
        /// Ignored by HA 2026.4+, which reads default_entity_id; older versions need it.
        var objectID: String
        var name: String
        var hasEntityName = true
        var device: Device
        var origin: Origin
        var availabilityTopic: String
        var payloadAvailable = "online"
        var payloadNotAvailable = "offline"
        var icon: String?
        var deviceClass: String?
        var unitOfMeasurement: String?
        var stateClass: String?
        var entityCategory: String?
        var suggestedDisplayPrecision: Int?
        var stateTopic: String?
        var valueTemplate: String?
        var jsonAttributesTopic: String?
        var jsonAttributesTemplate: String?
        var commandTopic: String?
        var payloadPress: String?
        var eventTypes: [String]?
        var qos = 1

        enum CodingKeys: String, CodingKey {
            case uniqueID = "unique_id"
            case defaultEntityID = "default_entity_id"
            case objectID = "object_id"
            case name
            case hasEntityName = "has_entity_name"
            case device, origin
            case availabilityTopic = "availability_topic"
            case payloadAvailable = "payload_available"
            case payloadNotAvailable = "payload_not_available"
            case icon
            case deviceClass = "device_class"
            case unitOfMeasurement = "unit_of_measurement"
            case stateClass = "state_class"
            case entityCategory = "entity_category"
            case suggestedDisplayPrecision = "suggested_display_precision"
            case stateTopic = "state_topic"
            case valueTemplate = "value_template"
            case jsonAttributesTopic = "json_attributes_topic"
            case jsonAttributesTemplate = "json_attributes_template"
            case commandTopic = "command_topic"
            case payloadPress = "payload_press"
            case eventTypes = "event_types"
            case qos
        }
    }
}
