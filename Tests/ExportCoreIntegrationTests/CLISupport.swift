import ExportCore
import Foundation
import TestSupport

/// Runs the real `immich-export` binary built next to the tests.
func runCLI(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try CLIConfig.run(arguments, asUnprivileged: false)
}

enum CLIConfig {
    static var binary: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("immich-export").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("immich-export").path
    }

    static func write(_ sandbox: ExportSandbox, extra: String = "", password: String? = nil) throws -> String {
        let c = sandbox.databaseConfiguration
        let yaml = """
            export_dir: \(sandbox.exportDir)
            assets_root: \(sandbox.assetsRoot)
            db_host: \(c.host)
            db_port: \(c.port)
            db_name: \(c.database)
            db_user: \(c.user)
            db_pass: "\(password ?? c.password!)"
            min_found_abs: 1
            db_max_retries: 0
            \(extra)
            """
        let path = sandbox.root + "/config-\(UUID().uuidString.prefix(6)).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        return path
    }

    static func run(_ arguments: [String], asUnprivileged: Bool) throws -> (status: Int32, output: String) {
        let (exe, args) = asUnprivileged ? ("/usr/sbin/runuser", ["-u", "postgres", "--", binary] + arguments) : (binary, arguments)
        do { return (0, try Shell.run(exe, args)) } catch let f as Shell.Failure { return (f.status, f.output) }
    }
}

