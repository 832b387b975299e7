import Foundation
import Postgres

/// Reads the options file (YAML, or the add-on's /data/options.json) into a document that each
/// part of the program validates its own options from (`OptionReader`).
public enum ConfigLoader {
    /// The add-on's options file; the default config path when it exists.
    public static let addonOptionsPath = "/data/options.json"

    /// `path` nil → /data/options.json if present, else ./config.yaml.
    public static func defaultPath(fileManager: FileManager = .default) -> String {
        fileManager.fileExists(atPath: addonOptionsPath) ? addonOptionsPath : "config.yaml"
    }

    /// The parsed file, not yet validated.
    public static func read(path: String) throws(ConfigError) -> ConfigValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (permissions?)" : "does not exist"
            throw ConfigError(source: path, key: "config", "the file \(reason); pass --config PATH or create it from the documented config.yaml")
        }
        do {
            let looksLikeJSON = path.hasSuffix(".json") || data.first.map { $0 == UInt8(ascii: "{") } == true
            if looksLikeJSON { return try ConfigValue.parseJSON(data) }
            guard let text = String(data: data, encoding: .utf8) else { throw ConfigValueError("the file is not UTF-8 text") }
            return try ConfigValue.parseYAML(text)
        } catch {
            throw ConfigError(source: path, key: "config", "cannot parse the file: \(error)")
        }
    }

    /// A reader over the document's options; a document that is not a mapping is an error.
    public static func reader(for document: ConfigValue, source: String) throws(ConfigError) -> OptionReader {
        guard case let .map(pairs) = document else {
            throw ConfigError(source: source, key: "config", "expected a mapping of option: value, got \(document.typeName)")
        }
        return OptionReader(pairs: pairs)
    }

    static func normalizedDirectory(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }
}

extension ExportConfig {
    /// The export's options from `reader`, each bad one recorded there; nil when any was bad.
    /// - Parameters:
    ///   - allowUnsetDatabase: an empty `db_host` is no error (the agent starts and reports
    ///     `setupProblem` instead); one-shot commands need the database and leave it false.
    ///   - fromAddonOptions: read from the add-on's options.json (messages name its Configuration tab).
    public static func read(from reader: inout OptionReader, allowUnsetDatabase: Bool = false, fromAddonOptions: Bool = false) -> ExportConfig? {
        let problemsBefore = reader.problems.count
        let exportDir = reader.path(ExportOption.exportDir)
        let assetsRoot = reader.path(ExportOption.assetsRoot)
        let database = readDatabase(&reader, allowUnsetDatabase: allowUnsetDatabase)
        let retries = reader.int(ExportOption.dbMaxRetries, default: 3, range: 0...100)
        let userID = reader.string(ExportOption.immichUserID).flatMap { $0.isEmpty ? nil : $0 }
        if let userID, UUID(uuidString: userID) == nil {
            reader.problem(ExportOption.immichUserID, "expected an Immich user id (a UUID such as 3f2c…), got \"\(userID)\"")
        }
        let level = reader.oneOf(ExportOption.logLevel, LogLevelOption.allCases.map(\.rawValue)).flatMap(LogLevelOption.init) ?? .info
        let guardRule = GuardRule(minFoundAbsolute: reader.int(ExportOption.minFoundAbs, default: 100, range: 0...Int.max),
                                  minFoundFraction: reader.double(ExportOption.minFoundFraction, default: 0.05, range: 0...1))
        let pathMap = reader.pathMap(ExportOption.pathMap)
        let concurrency = reader.int(ExportOption.copyConcurrency, default: 4, range: 1...32)
        let exportMode = reader.oneOf(ExportOption.exportMode, ExportMode.allCases.map(\.rawValue)).flatMap(ExportMode.init) ?? .copy
        let verify = reader.bool(ExportOption.verify, default: false)
        let selection = Selection.read(from: &reader)
        let layout = Layout.read(from: &reader)
        checkPlacement(exportDir: exportDir, assetsRoot: assetsRoot, &reader)

        guard reader.problems.count == problemsBefore, let exportDir, let assetsRoot else { return nil }
        var config = ExportConfig(
            exportDir: ConfigLoader.normalizedDirectory(exportDir), assetsRoot: ConfigLoader.normalizedDirectory(assetsRoot),
            database: database, dbMaxRetries: retries, immichUserID: userID?.lowercased(), logLevel: level,
            guardRule: guardRule, pathMap: pathMap, copyConcurrency: concurrency)
        config.exportMode = exportMode
        config.verify = verify
        config.selection = selection
        config.layout = layout
        config.fromAddonOptions = fromAddonOptions
        return config
    }

