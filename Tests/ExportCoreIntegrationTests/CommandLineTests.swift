import ExportCore
import Foundation
import Testing
import TestSupport

@Suite("immich-export command line")
struct CommandLineTests {
    func writeConfig(_ sandbox: ExportSandbox, extra: String = "", password: String? = nil) throws -> String {
        try CLIConfig.write(sandbox, extra: extra, password: password)
    }

    @Test("run exits 0 and prints a summary; the password never appears")
    func runOK() async throws {
        try await withSandbox(.c, StandardLibrary().fixture) { sandbox in
            let path = try writeConfig(sandbox, extra: "log_level: debug")
            let (status, output) = try runCLI(["run", "--config", path])
            #expect(status == 0, "\(output)")
            #expect(output.contains("complete: copied 7"))
            // Log lines: time, level, message, then the metadata as key=value.
            #expect(output.contains(" info: export started export_dir=\(sandbox.exportDir)"), "\(output)")
            #expect(!output.contains(ExportSandbox.readerPassword))
            // The last document is the finished run's, written by `run` after its sink stopped.
            let data = try Data(contentsOf: URL(fileURLWithPath: sandbox.exportDir + "/progress.json"))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(json["status"] as? String == "complete")
            #expect(json["running"] as? Bool == false)
            #expect(json["copied"] as? Int == 7)
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

    @Test("run, check and verify without db_host exit 2 and say what to set")
    func noDatabaseHost() throws {
        let dir = try TempDirectory.make("no-db-host")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/config.yaml"
        try "export_dir: \(dir)/export\nassets_root: /media\ndb_host: \"\"\ndb_pass: \"\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        for command in ["run", "check", "verify"] {
            let (status, output) = try runCLI([command, "--config", path])
            #expect(status == 2, "\(command): \(output)")
            #expect(output.contains("db_host: is required: the host name or IP address of the machine running Immich's PostgreSQL"),
                    "\(command): \(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/export"))
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
