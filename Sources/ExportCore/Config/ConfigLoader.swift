import Foundation
import Postgres

/// Reads and validates a config file (YAML, or the add-on's /data/options.json).
public enum ConfigLoader {
    /// The add-on's options file; the default config path when it exists.
    public static let addonOptionsPath = "/data/options.json"

    public struct Loaded: Sendable {
        public var config: ExportConfig
        /// Non-fatal findings, e.g. unknown keys. Never contain secret values.
        public var warnings: [String]
        public var source: String
    }

    /// `path` nil → /data/options.json if present, else ./config.yaml.
    public static func defaultPath(fileManager: FileManager = .default) -> String {
        fileManager.fileExists(atPath: addonOptionsPath) ? addonOptionsPath : "config.yaml"
    }

    /// - Parameter allowUnsetDatabase: an empty `db_host` is no error (the agent starts and reports
    ///   `ExportConfig.setupProblem` instead); one-shot commands need the database and leave it false.
    public static func load(path: String?, allowUnsetDatabase: Bool = false) throws(ConfigError) -> Loaded {
        let path = path ?? defaultPath()
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (permissions?)" : "does not exist"
            throw ConfigError(source: path, key: "config", "the file \(reason); pass --config PATH or create it from the documented config.yaml")
        }
        let value: ConfigValue
        do {
            let looksLikeJSON = path.hasSuffix(".json") || data.first.map { $0 == UInt8(ascii: "{") } == true
            if looksLikeJSON {
                value = try ConfigValue.parseJSON(data)
            } else {
                guard let text = String(data: data, encoding: .utf8) else {
                    throw ConfigValueError("the file is not UTF-8 text")
                }
                value = try ConfigValue.parseYAML(text)
            }
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(source: path, key: "config", "cannot parse the file: \(error)")
        }
        return try validate(value, source: path, allowUnsetDatabase: allowUnsetDatabase)
    }

    public static func validate(_ document: ConfigValue, source: String, allowUnsetDatabase: Bool = false) throws(ConfigError) -> Loaded {
        guard case let .map(pairs) = document else {
            throw ConfigError(source: source, key: "config", "expected a mapping of option: value, got \(document.typeName)")
        }
        var reader = OptionReader(pairs: pairs)
        let known = Set(ConfigKey.allCases.map(\.rawValue))
        let warnings = pairs.map(\.0).filter { !known.contains($0) }.map {
            "unknown option '\($0)' is ignored (check the spelling; known options are listed in the README)"
        }

        let exportDir = reader.path(.exportDir)
        let assetsRoot = reader.path(.assetsRoot)
        let host = (reader.string(.dbHost) ?? "").trimmingCharacters(in: .whitespaces)
        if host.isEmpty && !allowUnsetDatabase {
            reader.problem(.dbHost, "is required: the host name or IP address of the machine running Immich's PostgreSQL")
        }
        let port = reader.int(.dbPort, default: 5432, range: 1...65535)
        let dbName = reader.string(.dbName) ?? "immich"
        let dbUser = reader.string(.dbUser) ?? "postgres"
        let dbPass = reader.string(.dbPass)
        let sslMode = reader.oneOf(.dbSSLMode, ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])
        let timeout = reader.int(.dbTimeout, default: 10, range: 1...600)
        let retries = reader.int(.dbMaxRetries, default: 3, range: 0...100)
        let userID = reader.string(.immichUserID).flatMap { $0.isEmpty ? nil : $0 }
        if let userID, UUID(uuidString: userID) == nil {
            reader.problem(.immichUserID, "expected an Immich user id (a UUID such as 3f2c…), got \"\(userID)\"")
        }
        let schedule = reader.string(.schedule) ?? "0 2 * * *"
        let level = reader.oneOf(.logLevel, LogLevelOption.allCases.map(\.rawValue)).flatMap(LogLevelOption.init) ?? .info
        let minAbs = reader.int(.minFoundAbs, default: 100, range: 0...Int.max)
        let minFraction = reader.double(.minFoundFraction, default: 0.05, range: 0...1)
        let pathMap = reader.pathMap(.pathMap)
        let push = reader.double(.haPushIntervalSec, default: 1, range: 0...3600)
        let concurrency = reader.int(.copyConcurrency, default: 4, range: 1...32)

        var mqtt = MQTTOptions()
        mqtt.host = reader.string(.mqttHost).flatMap { $0.isEmpty ? nil : $0 }
        mqtt.port = reader.int(.mqttPort, default: 1883, range: 1...65535)
        mqtt.user = reader.string(.mqttUser).flatMap { $0.isEmpty ? nil : $0 }
        mqtt.password = reader.string(.mqttPass).flatMap { $0.isEmpty ? nil : $0 }
        mqtt.tls = reader.bool(.mqttTLS, default: false)
        mqtt.discoveryPrefix = reader.topicSegment(.discoveryPrefix, default: "homeassistant")
        mqtt.topicPrefix = reader.topicSegment(.topicPrefix, default: "immich_backup")

        let exportMode = reader.oneOf(.exportMode, ExportMode.allCases.map(\.rawValue)).flatMap(ExportMode.init) ?? .copy
        let verify = reader.bool(.verify, default: false)
        var selection = Selection()
        selection.includeLivePhotos = reader.bool(.includeLivePhotos, default: false)
        selection.includeSidecars = reader.bool(.includeSidecars, default: false)
        selection.includeArchived = reader.bool(.includeArchived, default: true)
        selection.includeSharedAlbums = reader.bool(.includeSharedAlbums, default: false)
        selection.albumsInclude = reader.stringList(.albumsInclude)
        selection.albumsExclude = reader.stringList(.albumsExclude)
        var layout = Layout()
        layout.folderTemplate = reader.template(.folderTemplate, default: "{album}", allowed: NameTemplate.folderPlaceholders)
        layout.fileTemplate = reader.template(.fileTemplate, default: "{original}", allowed: NameTemplate.filePlaceholders)
        layout.folderMtime = reader.bool(.folderMtime, default: false)

        var web = WebOptions()
        web.port = reader.int(.webPort, default: 8099, range: 1...65535)
        web.allow = reader.stringList(.webAllow)

        if let exportDir, let assetsRoot {
            let e = normalizedDirectory(exportDir), a = normalizedDirectory(assetsRoot)
            if e == a || e.hasPrefix(a + "/") || a.hasPrefix(e + "/") {
                reader.problem(.exportDir, "must not be inside assets_root or contain it (export_dir \(exportDir), assets_root \(assetsRoot))")
            }
        }
        if let exportDir {
            let parent = (normalizedDirectory(exportDir) as NSString).deletingLastPathComponent
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: parent.isEmpty ? "/" : parent, isDirectory: &isDir) || !isDir.boolValue {
                reader.problem(.exportDir, "its parent folder \(parent) does not exist — mount the share or create the folder first")
            }
        }

        if !reader.problems.isEmpty { throw ConfigError(source: source, problems: reader.problems) }

        let database = PostgresConfiguration(
            host: host, port: port, database: dbName, user: dbUser, password: dbPass,
            connectTimeout: timeout, sslMode: sslMode)
        let config = ExportConfig(
            exportDir: normalizedDirectory(exportDir!), assetsRoot: normalizedDirectory(assetsRoot!),
            database: database, dbMaxRetries: retries, immichUserID: userID?.lowercased(), schedule: schedule,
            logLevel: level, guardRule: GuardRule(minFoundAbsolute: minAbs, minFoundFraction: minFraction),
            pathMap: pathMap, haPushIntervalSec: push, mqtt: mqtt, web: web, copyConcurrency: concurrency)
        var result = config
        result.exportMode = exportMode
        result.verify = verify
        result.selection = selection
        result.layout = layout
        result.fromAddonOptions = source == addonOptionsPath
        return Loaded(config: result, warnings: warnings, source: source)
    }

    static func normalizedDirectory(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }
}