    private static func readDatabase(_ reader: inout OptionReader, allowUnsetDatabase: Bool) -> PostgresConfiguration {
        let host = (reader.string(ExportOption.dbHost) ?? "").trimmingCharacters(in: .whitespaces)
        if host.isEmpty && !allowUnsetDatabase {
            reader.problem(ExportOption.dbHost, "is required: the host name or IP address of the machine running Immich's PostgreSQL")
        }
        let port = reader.int(ExportOption.dbPort, default: 5432, range: 1...65535)
        let name = reader.string(ExportOption.dbName) ?? "immich"
        let user = reader.string(ExportOption.dbUser) ?? "postgres"
        let password = reader.string(ExportOption.dbPass)
        let sslMode = reader.oneOf(ExportOption.dbSSLMode, ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])
        let timeout = reader.int(ExportOption.dbTimeout, default: 10, range: 1...600)
        return PostgresConfiguration(host: host, port: port, database: name, user: user, password: password,
                                     connectTimeout: timeout, sslMode: sslMode)
    }

    /// export_dir must not overlap assets_root, and its parent must exist (a mounted share).
    private static func checkPlacement(exportDir: String?, assetsRoot: String?, _ reader: inout OptionReader) {
        if let exportDir, let assetsRoot {
            let e = ConfigLoader.normalizedDirectory(exportDir), a = ConfigLoader.normalizedDirectory(assetsRoot)
            if e == a || e.hasPrefix(a + "/") || a.hasPrefix(e + "/") {
                reader.problem(ExportOption.exportDir, "must not be inside assets_root or contain it (export_dir \(exportDir), assets_root \(assetsRoot))")
            }
        }
        if let exportDir {
            let parent = (ConfigLoader.normalizedDirectory(exportDir) as NSString).deletingLastPathComponent
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: parent.isEmpty ? "/" : parent, isDirectory: &isDir) || !isDir.boolValue {
                reader.problem(ExportOption.exportDir, "its parent folder \(parent) does not exist — mount the share or create the folder first")
            }
        }
    }
}

extension Selection {
    static func read(from reader: inout OptionReader) -> Selection {
        var selection = Selection()
        selection.includeLivePhotos = reader.bool(ExportOption.includeLivePhotos, default: false)
        selection.includeSidecars = reader.bool(ExportOption.includeSidecars, default: false)
        selection.includeArchived = reader.bool(ExportOption.includeArchived, default: true)
        selection.includeSharedAlbums = reader.bool(ExportOption.includeSharedAlbums, default: false)
        selection.albumsInclude = reader.stringList(ExportOption.albumsInclude)
        selection.albumsExclude = reader.stringList(ExportOption.albumsExclude)
        return selection
    }
}

extension Layout {
    static func read(from reader: inout OptionReader) -> Layout {
        var layout = Layout()
        layout.folderTemplate = reader.template(ExportOption.folderTemplate, default: "{album}", allowed: NameTemplate.folderPlaceholders)
        layout.fileTemplate = reader.template(ExportOption.fileTemplate, default: "{original}", allowed: NameTemplate.filePlaceholders)
        layout.folderMtime = reader.bool(ExportOption.folderMtime, default: false)
        return layout
    }
}

