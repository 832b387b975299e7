@testable import Agent
import ExportCore
import Foundation
import Testing

@Suite("Home Assistant discovery payloads")
struct DiscoveryTests {
    let topics = HATopics()

    func decoded() throws -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for message in HADiscovery.messages(topics: topics) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any],
                                      "\(message.topic) is not a JSON object")
            result[message.topic] = object
        }
        return result
    }

    @Test func entityIDsAreExactlyTheDocumentedOnes() {
        let ids = Set(HAEntities.all.map(\.defaultEntityID))
        let expected: Set<String> = [
            "sensor.immich_backup_status", "sensor.immich_backup_copied", "sensor.immich_backup_skipped",
            "sensor.immich_backup_failed", "sensor.immich_backup_deleted", "sensor.immich_backup_total",
            "sensor.immich_backup_last_run", "sensor.immich_backup_guard", "sensor.immich_backup_error",
            "sensor.immich_backup_percent_copied", "binary_sensor.immich_backup_running",
            "sensor.immich_backup_files_per_second",
            "button.immich_backup_run_now", "button.immich_backup_dry_run", "button.immich_backup_cancel",
            "sensor.immich_backup_next_run", "sensor.immich_backup_bytes_copied", "sensor.immich_backup_albums",
            "sensor.immich_backup_immich_version", "sensor.immich_backup_schema", "sensor.immich_backup_duration",
            "event.immich_backup_run",
        ]
        #expect(ids == expected)
        #expect(HAEntities.all.count == expected.count)
    }

    @Test func everyPayloadCarriesIdentityDeviceOriginAndAvailability() throws {
        let configs = try decoded()
        #expect(configs.count == HAEntities.all.count)
        var uniqueIDs = Set<String>()
        for entity in HAEntities.all {
            let topic = "homeassistant/\(entity.component.rawValue)/immich_backup/\(entity.key)/config"
            let c = try #require(configs[topic], "no config on \(topic)")
            let uniqueID = try #require(c["unique_id"] as? String)
            uniqueIDs.insert(uniqueID)
            #expect(c["default_entity_id"] as? String == entity.defaultEntityID)
            #expect(c["object_id"] as? String == "immich_backup_" + entity.key)
            #expect(c["has_entity_name"] as? Bool == true)
            let name = try #require(c["name"] as? String)
            #expect(!name.isEmpty && !name.contains("Immich Album Export"))
            #expect(c["availability_topic"] as? String == "immich_backup/availability")
            #expect(c["payload_available"] as? String == "online")
            #expect(c["payload_not_available"] as? String == "offline")
            #expect((c["icon"] as? String)?.hasPrefix("mdi:") == true)

            let device = try #require(c["device"] as? [String: Any])
            #expect(device["name"] as? String == "Immich Album Export")
            #expect(device["identifiers"] as? [String] == ["immich_backup"])
            #expect(device["sw_version"] as? String == ExportCoreVersion.string)
            #expect(device["manufacturer"] as? String != nil)
            #expect(device["model"] as? String != nil)
            let origin = try #require(c["origin"] as? [String: Any])
            #expect(origin["name"] as? String == "immich-export")
            #expect(origin["sw_version"] as? String == ExportCoreVersion.string)

            switch entity.component {
            case .sensor, .binarySensor:
                #expect(c["state_topic"] as? String == "immich_backup/state")
                #expect((c["value_template"] as? String)?.contains("value_json.") == true)
                #expect(c["command_topic"] == nil)
            case .button:
                #expect(c["command_topic"] as? String == "immich_backup/command")
                let press = try #require(c["payload_press"] as? String)
                #expect((try? CommandParser.parse(Array(press.utf8)).get()) != nil, "button payload must be a valid command")
            case .event:
                #expect(c["state_topic"] as? String == "immich_backup/event")
                #expect(c["event_types"] as? [String] == ["run_started", "run_finished", "run_refused"])
            }
        }
        #expect(uniqueIDs.count == HAEntities.all.count, "unique_ids must be unique")
    }

    static let metadata: [(key: String, unit: String?, deviceClass: String?, stateClass: String?, diagnostic: Bool)] = [
        ("copied", "files", nil, "measurement", false),
        ("skipped", "files", nil, "measurement", false),
        ("total", "files", nil, "measurement", false),
        ("percent_copied", "%", nil, "measurement", false),
        ("files_per_second", "files/s", nil, "measurement", false),
        ("bytes_copied", "B", "data_size", "measurement", false),
        ("duration", "s", "duration", "measurement", false),
        ("last_run", nil, "timestamp", nil, false),
        ("next_run", nil, "timestamp", nil, false),
        ("guard", nil, nil, nil, true),
        ("error", nil, nil, nil, true),
        ("schema", nil, nil, nil, true),
        ("immich_version", nil, nil, nil, true),
        ("status", nil, nil, nil, false),
    ]

    @Test("units, device and state classes, categories", arguments: metadata)
    func sensorMetadata(row: (key: String, unit: String?, deviceClass: String?, stateClass: String?, diagnostic: Bool)) throws {
        let c = try #require(try decoded()["homeassistant/sensor/immich_backup/\(row.key)/config"])
        #expect(c["unit_of_measurement"] as? String == row.unit)
        #expect(c["device_class"] as? String == row.deviceClass)
        #expect(c["state_class"] as? String == row.stateClass)
        #expect(c["entity_category"] as? String == (row.diagnostic ? "diagnostic" : nil))
    }

    @Test func longTextsHaveAnAttributesTopic() throws {
        let configs = try decoded()
        for key in ["error", "guard"] {
            let c = try #require(configs["homeassistant/sensor/immich_backup/\(key)/config"])
            #expect(c["json_attributes_topic"] as? String == "immich_backup/attributes")
            #expect((c["json_attributes_template"] as? String)?.contains("value_json.\(key)") == true)
        }
        let running = try #require(configs["homeassistant/binary_sensor/immich_backup/running/config"])
        #expect(running["device_class"] as? String == "running")
    }

    @Test func prefixesShapeTopicsAndUniqueIDsButNotEntityIDs() throws {
        let custom = HATopics(discoveryPrefix: "ha", topicPrefix: "home/immich two")
        #expect(custom.nodeID == "home_immich_two")
        let messages = HADiscovery.messages(topics: custom)
        let copied = try #require(messages.first { $0.topic == "ha/sensor/home_immich_two/copied/config" })
        let c = try #require(try JSONSerialization.jsonObject(with: Data(copied.payload)) as? [String: Any])
        #expect(c["unique_id"] as? String == "home_immich_two_copied")
        #expect(c["default_entity_id"] as? String == "sensor.immich_backup_copied")
        #expect(c["state_topic"] as? String == "home/immich two/state")
        #expect(custom.homeAssistantStatus == "ha/status")
    }

    @Test func removalsAreEmptyPayloadsOnTheSameTopics() {
        let removals = HADiscovery.removals(topics: topics)
        #expect(removals.map(\.topic) == HADiscovery.messages(topics: topics).map(\.topic))
        #expect(removals.allSatisfy { $0.payload.isEmpty })
    }
}