/// Typed access to the raw options that records a problem per bad key instead of stopping at the first.
struct OptionReader {
    let values: [String: ConfigValue]
    private(set) var problems: [ConfigError.Problem] = []

    init(pairs: [(String, ConfigValue)]) {
        values = Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    mutating func problem(_ key: ConfigKey, _ message: String) {
        problems.append(.init(key: key.rawValue, message: message))
    }

    private func raw(_ key: ConfigKey) -> ConfigValue? {
        guard let v = values[key.rawValue] else { return nil }
        if case .null = v { return nil }
        return v
    }

    /// Describes a value for an error message without ever echoing a secret.
    private func shown(_ key: ConfigKey, _ value: ConfigValue) -> String {
        key.isSecret ? value.typeName : "\(value.typeName) (\(value.plainText))"
    }

    mutating func string(_ key: ConfigKey, required: Bool = false) -> String? {
        switch raw(key) {
        case let .string(s)?: 
            if required && s.trimmingCharacters(in: .whitespaces).isEmpty { problem(key, "is required and must not be empty") }
            return s
        case let .int(i)?: return String(i)          // e.g. an unquoted numeric password in options.json
        case let .double(d)?: return String(d)
        case nil:
            if required { problem(key, "is required") }
            return nil
        case let v?:
            problem(key, "expected text, got \(shown(key, v))")
            return nil
        }
    }

    mutating func path(_ key: ConfigKey) -> String? {
        guard let s = string(key, required: true), !s.isEmpty else { return nil }
        guard s.hasPrefix("/") else {
            problem(key, "expected an absolute path (starting with /), got \"\(s)\"")
            return nil
        }
        return s
    }

    mutating func int(_ key: ConfigKey, default def: Int, range: ClosedRange<Int>) -> Int {
        let value: Int
        switch raw(key) {
        case nil: return def
        case let .int(i)?: value = i
        case let .double(d)? where d.rounded() == d && abs(d) < 1e15: value = Int(d)
        case let .string(s)? where Int(s.trimmingCharacters(in: .whitespaces)) != nil: value = Int(s.trimmingCharacters(in: .whitespaces))!
        case let v?:
            problem(key, "expected a whole number, got \(shown(key, v))")
            return def
        }
        guard range.contains(value) else {
            problem(key, "must be between \(range.lowerBound) and \(range.upperBound == Int.max ? "∞" : String(range.upperBound)), got \(value)")
            return def
        }
        return value
    }

    mutating func double(_ key: ConfigKey, default def: Double, range: ClosedRange<Double>) -> Double {
        let value: Double
        switch raw(key) {
        case nil: return def
        case let .int(i)?: value = Double(i)
        case let .double(d)?: value = d
        case let .string(s)? where Double(s) != nil: value = Double(s)!
        case let v?:
            problem(key, "expected a number, got \(shown(key, v))")
            return def
        }
        guard range.contains(value), value.isFinite else {
            problem(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            return def
        }
        return value
    }

    mutating func bool(_ key: ConfigKey, default def: Bool) -> Bool {
        switch raw(key) {
        case nil: return def
        case let .bool(b)?: return b
        case let .string(s)? where ["true", "false"].contains(s.lowercased()): return s.lowercased() == "true"
        case let v?:
            problem(key, "expected true or false, got \(shown(key, v))")
            return def
        }
    }

    mutating func oneOf(_ key: ConfigKey, _ allowed: [String]) -> String? {
        guard let s = string(key) else { return nil }
        let lowered = s.lowercased()
        let normalized = lowered == "warn" ? "warning" : lowered
        guard allowed.contains(normalized) else {
            problem(key, "expected one of \(allowed.joined(separator: ", ")), got \"\(s)\"")
            return nil
        }
        return normalized
    }

    mutating func topicSegment(_ key: ConfigKey, default def: String) -> String {
        guard let s = string(key), !s.isEmpty else { return def }
        if s.contains("#") || s.contains("+") || s.hasPrefix("/") || s.hasSuffix("/") {
            problem(key, "must be a plain MQTT topic prefix without wildcards or leading/trailing '/', got \"\(s)\"")
            return def
        }
        return s
    }

    mutating func template(_ key: ConfigKey, default def: String, allowed: Set<String>) -> String {
        guard let s = string(key), !s.trimmingCharacters(in: .whitespaces).isEmpty else { return def }
        do {
            _ = try NameTemplate(parsing: s, allowed: allowed)
        } catch {
            problem(key, error.message)
            return def
        }
        return s
    }

    mutating func stringList(_ key: ConfigKey) -> [String] {
        switch raw(key) {
        case nil: return []
        case let .string(s)?: return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case let .list(items)?:
            return items.compactMap {
                if case let .string(s) = $0 { return s }
                problem(key, "expected a list of text entries, found \($0.typeName)")
                return nil
            }
        case let v?:
            problem(key, "expected a list, got \(v.typeName)")
            return []
        }
    }

    /// `path_map`: a list of {from, to}; `to` must be absolute. Also accepts "from=to" strings.
    mutating func pathMap(_ key: ConfigKey) -> [PathMapping] {
        guard let value = raw(key) else { return [] }
        guard case let .list(items) = value else {
            problem(key, "expected a list of {from, to} entries, got \(value.typeName)")
            return []
        }
        var result: [PathMapping] = []
        for (index, item) in items.enumerated() {
            var from: String?, to: String?
            switch item {
            case let .map(pairs):
                for (k, v) in pairs {
                    if case let .string(s) = v {
                        if k == "from" { from = s } else if k == "to" { to = s }
                    }
                }
            case let .string(s):
                let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { from = parts[0]; to = parts[1] }
            default: break
            }
            guard let from, !from.isEmpty, let to, !to.isEmpty else {
                problem(key, "entry \(index + 1) must have non-empty 'from' and 'to' texts")
                continue
            }
            guard to.hasPrefix("/") else {
                problem(key, "entry \(index + 1): 'to' must be an absolute local path, got \"\(to)\"")
                continue
            }
            result.append(PathMapping(from: from, to: to))
        }
        return result
    }
}

extension ConfigValue {
    /// A short rendering for error messages.
    var plainText: String {
        switch self {
        case let .string(s): return "\"\(s.prefix(80))\""
        case let .int(i): return String(i)
        case let .double(d): return String(d)
        case let .bool(b): return String(b)
        case let .list(items): return "[\(items.count) items]"
        case .map: return "{…}"
        case .null: return "null"
        }
    }
}
