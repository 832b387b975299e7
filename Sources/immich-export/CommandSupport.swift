import AppConfig
import ArgumentParser
import ExportCore
import Foundation
import Logging

/// Exit codes: 0 done, 1 the run failed, 2 the configuration is unusable.
enum Exit {
    static let failed = ExitCode(1)
    static let badConfig = ExitCode(2)
}

/// The export's settings, or exit 2 with a message naming every bad option (the agent's and the
/// page's too: one file, checked whole). Bootstraps logging once.
func loadConfigOrExit(_ path: String?, logLevelOverride: Logger.Level? = nil) throws -> ExportConfig {
    try loadOptionsOrExit(path, logLevelOverride: logLevelOverride).export
}

/// Every part's settings, or exit 2 with one message naming every bad option.
/// `allowUnsetDatabase`: the agent starts without `db_host` and reports it instead.
func loadOptionsOrExit(_ path: String?, logLevelOverride: Logger.Level? = nil, allowUnsetDatabase: Bool = false) throws -> OptionsFile.Loaded {
    // A peer closing a socket (MQTT broker, browser, database) must never kill the process.
    signal(SIGPIPE, SIG_IGN)
    let loaded: OptionsFile.Loaded
    do {
        loaded = try OptionsFile.load(path: path, allowUnsetDatabase: allowUnsetDatabase)
    } catch {
        Console.error("error: \(error.description)")
        throw Exit.badConfig
    }
    LogSetup.bootstrap(level: logLevelOverride ?? loaded.export.logLevel.loggerLevel)
    let logger = Logger(label: "immich-export")
    for warning in loaded.warnings { logger.warning("\(warning)", metadata: ["config": "\(loaded.source)"]) }
    return loaded
}

extension LogLevelOption {
    var loggerLevel: Logger.Level {
        switch self {
        case .debug: return .debug
        case .info: return .info
        case .warning: return .warning
        case .error: return .error
        }
    }
}

enum Console {
    static func out(_ line: String) { TerminalLine.shared.print(line, toError: false) }
    static func error(_ line: String) { TerminalLine.shared.print(line, toError: true) }
}