/// Typed access to the raw options that records a problem per bad key instead of stopping at the
/// first: every part reads its own options through one reader, and the caller reports all the
/// problems together in one `ConfigError`.
public struct OptionReader: Sendable {
    let names: [String]
    let values: [String: ConfigValue]
    public private(set) var problems: [ConfigError.Problem] = []

    public init(pairs: [(String, ConfigValue)]) {
        names = pairs.map(\.0)
        values = Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    public mutating func problem(_ key: some OptionName, _ message: String) {
        problems.append(.init(key: key.rawValue, message: message))
    }

    /// One warning per option in the document that no part reads. Never contains a value.
    public func unknownOptions(known: Set<String>) -> [String] {
        names.filter { !known.contains($0) }.map {
            "unknown option '\($0)' is ignored (check the spelling; known options are listed in the README)"
        }
    }

    /// Throws every problem recorded so far as one error.
    public func throwProblems(source: String) throws(ConfigError) {
        if !problems.isEmpty { throw ConfigError(source: source, problems: problems) }
    }

    private func raw(_ key: some OptionName) -> ConfigValue? {
        guard let v = values[key.rawValue] else { return nil }
        if case .null = v { return nil }
        return v
    }

    /// Describes a value for an error message without ever echoing a secret.
    private func shown(_ key: some OptionName, _ value: ConfigValue) -> String {
        key.isSecret ? value.typeName : "\(value.typeName) (\(value.plainText))"
    }

    public mutating func string(_ key: some OptionName, required: Bool = false) -> String? {
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

    public mutating func path(_ key: some OptionName) -> String? {
        guard let s = string(key, required: true), !s.isEmpty else { return nil }
        guard s.hasPrefix("/") else {
            problem(key, "expected an absolute path (starting with /), got \"\(s)\"")
            return nil
        }
        return s
    }

    public mutating func int(_ key: some OptionName, default def: Int, range: ClosedRange<Int>) -> Int {
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

    public mutating func double(_ key: some OptionName, default def: Double, range: ClosedRange<Double>) -> Double {
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

    public mutating func bool(_ key: some OptionName, default def: Bool) -> Bool {
        switch raw(key) {
        case nil: return def
        case let .bool(b)?: return b
        case let .string(s)? where ["true", "false"].contains(s.lowercased()): return s.lowercased() == "true"
        case let v?:
            problem(key, "expected true or false, got \(shown(key, v))")
            return def
        }
    }

    public mutating func oneOf(_ key: some OptionName, _ allowed: [String]) -> String? {
        guard let s = string(key) else { return nil }
        let lowered = s.lowercased()
        let normalized = lowered == "warn" ? "warning" : lowered
        guard allowed.contains(normalized) else {
            problem(key, "expected one of \(allowed.joined(separator: ", ")), got \"\(s)\"")
            return nil
        }
        return normalized
    }

    public mutating func topicSegment(_ key: some OptionName, default def: String) -> String {
        guard let s = string(key), !s.isEmpty else { return def }
        if s.contains("#") || s.contains("+") || s.hasPrefix("/") || s.hasSuffix("/") {
            problem(key, "must be a plain MQTT topic prefix without wildcards or leading/trailing '/', got \"\(s)\"")
            return def
        }
        return s
    }

    public mutating func template(_ key: some OptionName, default def: String, allowed: Set<String>) -> String {
        guard let s = string(key), !s.trimmingCharacters(in: .whitespaces).isEmpty else { return def }
        do {
            _ = try NameTemplate(parsing: s, allowed: allowed)
        } catch {
            problem(key, error.message)
            return def
        }
        return s
    }

    public mutating func stringList(_ key: some OptionName) -> [String] {
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
    public mutating func pathMap(_ key: some OptionName) -> [PathMapping] {
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
