import Agent
import ExportCore
import WebUI

/// The one options file (config.yaml, or the add-on's options.json) as every command reads it:
/// the export's options (`ExportConfig`), the agent's (`AgentConfig`) and the page's
/// (`WebOptions`), each validated by its own part. All bad options, whichever part reads them,
/// come back together in one `ConfigError`; options no part reads are warnings.
public enum OptionsFile {
    public struct Loaded: Sendable {
        public var export: ExportConfig
        public var agent: AgentConfig
        public var web: WebOptions
        /// Non-fatal findings, e.g. unknown options. Never contain secret values.
        public var warnings: [String]
        public var source: String
    }

    /// Every option some part reads.
    public static let allKeys: [String] =
        ExportOption.allCases.map(\.rawValue) + AgentOption.allCases.map(\.rawValue) + WebOption.allCases.map(\.rawValue)

    /// - Parameters:
    ///   - path: nil → /data/options.json if present, else ./config.yaml.
    ///   - allowUnsetDatabase: an empty `db_host` is no error (the agent starts and reports it).
    public static func load(path: String?, allowUnsetDatabase: Bool = false) throws(ConfigError) -> Loaded {
        let path = path ?? ConfigLoader.defaultPath()
        return try validate(try ConfigLoader.read(path: path), source: path, allowUnsetDatabase: allowUnsetDatabase)
    }

    public static func validate(_ document: ConfigValue, source: String, allowUnsetDatabase: Bool = false) throws(ConfigError) -> Loaded {
        var reader = try ConfigLoader.reader(for: document, source: source)
        let export = ExportConfig.read(from: &reader, allowUnsetDatabase: allowUnsetDatabase,
                                       fromAddonOptions: source == ConfigLoader.addonOptionsPath)
        let agent = AgentConfig.read(from: &reader)
        let web = WebOptions.read(from: &reader)
        try reader.throwProblems(source: source)
        guard let export, let agent, let web else {
            preconditionFailure("a part rejected its options without naming a problem")
        }
        return Loaded(export: export, agent: agent, web: web,
                      warnings: reader.unknownOptions(known: Set(allKeys)), source: source)
    }
}
