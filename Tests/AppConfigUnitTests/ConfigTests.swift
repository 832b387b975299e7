import AppConfig
import ExportCore
import Foundation
import Testing

@Suite("Configuration")
struct ConfigTests {
    func load(_ text: String, json: Bool = false) throws(ConfigError) -> OptionsFile.Loaded {
        let path = NSTemporaryDirectory() + "/cfg-\(UUID().uuidString)." + (json ? "json" : "yaml")
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try OptionsFile.load(path: path)
    }

    let minimal = """
        export_dir: /tmp/immich-export-config-test
        assets_root: /media/immich
        db_host: 127.0.0.1
        """

    @Test("defaults match the add-on we replace")
    func defaults() throws {
        let loaded = try load(minimal)
        let c = loaded.export
        #expect(c.database.port == 5432)
        #expect(c.database.database == "immich")
        #expect(loaded.agent.schedule == "0 2 * * *")
        #expect(c.guardRule == GuardRule(minFoundAbsolute: 100, minFoundFraction: 0.05))
        #expect(c.logLevel == .info)
        #expect(loaded.agent.mqtt.topicPrefix == "immich_backup")
        #expect(loaded.agent.mqtt.discoveryPrefix == "homeassistant")
        #expect(loaded.web.port == 8099)
        #expect(c.database.readOnly)
    }

    @Test("YAML: quoted numbers stay text (passwords), path_map parses, unknown keys warn")
    func yaml() throws {
        let loaded = try load(minimal + """

            db_pass: "0123"
            db_port: 5433
            path_map:
              - from: /mnt/photos
                to: /media/photos
            colour: blue
            """)
        #expect(loaded.export.database.password == "0123")
        #expect(loaded.export.database.port == 5433)
        #expect(loaded.export.pathMap == [PathMapping(from: "/mnt/photos", to: "/media/photos")])
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings[0].contains("colour"))
    }

    @Test("options.json from the add-on, compatibility keys accepted")
    func json() throws {
        let loaded = try load("""
            {"export_dir": "/tmp/immich-export-config-test", "assets_root": "/media/immich", "db_host": "immich_postgres",
             "db_port": 5432, "db_name": "immich", "db_user": "postgres", "db_pass": "s3cret", "immich_user_id": "",
             "schedule": "30 3 * * *", "log_level": "debug", "min_found_abs": 10, "min_found_fraction": 0.5,
             "ha_push_interval_sec": 2, "db_timeout": 7, "db_max_retries": 5, "mqtt_tls": false}
            """, json: true)
        #expect(loaded.warnings.isEmpty)
        let c = loaded.export
        #expect(loaded.agent.schedule == "30 3 * * *")
        #expect(loaded.agent.haPushIntervalSec == 2)
        #expect(c.immichUserID == nil)
        #expect(c.logLevel == .debug)
        #expect(c.database.connectTimeout == 7)
        #expect(c.dbMaxRetries == 5)
        #expect(c.guardRule.minFoundFraction == 0.5)
    }

    @Test("each bad value is named, and the secret is never echoed")
    func errors() {
        do {
            _ = try load("""
                export_dir: relative/path
                db_port: seventy
                db_pass: [1, 2]
                min_found_fraction: 1.5
                log_level: loud
                immich_user_id: bob
                path_map: [{from: /x}]
                """)
            Issue.record("expected a ConfigError")
        } catch {
            let keys = Set(error.problems.map(\.key))
            #expect(keys.isSuperset(of: ["export_dir", "assets_root", "db_host", "db_port", "db_pass",
                                         "min_found_fraction", "log_level", "immich_user_id", "path_map"]))
            #expect(error.description.contains("assets_root: is required"))
            #expect(!error.description.contains("[1, 2]"))
        }
    }

    @Test("bad options of the export, the agent and the page come back in one error; secrets never echoed")
    func onePartsError() {
        do {
            _ = try load(minimal + """

                db_port: 0
                mqtt_port: many
                mqtt_pass: [7, 8]
                schedule: "61 2 * * *"
                web_port: 70000
                web_allow: [192.168.1.0/24, not-a-network]
                """)
            Issue.record("expected a ConfigError")
        } catch {
            #expect(Set(error.problems.map(\.key)) == ["db_port", "mqtt_port", "mqtt_pass", "schedule", "web_port", "web_allow"])
            #expect(error.description.contains("minute"), "\(error)")
            #expect(error.description.contains("not-a-network"), "\(error)")
            #expect(!error.description.contains("[7, 8]") && !error.description.contains("7, 8"))
        }
    }

    @Test("db_host may be left empty for the agent only, which then knows what to report")
    func unsetDatabase() throws {
        let path = NSTemporaryDirectory() + "/cfg-\(UUID().uuidString).yaml"
        try """
            export_dir: /tmp/immich-export-config-test
            assets_root: /media/immich
            db_host: "  "
            """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigError.self) { try OptionsFile.load(path: path) }
        let config = try OptionsFile.load(path: path, allowUnsetDatabase: true).export
        #expect(config.database.host == "")
        #expect(config.setupProblem == ExportConfig.databaseNotSet(addon: false))
        #expect(config.setupProblem?.contains("config file") == true)
        // The add-on's options point at its Configuration tab.
        #expect(ExportConfig.databaseNotSet(addon: true).contains("Configuration tab"))
        for addon in [true, false] {
            #expect(ExportConfig.databaseNotSet(addon: addon).hasPrefix(ExportConfig.databaseNotSetPrefix))
        }
        #expect(try load(minimal).export.setupProblem == nil)
    }

    @Test("a missing export_dir parent is a configuration error")
    func missingParent() {
        #expect(throws: ConfigError.self) {
            try load("""
                export_dir: /nonexistent-mount-\(UUID().uuidString)/export
                assets_root: /media/immich
                db_host: localhost
                """)
        }
    }

    @Test("a missing file says how to fix it")
    func missingFile() {
        do {
            _ = try OptionsFile.load(path: "/nonexistent/config.yaml")
            Issue.record("expected error")
        } catch {
            #expect(error.description.contains("does not exist"))
        }
    }

    @Test("export_dir inside assets_root is refused")
    func nested() {
        #expect(throws: ConfigError.self) {
            try load("""
                export_dir: /tmp/immich/export
                assets_root: /tmp/immich
                db_host: localhost
                """)
        }
    }
}
