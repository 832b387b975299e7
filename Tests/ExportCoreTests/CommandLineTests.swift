import ExportCore
import Foundation
import Testing
import TestSupport

/// Runs the real `immich-export` binary built next to the tests.
func runCLI(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var dir = testBinary.deletingLastPathComponent()
    while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("immich-export").path) {
        dir = dir.deletingLastPathComponent()
    }
    let binary = dir.appendingPathComponent("immich-export").path
    do {
        return (0, try Shell.run(binary, arguments))
    } catch let failure as Shell.Failure {
        return (failure.status, failure.output)
    }
}

@Suite("immich-export command line")
struct CommandLineTests {
    func writeConfig(_ sandbox: ExportSandbox, extra: String = "", password: String? = nil) throws -> String {
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
        let path = sandbox.root + "/config.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("run exits 0 and prints a summary; the password never appears")
    func runOK() async throws {
        try await withSandbox(.c, StandardLibrary().fixture) { sandbox in
            let path = try writeConfig(sandbox, extra: "log_level: debug")
            let (status, output) = try runCLI(["run", "--config", path])
            #expect(status == 0, "\(output)")
            #expect(output.contains("complete: copied 7"))
            #expect(!output.contains(ExportSandbox.readerPassword))
            #expect(FileManager.default.fileExists(atPath: sandbox.exportDir + "/progress.json"))
        }
    }

    @Test("run --dry-run lists what would be copied")
    func dryRun() async throws {
        try await withSandbox(.d, StandardLibrary().fixture) { sandbox in
            let path = try writeConfig(sandbox)
            let (status, output) = try runCLI(["run", "--dry-run", "--config", path])
            #expect(status == 0, "\(output)")
            #expect(output.contains("would copy 7"))
            #expect(output.contains("Holiday/beach.jpg"))
            #expect(sandbox.exportedTree().isEmpty)
        }
    }

    @Test("a failed run exits 1 with the reason")
    func runFails() async throws {
        try await withSandbox(.c, StandardLibrary().fixture) { sandbox in
            let path = try writeConfig(sandbox, password: "definitely-wrong")
            let (status, output) = try runCLI(["run", "--config", path])
            #expect(status == 1)
            #expect(output.contains("db_pass"))
            #expect(!output.contains("definitely-wrong"))
        }
    }

    @Test("a bad config exits 2 naming the key")
    func badConfig() throws {
        let path = NSTemporaryDirectory() + "/bad-\(UUID().uuidString).yaml"
        try "export_dir: /tmp\nassets_root: /media\ndb_host: h\ndb_port: many\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, output) = try runCLI(["run", "--config", path])
        #expect(status == 2)
        #expect(output.contains("db_port"))
    }

    @Test("check reports schema, counts and path mapping")
    func check() async throws {
        try await withSandbox(.b, StandardLibrary().fixture) { sandbox in
            let path = try writeConfig(sandbox)
            let (status, output) = try runCLI(["check", "--config", path])
            #expect(status == 0, "\(output)")
            #expect(output.contains("generation B"))
            #expect(output.contains("v2.2.3"))
            #expect(output.contains("albums: 3"))
            #expect(output.contains("sampled asset files found"))
        }
    }
}
