/// The Home Assistant entities of the agent, as data: Discovery turns each row into a config
/// payload, so adding an entity is one line here and nothing else.
///
/// Entity ids are fixed (`sensor.immich_backup_copied`, ...) because automations and dashboards
/// of the add-on this replaces refer to them; `HAEntity.objectID` is that id without the domain.
public struct HAEntity: Sendable, Equatable {
    public enum Component: String, Sendable, CaseIterable {
        case sensor
        case binarySensor = "binary_sensor"
        case button
        case event
    }

    public var component: Component
    /// Suffix of the entity id and unique_id, e.g. "copied".
    public var key: String
    /// Shown after the device name (has_entity_name), so it never repeats "Immich Album Export".
    public var name: String
    public var icon: String?
    /// Jinja template over the JSON state document (`<topic_prefix>/state`).
    public var valueTemplate: String?
    public var unit: String?
    public var deviceClass: String?
    public var stateClass: String?
    public var diagnostic = false
    /// Long details (full error text, guard reason, failures) live in the attributes topic.
    public var attributes = false
    public var displayPrecision: Int?
    /// Buttons: the payload sent to `<topic_prefix>/command` (the same words the command topic accepts).
    public var pressPayload: String?
    /// Event entities: the event types it may fire.
    public var eventTypes: [String] = []

    /// Fixed product prefix of every entity id (see the type comment).
    public static let entityIDPrefix = "immich_backup"

    public var objectID: String { Self.entityIDPrefix + "_" + key }
    public var defaultEntityID: String { component.rawValue + "." + objectID }
}

/// Event types of the run event entity.
public enum HAEventType: String, Sendable, CaseIterable {
    case runStarted = "run_started"
    case runFinished = "run_finished"
    case runRefused = "run_refused"
}

public enum HAEntities {
    /// Every entity the agent announces, in display order.
    public static let all: [HAEntity] = [
        // Progress of the current / last run (keys and meaning of the old add-on).
        sensor("status", "Status", icon: "mdi:image-sync", template: "{{ value_json.status }}"),
        sensor("copied", "Copied", icon: "mdi:file-check", template: "{{ value_json.copied }}", unit: "files", stateClass: "measurement"),
        sensor("skipped", "Skipped", icon: "mdi:file-arrow-left-right", template: "{{ value_json.skipped }}", unit: "files", stateClass: "measurement"),
        sensor("failed", "Failed", icon: "mdi:file-alert", template: "{{ value_json.failed }}", unit: "files", stateClass: "measurement"),
        sensor("deleted", "Deleted", icon: "mdi:file-remove", template: "{{ value_json.deleted }}", unit: "files", stateClass: "measurement"),
        sensor("total", "Total", icon: "mdi:file-multiple", template: "{{ value_json.total }}", unit: "files", stateClass: "measurement"),
        sensor("percent_copied", "Progress", icon: "mdi:progress-check", template: "{{ value_json.percent_copied }}", unit: "%",
               stateClass: "measurement", precision: 1),
        sensor("files_per_second", "Speed", icon: "mdi:speedometer", template: "{{ value_json.files_per_second }}", unit: "files/s",
               stateClass: "measurement", precision: 1),
        sensor("last_run", "Last run", icon: "mdi:clock-check-outline", template: "{{ value_json.last_run }}", deviceClass: "timestamp"),
        sensor("next_run", "Next run", icon: "mdi:clock-start", template: "{{ value_json.next_run }}", deviceClass: "timestamp"),
        sensor("bytes_copied", "Data copied", icon: "mdi:harddisk", template: "{{ value_json.bytes_copied }}", unit: "B",
               deviceClass: "data_size", stateClass: "measurement", precision: 0),
        sensor("albums", "Albums", icon: "mdi:image-album", template: "{{ value_json.albums_total }}", unit: "albums", stateClass: "measurement"),
        sensor("duration", "Last run duration", icon: "mdi:timer-outline", template: "{{ value_json.duration_seconds }}", unit: "s",
               deviceClass: "duration", stateClass: "measurement", precision: 0),
        // Diagnostics.
        sensor("guard", "Deletion guard", icon: "mdi:shield-alert-outline", template: "{{ value_json.guard or 'none' }}",
               diagnostic: true, attributes: true),
        sensor("error", "Error", icon: "mdi:alert-circle-outline", template: "{{ value_json.error or 'none' }}",
               diagnostic: true, attributes: true),
        sensor("schema", "Immich schema", icon: "mdi:database-cog", template: "{{ value_json.schema }}", diagnostic: true),
        sensor("immich_version", "Immich version", icon: "mdi:tag-outline", template: "{{ value_json.immich_version }}", diagnostic: true),

        HAEntity(component: .binarySensor, key: "running", name: "Running", icon: "mdi:sync",
                 valueTemplate: "{{ 'ON' if value_json.running else 'OFF' }}", deviceClass: "running"),

        button("run_now", "Run now", icon: "mdi:play", press: "run"),
        button("dry_run", "Dry run", icon: "mdi:play-outline", press: "dry_run"),
        button("cancel", "Cancel run", icon: "mdi:stop", press: "cancel"),

        HAEntity(component: .event, key: "run", name: "Run", icon: "mdi:history",
                 eventTypes: HAEventType.allCases.map(\.rawValue)),
    ]

    private static func sensor(
        _ key: String, _ name: String, icon: String, template: String, unit: String? = nil, deviceClass: String? = nil,
        stateClass: String? = nil, precision: Int? = nil, diagnostic: Bool = false, attributes: Bool = false
    ) -> HAEntity {
        HAEntity(component: .sensor, key: key, name: name, icon: icon, valueTemplate: template, unit: unit,
                 deviceClass: deviceClass, stateClass: stateClass, diagnostic: diagnostic, attributes: attributes,
                 displayPrecision: precision)
    }

    private static func button(_ key: String, _ name: String, icon: String, press: String) -> HAEntity {
        HAEntity(component: .button, key: key, name: name, icon: icon, pressPayload: press)
    }
}
