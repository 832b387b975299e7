import ArgumentParser
import ExportCore
import Foundation
import Logging

/// Exit codes: 0 done, 1 the run failed, 2 the configuration is unusable.
enum Exit {
    static let failed = ExitCode(1)
    static let badConfig = ExitCode(2)
}

/// Loads the config or exits 2 with a message naming the key. Bootstraps logging once.
/// `allowUnsetDatabase`: the agent starts without `db_host` and reports it instead.
func loadConfigOrExit(_ path: String?, logLevelOverride: Logger.Level? = nil, allowUnsetDatabase: Bool = false) throws -> ExportConfig {
    // A peer closing a socket (MQTT broker, browser, database) must never kill the process.
    signal(SIGPIPE, SIG_IGN)
    let loaded: ConfigLoader.Loaded
    do {
        loaded = try ConfigLoader.load(path: path, allowUnsetDatabase: allowUnsetDatabase)
    } catch {
        Console.error("error: \(error.description)")
        throw Exit.badConfig
    }
    LogSetup.bootstrap(level: logLevelOverride ?? loaded.config.logLevel.loggerLevel)
    let logger = Logger(label: "immich-export")
    for warning in loaded.warnings { logger.warning("\(warning)", metadata: ["config": "\(loaded.source)"]) }
    return loaded.config
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
