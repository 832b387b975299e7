import AppConfig
import ExportCore
import Foundation
import Testing
import TestHelpers
import WebUI

/// The Home Assistant add-on folder (`addon/`) and `repository.yaml`, checked the way the Supervisor
/// reads them, against the community linter's rules (frenck/action-addon-linter: its JSON schema for
/// config.yaml plus its extra checks), and against the agent's own option parser.
@Suite("The Home Assistant add-on")
struct AddonConfigTests {
    // MARK: Files

    static var repoRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url = url.deletingLastPathComponent()
        }
        return url.path
    }

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOfFile: repoRoot + "/" + relativePath, encoding: .utf8)
    }

    static func yaml(_ relativePath: String) throws -> ConfigValue {
        try ConfigValue.parseYAML(try text(relativePath))
    }

    static func manifest() throws -> ConfigValue { try yaml("addon/config.yaml") }

    static func options() throws -> [(String, ConfigValue)] { try manifest()["options"]?.pairs ?? [] }

    static func schema() throws -> [(String, ConfigValue)] { try manifest()["schema"]?.pairs ?? [] }

    /// The add-on's project URL; every URL we publish points here (placeholder project url).
    static let projectURL = "https://github.com/immich-export/immich-export"

    // MARK: Manifest basics

    @Test("has the keys the Supervisor requires, with our values")
    func requiredKeys() throws {
        let config = try Self.manifest()
        guard config.pairs != nil else {
            Issue.record("addon/config.yaml is not a mapping")
            return
        }
        for key in ["name", "version", "slug", "description", "arch"] {
            #expect(config[key] != nil, "config.yaml lacks \(key)")
        }
        for key in ["name", "version", "slug", "description", "url", "image", "panel_icon"] {
            #expect(Self.nonEmpty(config[key]?.text), "\(key) must be non-empty text")
        }
        // No key may be an explicit null at the top level (the Supervisor then skips the add-on).
        for (key, value) in config.pairs ?? [] { #expect(value != .null, "\(key) is null") }

        #expect(config["name"]?.text == "Immich Album Export")
        #expect(config["slug"]?.text == "immich_export")
        #expect(Self.fullMatch(config["slug"]?.text ?? "", "[-_.A-Za-z0-9]+"), "slug must be URI friendly")
        #expect(Set(config["arch"]?.items?.compactMap(\.text) ?? []) == ["amd64", "aarch64"])
        #expect(config["arch"]?.items?.count == 2)
        #expect(config["init"] == .bool(false))
        #expect(config["startup"]?.text == "services")
        #expect(config["ingress"] == .bool(true))
        #expect(config["panel_icon"]?.text == "mdi:image-album")
        #expect(config["services"]?.items?.compactMap(\.text) == ["mqtt:need"])
        #expect(config["url"]?.text == Self.projectURL)
        let image = config["image"]?.text ?? ""
        #expect(image.hasPrefix("ghcr.io/immich-export/"), "prebuilt images live on ghcr.io/immich-export")
        #expect(!image.contains(":"), "the image tag comes from `version`, not from the image name")

        // media and share, both writable (export_dir and assets_root live there).
        var mapped: [String: Bool] = [:]
        for entry in config["map"]?.items ?? [] {
            if let s = entry.text {
                let parts = s.split(separator: ":").map(String.init)
                mapped[parts[0]] = parts.count > 1 && parts[1] == "rw"
            } else if let type = entry["type"]?.text {
                mapped[type] = entry["read_only"] == .bool(false)
            }
        }
        #expect(mapped == ["media": true, "share": true], "map: \(mapped)")
    }

    @Test("version is the product version, in the manifest, the Dockerfile and the changelog")
    func version() throws {
        let config = try Self.manifest()
        #expect(config["version"] == .string(ExportCoreVersion.string), "config.yaml version must be a quoted \(ExportCoreVersion.string)")
        let dockerVersion = try Self.text("addon/Dockerfile").contains("ARG BUILD_VERSION=\(ExportCoreVersion.string)")
        #expect(dockerVersion, "the Dockerfile's BUILD_VERSION default must be \(ExportCoreVersion.string)")
        let changelog = try Self.text("addon/CHANGELOG.md")
        let entry = changelog.contains("## [\(ExportCoreVersion.string)]")
        #expect(entry, "CHANGELOG.md has no entry for \(ExportCoreVersion.string)")
    }

    // MARK: The community linter's rules

    /// Keys the linter's JSON schema knows (`additionalProperties: false`).
    static let linterKeys: Set<String> = [
        "advanced", "apparmor", "arch", "audio", "auth_api", "auto_uart", "backup", "backup_exclude",
        "backup_post", "backup_pre", "boot", "breaking_versions", "codenotary", "description", "devices",
        "devicetree", "discovery", "docker_api", "environment", "full_access", "gpio", "hassio_api",
        "hassio_role", "homeassistant", "homeassistant_api", "host_dbus", "host_ipc", "host_network",
        "host_pid", "host_uts", "image", "ingress", "ingress_entry", "ingress_port", "ingress_stream",
        "init", "journald", "kernel_modules", "legacy", "machine", "map", "name", "options", "panel_admin",
        "panel_icon", "panel_title", "ports", "ports_description", "privileged", "realtime", "schema",
        "services", "slug", "stage", "startup", "stdin", "timeout", "tmpfs", "uart", "udev", "ulimits",
        "url", "usb", "version", "video", "watchdog", "webui",
    ]

    /// The linter's defaults: a key set to its default is reported ("should be removed, it uses a
    /// default value").
    static let linterDefaults: [String: ConfigValue] = [
        "advanced": .bool(false), "apparmor": .bool(true), "audio": .bool(false), "auth_api": .bool(false),
        "auto_uart": .bool(false), "backup": .string("hot"), "boot": .string("auto"), "devicetree": .bool(false),
        "docker_api": .bool(false), "full_access": .bool(false), "gpio": .bool(false), "hassio_api": .bool(false),
        "hassio_role": .string("default"), "homeassistant_api": .bool(false), "host_dbus": .bool(false),
        "host_ipc": .bool(false), "host_network": .bool(false), "host_pid": .bool(false), "host_uts": .bool(false),
        "ingress": .bool(false), "ingress_port": .int(8099), "ingress_stream": .bool(false), "init": .bool(true),
        "journald": .bool(false), "kernel_modules": .bool(false), "legacy": .bool(false), "options": .map([]),
        "panel_admin": .bool(true), "panel_icon": .string("mdi:puzzle"), "realtime": .bool(false),
        "schema": .map([]), "stage": .string("stable"), "startup": .string("application"), "stdin": .bool(false),
        "timeout": .int(10), "tmpfs": .bool(false), "uart": .bool(false), "udev": .bool(false),
        "ulimits": .map([]), "usb": .bool(false), "video": .bool(false),
    ]

    static let linterEnums: [String: Set<String>] = [
        "backup": ["hot", "cold"],
        "boot": ["auto", "manual", "manual_only"],
        "hassio_role": ["admin", "backup", "default", "homeassistant", "manager"],
        "stage": ["deprecated", "experimental", "stable"],
        "startup": ["application", "initialize", "once", "services", "system"],
    ]

    static let boolKeys: Set<String> = [
        "advanced", "audio", "auth_api", "auto_uart", "devicetree", "docker_api", "full_access", "gpio",
        "hassio_api", "homeassistant_api", "host_dbus", "host_ipc", "host_network", "host_pid", "host_uts",
        "ingress", "ingress_stream", "init", "journald", "kernel_modules", "legacy", "panel_admin", "realtime",
        "stdin", "uart", "udev", "usb", "video",
    ]

    static let stringKeys: Set<String> = [
        "backup_pre", "backup_post", "codenotary", "description", "homeassistant", "image", "ingress_entry",
        "name", "panel_icon", "panel_title", "slug", "url", "version", "watchdog", "webui",
    ]

    static let mapTypes: Set<String> = [
        "addon_config", "addons", "all_addon_configs", "backup", "config", "data", "homeassistant_config",
        "media", "share", "ssl",
    ]

    @Test("passes the community add-on linter's rules")
    func linter() throws {
        let config = try Self.manifest()
        let pairs = config.pairs ?? []

        for (key, value) in pairs {
            #expect(Self.linterKeys.contains(key), "'\(key)' is not an add-on option (additionalProperties: false)")
            if let def = Self.linterDefaults[key] {
                #expect(value != def, "'\(key)' should be removed, it uses a default value")
            }
            if Self.boolKeys.contains(key) { #expect(value.flag != nil, "'\(key)' must be a boolean") }
            if Self.stringKeys.contains(key) { #expect(value.text != nil, "'\(key)' must be text") }
            if let allowed = Self.linterEnums[key] {
                #expect(allowed.contains(value.text ?? ""), "'\(key)': \(value) is not one of \(allowed.sorted())")
            }
        }
        for key in ["arch", "description", "name", "slug", "version"] { #expect(config[key] != nil, "'\(key)' is required") }

        // Architectures: only the supported ones, none deprecated since HA 2025.12.
        for arch in config["arch"]?.items ?? [] {
            #expect(["amd64", "aarch64"].contains(arch.text ?? ""), "arch \(arch) is deprecated or unknown")
        }
        // map: either all "type[:rw|:ro]" strings or all {type, read_only, path} objects.
        let entries = config["map"]?.items ?? []
        let allStrings = entries.allSatisfy { entry in
            guard let s = entry.text else { return false }
            return Self.fullMatch(s, "(addon_config|all_addon_configs|config|homeassistant_config|ssl|addons|backup|share|media)(:(rw|ro))?")
        }
        let allObjects = entries.allSatisfy { entry in
            guard let fields = entry.pairs, let type = entry["type"]?.text, Self.mapTypes.contains(type) else { return false }
            return fields.allSatisfy { key, value in
                switch key {
                case "type": return true
                case "read_only": return value.flag != nil
                case "path": return value.text != nil
                default: return false
                }
            }
        }
        #expect(allStrings != allObjects, "map entries must all match one of the two forms: \(entries)")
        for service in config["services"]?.items ?? [] {
            #expect(Self.fullMatch(service.text ?? "", "(mqtt|mysql):(provide|want|need)"), "service \(service)")
        }
        if let port = config["ingress_port"] {
            #expect((0...65535).contains(port.number ?? -1), "ingress_port must be 0...65535")
        }
        #expect(config["url"]?.text.flatMap { URL(string: $0) } != nil, "url must be a URI")
        if config["options"] != nil { #expect(config["options"]?.pairs != nil, "options must be a mapping") }
        if config["schema"] != nil { #expect(config["schema"]?.pairs != nil, "schema must be a mapping") }

        // The linter's extra checks.
        if config["ingress"]?.flag == true {
            #expect(config["webui"] == nil, "'webui' should be removed, Ingress is enabled")
            if config["host_network"]?.flag != true {
                #expect(config["ingress_port"]?.number != 0, "ingress_port 0 only makes sense on the host network")
            }
        }
        #expect(config["watchdog"] == nil, "'watchdog' is obsolete: use a Docker HEALTHCHECK")
        #expect(config["auto_uart"] == nil, "'auto_uart' is deprecated")
        for device in config["devices"]?.items ?? [] { #expect(!(device.text ?? "").contains(":"), "devices: old format") }
        if let tmpfs = config["tmpfs"] { #expect(tmpfs.flag != nil, "tmpfs must be a boolean") }
        if config["backup"]?.text == "cold" {
            #expect(config["backup_pre"] == nil && config["backup_post"] == nil, "backup_pre/post need hot backups")
        }
        if config["full_access"]?.flag == true {
            for key in ["devices", "gpio", "uart", "usb"] { #expect(config[key] == nil, "full_access makes \(key) redundant") }
        }

        // Obsolete files: build.yaml is gone since Supervisor 2026.04, and one manifest only.
        let addonDir = Self.repoRoot + "/addon/"
        for name in ["build.yaml", "build.yml", "build.json", "config.json", "config.yml"] {
            #expect(!FileManager.default.fileExists(atPath: addonDir + name), "addon/\(name) must not exist")
        }
    }

    @Test("Ingress reaches the agent's web page port")
    func ingressPort() throws {
        let config = try Self.manifest()
        let ingressPort = config["ingress_port"]?.number ?? 8099   // the Supervisor's default
        #expect(ingressPort == WebOptions().port, "ingress_port \(ingressPort) != the agent's web_port default \(WebOptions().port)")
        // web_port may not be set to anything else in the add-on.
        let webPort = try Self.schemaElement(for: "web_port")
        let element = try #require(webPort)
        #expect(element.validate(.int(ingressPort)) == nil)
        #expect(element.validate(.int(ingressPort + 1)) != nil, "web_port must be fixed to the Ingress port")
    }

    // MARK: Options and schema

    @Test("every schema element follows the Supervisor's grammar, nested at most two levels")
    func schemaGrammar() throws {
        let schema = try Self.schema()
        #expect(!schema.isEmpty)
        for (key, value) in schema {
            let problems = AddonSchemaElement.structureProblems(value, depth: 0)
            #expect(problems.isEmpty, "schema.\(key): \(problems)")
        }
        // Strict: no bare `str` where the agent needs something more specific.
        let kinds = Dictionary(try Self.schema().compactMap { key, value in
            value.text.flatMap(AddonSchemaElement.init).map { (key, $0.kind) }
        }, uniquingKeysWith: { a, _ in a })
        #expect(kinds["db_pass"] == .password(min: nil, max: nil), "db_pass")
        #expect(kinds["mqtt_pass"] == .password(min: nil, max: nil), "mqtt_pass")
        #expect(kinds["db_port"] == .port, "db_port")
        #expect(kinds["mqtt_port"] == .port, "mqtt_port")
        #expect(kinds["min_found_fraction"] == .float(min: 0, max: 1), "min_found_fraction")
        #expect(kinds["min_found_abs"] == .int(min: 0, max: nil), "min_found_abs")
        #expect(kinds["log_level"] == .list(["debug", "info", "warning", "error"]), "log_level")
        #expect(kinds["mqtt_tls"] == .bool, "mqtt_tls")
        let pathMapEntry = try Self.schema().first(where: { $0.0 == "path_map" })?.1
        let pathMap = try #require(pathMapEntry)
        #expect(Set(pathMap.items?.first?.pairs?.map(\.0) ?? []) == ["from", "to"], "path_map is a list of {from, to}")
    }

    @Test("options and schema declare the same options; optional ones have no default")
    func optionsMatchSchema() throws {
        let options = try Self.options(), schema = try Self.schema()
        let schemaKeys = Set(schema.map(\.0)), optionKeys = Set(options.map(\.0))
        #expect(schema.count == schemaKeys.count, "duplicate schema keys")
        #expect(options.count == optionKeys.count, "duplicate option keys")
        #expect(optionKeys.subtracting(schemaKeys).isEmpty, "options without schema: \(optionKeys.subtracting(schemaKeys).sorted())")
        for (key, value) in schema {
            let optional = AddonSchemaElement(value.text ?? "")?.optional ?? false
            if optional {
                #expect(!optionKeys.contains(key), "\(key) is optional (`?`) so it must have no default in options")
            } else {
                #expect(optionKeys.contains(key), "\(key) needs a default in options, or `?` in the schema")
            }
        }
    }

    @Test("every default satisfies its schema type, and none is null")
    func defaultsSatisfySchema() throws {
        let schema = Dictionary(try Self.schema(), uniquingKeysWith: { a, _ in a })
        for (key, value) in try Self.options() {
            guard let type = schema[key] else { continue }
            // The Supervisor refuses to start an add-on with a null option ("Missing required
            // option"): the add-on could never come up to say what is missing.
            #expect(value != .null, "\(key) defaults to null")
            let problems = AddonSchemaElement.valueProblems(value, type: type)
            #expect(problems.isEmpty, "\(key) = \(value): \(problems)")
        }
    }

    @Test("the untouched defaults start the agent, which names what to fill in; one-shot commands refuse them")
    func defaultsStartTheAgent() throws {
        let parent = try TempDirectory.make("addon-config")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let defaults = try Self.asOptionsJSON(try Self.userOptions(exportParent: parent, filled: false))
        let loaded = try OptionsFile.validate(defaults, source: ConfigLoader.addonOptionsPath, allowUnsetDatabase: true)
        let problem = try #require(loaded.export.setupProblem)
        for needle in ["Immich's database is not set", "Configuration tab", "db_host", "db_pass", "DB_PASSWORD"] {
            #expect(problem.contains(needle), "\(problem)")
        }
        #expect(problem.count <= 255, "the error sensor's state keeps 255 characters")
        do {
            _ = try OptionsFile.validate(defaults, source: ConfigLoader.addonOptionsPath)
            Issue.record("a run without db_host must be a configuration error")
        } catch {
            #expect(error.problems.map(\.key) == ["db_host"], "\(error)")
        }
        // Filled in, nothing is left to report.
        let filled = try OptionsFile.validate(try Self.asOptionsJSON(try Self.userOptions(exportParent: parent)),
                                               source: ConfigLoader.addonOptionsPath, allowUnsetDatabase: true)
        #expect(filled.export.setupProblem == nil)
    }

    @Test("sample user values pass the schema exactly when the agent accepts them")
    func schemaAgreesWithAgent() throws {
        let schema = Dictionary(try Self.schema(), uniquingKeysWith: { a, _ in a })
        let parent = try TempDirectory.make("addon-config")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let base = try Self.userOptions(exportParent: parent)
        func agentProblems(_ key: String, _ value: ConfigValue) throws -> [String] {
            var options = base
            options.removeAll { $0.0 == key }
            options.append((key, value))
            let json = try Self.asOptionsJSON(options)
            do {
                _ = try OptionsFile.validate(json, source: "options.json")
                return []
            } catch {
                return error.problems.filter { $0.key == key }.map(\.message)
            }
        }
        // Bounds of every numeric element and every list(...) value: what the UI lets through, the agent takes.
        for (key, type) in schema {
            guard let element = AddonSchemaElement(type.text ?? "") else { continue }
            var samples: [ConfigValue] = []
            switch element.kind {
            case let .int(min, max):
                samples = [min, max].compactMap { $0 }.map(ConfigValue.int)
            case let .float(min, max):
                samples = [min, max].compactMap { $0 }.map(ConfigValue.double)
            case .port:
                samples = [.int(1), .int(65535)]
            case let .list(values):
                samples = values.map(ConfigValue.string)
                #expect(!(try agentProblems(key, .string("no-such-value"))).isEmpty, "\(key): the agent should reject a value outside \(values)")
            case .bool:
                samples = [.bool(true), .bool(false)]
            default:
                continue
            }
            for sample in samples {
                #expect(element.validate(sample) == nil, "\(key): \(sample) should pass the schema")
                #expect(try agentProblems(key, sample).isEmpty, "\(key): the agent rejects \(sample), which the schema allows")
            }
        }
        // Text options with a pattern: accepted and rejected examples.
        let cases: [(key: String, good: [ConfigValue], bad: [ConfigValue])] = [
            ("schedule", [.string("0 2 * * *"), .string("*/15 1-5 * * MON-FRI"), .string("@daily"), .string("")],
             [.string("every night"), .string("0 2 * *")]),
            ("immich_user_id", [.string("3f2c6a1e-0b7d-4c1a-9e2f-5a6b7c8d9e0f")], [.string("alice")]),
            ("export_dir", [.string("/media/immich-albums"), .string("/share/export")], [.string("relative/dir"), .string("/config/x")]),
            ("assets_root", [.string("/media/immich"), .string("/share/immich")], [.string("/"), .string("/media/")]),
            ("discovery_prefix", [.string("homeassistant"), .string("ha/discovery")], [.string("ha/#"), .string("/ha"), .string("")]),
            ("topic_prefix", [.string("immich_backup")], [.string("immich/+"), .string("immich/")]),
        ]
        for (key, good, bad) in cases {
            let found = try Self.schemaElement(for: key)
            let element = try #require(found, "\(key) has no scalar schema element")
            for value in good {
                #expect(element.validate(value) == nil, "\(key): \(value) should pass the schema")
                if key != "export_dir" && key != "assets_root" {   // those depend on this machine's folders
                    #expect(try agentProblems(key, value).isEmpty, "\(key): the agent rejects \(value)")
                }
            }
            for value in bad { #expect(element.validate(value) != nil, "\(key): \(value) should fail the schema") }
        }
        let pathMapType = try #require(schema["path_map"])
        let entry = ConfigValue.list([.map([("from", .string("/mnt/photos")), ("to", .string("/media/photos"))])])
        #expect(AddonSchemaElement.valueProblems(entry, type: pathMapType).isEmpty)
        #expect(try agentProblems("path_map", entry).isEmpty)
        let relative = ConfigValue.list([.map([("from", .string("/mnt/photos")), ("to", .string("photos"))])])
        #expect(!AddonSchemaElement.valueProblems(relative, type: pathMapType).isEmpty, "path_map.to must be absolute")
        let allowType = try #require(schema["web_allow"])
        #expect(AddonSchemaElement.valueProblems(.list([.string("192.168.1.0/24"), .string("fd00::/8")]), type: allowType).isEmpty)
        #expect(!AddonSchemaElement.valueProblems(.list([.string("everyone")]), type: allowType).isEmpty)
    }

    @Test("every option the agent reads is declared in the schema, and nothing else")
    func agentKeys() throws {
        let declared = Set(try Self.schema().map(\.0))
        let read = Set(OptionsFile.allKeys)
        #expect(read.subtracting(declared).isEmpty, "not declared in addon/config.yaml: \(read.subtracting(declared).sorted())")
        #expect(declared.subtracting(read).isEmpty, "declared but never read: \(declared.subtracting(read).sorted())")
        // The standalone config.yaml documents the same keys.
        let standalone = Set(try Self.yaml("config.yaml").pairs?.map(\.0) ?? [])
        #expect(standalone == declared)
    }

    @Test("the options validate through the agent's ConfigLoader, agreeing with its defaults")
    func loaderAcceptsOptions() throws {
        let parent = try TempDirectory.make("addon-config")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let options = try Self.userOptions(exportParent: parent)
        let loaded = try OptionsFile.validate(try Self.asOptionsJSON(options), source: "options.json")
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")

        // Whatever the add-on sets by default is what the agent would use anyway.
        let required: Set<String> = ["export_dir", "assets_root", "db_host", "db_pass"]
        let minimal = try OptionsFile.validate(
            try Self.asOptionsJSON(options.filter { required.contains($0.0) }), source: "minimal.json")
        #expect(loaded.export == minimal.export, "an add-on default differs from the export's default")
        #expect(loaded.agent == minimal.agent, "an add-on default differs from the agent's default")
        #expect(loaded.web == minimal.web, "an add-on default differs from the page's default")

        // What the agent insists on is either given a default or mandatory in the add-on.
        var mustHave: Set<String> = []
        do { _ = try OptionsFile.validate(.map([]), source: "empty") } catch { mustHave = Set(error.problems.map(\.key)) }
        #expect(!mustHave.isEmpty)
        let schema = Dictionary(try Self.schema(), uniquingKeysWith: { a, _ in a })
        for key in mustHave {
            #expect(AddonSchemaElement(schema[key]?.text ?? "")?.optional == false, "\(key) is required by the agent but optional in the add-on")
        }

        // A user who leaves a mandatory option empty gets the agent's message naming it.
        var missing = options
        missing.removeAll { $0.0 == "db_host" }
        #expect(throws: ConfigError.self) { try OptionsFile.validate(try Self.asOptionsJSON(missing), source: "options.json") }
    }

    // MARK: Translations, repository, Dockerfile, docs, images

    @Test("translations/en.yaml names and describes every option")
    func translations() throws {
        let english = try Self.yaml("addon/translations/en.yaml")
        let configuration = try #require(english["configuration"]?.pairs)
        let translated = Dictionary(configuration, uniquingKeysWith: { a, _ in a })
        let schema = try Self.schema()
        for (key, type) in schema {
            let entry = translated[key]
            #expect(Self.nonEmpty(entry?["name"]?.text), "\(key) has no translated name")
            #expect(Self.nonEmpty(entry?["description"]?.text), "\(key) has no translated description")
            // Fields of a list of mappings (path_map: from, to).
            for field in type.items?.first?.pairs?.map(\.0) ?? [] {
                let fieldEntry = entry?["fields"]?[field]
                #expect(Self.nonEmpty(fieldEntry?["name"]?.text), "\(key).\(field) has no translated name")
                #expect(Self.nonEmpty(fieldEntry?["description"]?.text), "\(key).\(field) has no translated description")
            }
        }
        let extra = Set(translated.keys).subtracting(schema.map(\.0))
        #expect(extra.isEmpty, "translations for unknown options: \(extra.sorted())")
    }

    @Test("repository.yaml names the repository")
    func repository() throws {
        let repository = try Self.yaml("repository.yaml")
        let keys = Set(repository.pairs?.map(\.0) ?? [])
        #expect(keys == ["name", "url", "maintainer"], "repository.yaml keys: \(keys.sorted())")
        for key in keys { #expect(Self.nonEmpty(repository[key]?.text), "\(key) must be non-empty text") }
        #expect(repository["url"]?.text == Self.projectURL)
    }

    @Test("the Dockerfile builds a slim, labelled image with a health check on the Ingress port")
    func dockerfile() throws {
        let text = try Self.text("addon/Dockerfile")
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let froms = lines.filter { $0.hasPrefix("FROM ") }
        #expect(froms.count == 2, "multi-stage: a builder and a runtime stage")
        #expect(froms.first?.contains("swift:") == true && froms.first?.contains(" AS builder") == true)
        #expect(froms.last?.hasPrefix("FROM ghcr.io/home-assistant/base-debian:") == true, "runtime: HA's Debian base")
        let instructions = lines.filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        let usesBuildFrom = instructions.contains("BUILD_FROM")
        #expect(!usesBuildFrom, "BUILD_FROM is no longer passed by the Supervisor")
        for needle in [
            "libpq-dev", "libmosquitto-dev", "swift build -c release --product immich-export --static-swift-stdlib",
            "libpq5", "libmosquitto1", "ARG BUILD_VERSION", "ARG BUILD_ARCH",
            "io.hass.version=\"${BUILD_VERSION}\"", "io.hass.type=\"app\"", "io.hass.arch=\"${BUILD_ARCH}\"",
            "HEALTHCHECK", "/api/health", "\"agent\"", "/data/options.json",
        ] {
            let found = instructions.contains(needle)
            #expect(found, "Dockerfile lacks \(needle)")
        }
        let ingressPort = try Self.manifest()["ingress_port"]?.number ?? 8099
        let health = lines.first { $0.contains("/api/health") } ?? ""
        #expect(health.contains("127.0.0.1:\(ingressPort)/"), "the health check must use the Ingress port")
        // The runtime stage installs no compiler or -dev packages.
        let runtime = instructions.components(separatedBy: froms.last ?? "").last ?? ""
        let runtimeDev = runtime.contains("-dev")
        #expect(!runtimeDev, "the runtime stage installs -dev packages")
    }

    @Test("DOCS.md, CHANGELOG.md and the README cover setup, entities and migration")
    func docs() throws {
        let docs = try Self.text("addon/DOCS.md")
        let entities = [
            "sensor.immich_backup_status", "sensor.immich_backup_copied", "sensor.immich_backup_skipped",
            "sensor.immich_backup_failed", "sensor.immich_backup_deleted", "sensor.immich_backup_total",
            "sensor.immich_backup_last_run", "sensor.immich_backup_guard", "sensor.immich_backup_error",
            "sensor.immich_backup_percent_copied", "sensor.immich_backup_files_per_second",
            "sensor.immich_backup_next_run", "binary_sensor.immich_backup_running",
            "button.immich_backup_run_now", "button.immich_backup_dry_run", "button.immich_backup_cancel",
        ]
        for needle in entities + [
            "5432:5432", "CREATE ROLE", "GRANT CONNECT", "GRANT USAGE ON SCHEMA public", "GRANT SELECT ON ALL TABLES",
            "ALTER DEFAULT PRIVILEGES", "Settings → System → Storage", "Migrating from the Python add-on", "automation",
        ] {
            let found = docs.contains(needle)
            #expect(found, "DOCS.md does not mention \(needle)")
        }
        for key in OptionsFile.allKeys {
            let found = docs.contains("`\(key)`")
            #expect(found, "DOCS.md does not explain \(key)")
        }
        let readme = try Self.text("README.md")
        for needle in ["docker build -f addon/Dockerfile .", "(addon/DOCS.md)", "scripts/demo", "scripts/test"] {
            let found = readme.contains(needle)
            #expect(found, "README.md does not mention \(needle)")
        }
    }

    @Test("icon.png and logo.png are real PNGs of the usual sizes")
    func images() throws {
        for (name, width, height) in [("icon.png", 128, 128), ("logo.png", 250, 100)] {
            let data = try Data(contentsOf: URL(fileURLWithPath: Self.repoRoot + "/addon/" + name))
            let bytes = [UInt8](data)
            #expect(bytes.count > 33 && bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(name) is not a PNG")
            guard bytes.count > 33 else { continue }
            #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
            let w = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(abs(w - width) <= width / 5 && abs(h - height) <= height / 5, "\(name) is \(w)×\(h), expected about \(width)×\(height)")
        }
    }

    // MARK: Helpers

    /// Options as a user would submit them: the database filled in (unless `filled` is false), and
    /// export_dir's parent replaced by `exportParent`, a folder that exists on this machine (the
    /// loader checks it).
    static func userOptions(exportParent: String, filled: Bool = true) throws -> [(String, ConfigValue)] {
        let parent = URL(fileURLWithPath: exportParent)
        let database: [String: ConfigValue] = ["db_host": .string("192.168.1.10"), "db_pass": .string("0123")]
        return try options().map { key, value in
            if filled, let given = database[key] { return (key, given) }
            if key == "export_dir", let path = value.text {
                return (key, .string(parent.appendingPathComponent((path as NSString).lastPathComponent).path))
            }
            return (key, value)
        }
    }

    /// Round-trips options through JSON, as the Supervisor writes /data/options.json.
    static func asOptionsJSON(_ options: [(String, ConfigValue)]) throws -> ConfigValue {
        func plain(_ value: ConfigValue) -> Any {
            switch value {
            case let .string(s): return s
            case let .int(i): return i
            case let .double(d): return d
            case let .bool(b): return b
            case let .list(items): return items.map(plain)
            case let .map(pairs): return Dictionary(pairs.map { ($0.0, plain($0.1)) }, uniquingKeysWith: { a, _ in a })
            case .null: return NSNull()
            }
        }
        let data = try JSONSerialization.data(withJSONObject: plain(.map(options)), options: [.sortedKeys])
        return try ConfigValue.parseJSON(data)
    }

    static func schemaElement(for key: String) throws -> AddonSchemaElement? {
        try schema().first { $0.0 == key }?.1.text.flatMap(AddonSchemaElement.init)
    }

    static func nonEmpty(_ text: String?) -> Bool { !(text ?? "").isEmpty }

    static func fullMatch(_ text: String, _ pattern: String) -> Bool {
        text.range(of: "^(?:" + pattern + ")$", options: .regularExpression) != nil
    }
}

/// One scalar element of an add-on `schema`, parsed by the Supervisor's grammar:
/// `bool | email | url | port | device[(subsystem=x)] | str[(min,max)] | password[(min,max)] |
/// int[(min,max)] | float[(min,max)] | match(REGEX) | list(a|b|…)`, optionally followed by `?`.
struct AddonSchemaElement: Equatable {
    enum Kind: Equatable {
        case bool, email, url, port, device
        case str(min: Int?, max: Int?)
        case password(min: Int?, max: Int?)
        case int(min: Int?, max: Int?)
        case float(min: Double?, max: Double?)
        case match(String)
        case list([String])
    }

    var kind: Kind
    var optional: Bool

    init?(_ raw: String) {
        var text = raw
        optional = text.hasSuffix("?") && !text.hasSuffix("\\?")
        if optional { text.removeLast() }
        switch text {
        case "bool": kind = .bool
        case "email": kind = .email
        case "url": kind = .url
        case "port": kind = .port
        case "device": kind = .device
        case "str": kind = .str(min: nil, max: nil)
        case "password": kind = .password(min: nil, max: nil)
        case "int": kind = .int(min: nil, max: nil)
        case "float": kind = .float(min: nil, max: nil)
        default:
            guard let open = text.firstIndex(of: "("), text.hasSuffix(")") else { return nil }
            let name = String(text[..<open])
            let inner = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            switch name {
            case "match": kind = .match(inner)
            case "list":
                guard !inner.isEmpty else { return nil }
                kind = .list(inner.split(separator: "|", omittingEmptySubsequences: false).map(String.init))
            case "device":
                guard AddonConfigTests.fullMatch(inner, "subsystem=[a-z]+") else { return nil }
                kind = .device
            case "str", "password", "int", "float":
                let bounds = inner.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard bounds.count == 2 else { return nil }
                let number = name == "float" ? "-?[0-9]*\\.?[0-9]+" : name == "int" ? "-?[0-9]+" : "[0-9]+"
                guard bounds.allSatisfy({ $0.isEmpty || AddonConfigTests.fullMatch($0, number) }) else { return nil }
                if name == "float" {
                    kind = .float(min: Double(bounds[0]), max: Double(bounds[1]))
                } else {
                    let lo = Int(bounds[0]), hi = Int(bounds[1])
                    kind = name == "str" ? .str(min: lo, max: hi) : name == "password" ? .password(min: lo, max: hi) : .int(min: lo, max: hi)
                }
            default: return nil
            }
        }
    }

    /// nil when `value` passes, else why not (as the Supervisor would coerce a user's value).
    func validate(_ value: ConfigValue) -> String? {
        func within<T: Comparable>(_ v: T, _ lo: T?, _ hi: T?) -> Bool { (lo.map { v >= $0 } ?? true) && (hi.map { v <= $0 } ?? true) }
        switch kind {
        case .bool:
            return value.flag == nil ? "expected a boolean" : nil
        case .port:
            guard let i = value.number, (1...65535).contains(i) else { return "expected a port 1–65535" }
            return nil
        case let .int(lo, hi):
            guard let i = value.number else { return "expected an integer" }
            return within(i, lo, hi) ? nil : "\(i) outside \(lo.map(String.init) ?? "")…\(hi.map(String.init) ?? "")"
        case let .float(lo, hi):
            let d: Double
            switch value {
            case let .double(x): d = x
            case let .int(x): d = Double(x)
            default: return "expected a number"
            }
            return within(d, lo, hi) ? nil : "\(d) outside the range"
        case let .str(lo, hi), let .password(lo, hi):
            guard let s = value.text else { return "expected text" }
            return within(s.count, lo, hi) ? nil : "length \(s.count) outside the range"
        case .email:
            return AddonConfigTests.fullMatch(value.text ?? "", "[^@\\s]+@[^@\\s]+") ? nil : "expected an e-mail address"
        case .url:
            guard let s = value.text, let url = URL(string: s), url.scheme != nil, url.host != nil else { return "expected a URL" }
            return nil
        case .device:
            return (value.text ?? "").hasPrefix("/dev/") ? nil : "expected a device path"
        case let .list(values):
            return values.contains(value.text ?? "\u{0}") ? nil : "expected one of \(values)"
        case let .match(pattern):
            guard let s = value.text else { return "expected text" }
            guard let regex = try? NSRegularExpression(pattern: pattern) else { return "invalid regular expression \(pattern)" }
            // The Supervisor uses re.match: the pattern must match at the start.
            let found = regex.firstMatch(in: s, options: [.anchored], range: NSRange(s.startIndex..., in: s))
            return found == nil ? "\"\(s)\" does not match \(pattern)" : nil
        }
    }

    /// Problems with a schema entry's shape: a scalar element, a one-item list of an element or of a
    /// mapping of elements, or a mapping of those; at most two levels deep.
    static func structureProblems(_ type: ConfigValue, depth: Int) -> [String] {
        switch type {
        case let .string(s):
            guard let element = AddonSchemaElement(s) else { return ["'\(s)' is not a schema element"] }
            if case let .match(pattern) = element.kind, (try? NSRegularExpression(pattern: pattern)) == nil {
                return ["invalid regular expression in '\(s)'"]
            }
            return []
        case let .list(items):
            guard depth < 2 else { return ["nested deeper than two levels"] }
            guard items.count == 1 else { return ["a list schema has exactly one item type"] }
            return structureProblems(items[0], depth: depth + 1)
        case let .map(pairs):
            guard depth < 2 else { return ["nested deeper than two levels"] }
            return pairs.flatMap { key, value in structureProblems(value, depth: depth + 1).map { "\(key): \($0)" } }
        default:
            return ["\(type) is not a schema type"]
        }
    }

    /// Validates an option value (scalar, list or mapping) against its schema entry.
    static func valueProblems(_ value: ConfigValue, type: ConfigValue) -> [String] {
        switch type {
        case let .string(s):
            guard let element = AddonSchemaElement(s) else { return ["bad schema element \(s)"] }
            return element.validate(value).map { [$0] } ?? []
        case let .list(itemTypes):
            guard let items = value.items, let itemType = itemTypes.first else { return ["expected a list"] }
            return items.enumerated().flatMap { index, item in
                valueProblems(item, type: itemType).map { "item \(index + 1): \($0)" }
            }
        case let .map(fields):
            guard let pairs = value.pairs else { return ["expected a mapping"] }
            let types = Dictionary(fields, uniquingKeysWith: { a, _ in a })
            var problems = pairs.compactMap { key, _ in types[key] == nil ? "unknown field \(key)" : nil }
            for (key, fieldType) in fields {
                if let fieldValue = pairs.first(where: { $0.0 == key })?.1 {
                    problems += valueProblems(fieldValue, type: fieldType).map { "\(key): \($0)" }
                } else if AddonSchemaElement(fieldType.text ?? "")?.optional != true {
                    problems.append("missing field \(key)")
                }
            }
            return problems
        default:
            return ["bad schema entry"]
        }
    }
}

fileprivate extension ConfigValue {
    subscript(key: String) -> ConfigValue? {
        guard case let .map(pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    var pairs: [(String, ConfigValue)]? {
        if case let .map(p) = self { return p }
        return nil
    }

    var items: [ConfigValue]? {
        if case let .list(i) = self { return i }
        return nil
    }

    var text: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    var flag: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    var number: Int? {
        if case let .int(i) = self { return i }
        return nil
    }
}
