import Agent
import ExportCore
import Foundation
import Testing
import TestSupport

/// The real `immich-export agent` executable as a child process.
@Suite("immich-export agent process", .serialized)
struct AgentProcessTests {
    /// The executable sits next to the test bundle in the build directory.
    static func executable() throws -> String {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("immich-export").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw ObserverError("immich-export executable not found near \(testBinary.path); build all targets first")
    }

    /// A YAML config for the sandbox and broker (secrets included, to check they never leak).
    static func writeConfig(_ sandbox: ExportSandbox, broker: MosquittoBroker, schedule: String = "") throws -> String {
        let path = sandbox.root + "/agent.yaml"
        let yaml = """
            export_dir: \(sandbox.exportDir)
            assets_root: \(sandbox.assetsRoot)
            db_host: \(sandbox.cluster.host)
            db_port: \(sandbox.cluster.port)
            db_name: \(sandbox.database)
            db_user: \(ExportSandbox.readerUser)
            db_pass: \(ExportSandbox.readerPassword)
            schedule: "\(schedule)"
            log_level: debug
            mqtt_host: \(broker.host)
            mqtt_port: \(broker.port)
            mqtt_pass: mqtt-secret-never-logged
            """
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct Child {
        let pid: pid_t
        let logPath: String
        var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        /// Exit status, or nil if it did not exit within `timeout` (then it is killed).
        func wait(timeout: Duration) async -> Int32? {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
                try? await Task.sleep(for: .milliseconds(20))
            }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            return nil
        }
    }

    static func spawnAgent(config: String, root: String) throws -> Child {
        let logPath = root + "/agent.log"
        // No username in the config, but mqtt_pass is set: MQTT must reject it without echoing it.
        let pid = try Shell.spawn(try executable(), ["agent", "--config", config], outputPath: logPath)
        return Child(pid: pid, logPath: logPath)
    }

    @Test func invalidScheduleExitsTwoNamingTheField() async throws {
        let root = try Shell.makeTempDirectory("agent-cli")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/assets", withIntermediateDirectories: true)
        let config = root + "/bad.yaml"
        try """
            export_dir: \(root)/export
            assets_root: \(root)/assets
            db_host: 127.0.0.1
            db_pass: db-secret-never-logged
            schedule: "0 2 * * MON-FUNDAY"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let child = try Self.spawnAgent(config: config, root: root)
        let status = await child.wait(timeout: .seconds(10))
        #expect(status == 2)
        #expect(child.log.contains("schedule"))
        #expect(child.log.contains("day-of-week"))
        #expect(!child.log.contains("db-secret-never-logged"))
    }

    /// SIGKILL: the broker publishes the last will, so HA shows every entity unavailable.
    /// SIGTERM on a second agent: it publishes `offline` itself and exits 0.
    @Test func availabilityFollowsTheProcess() async throws {
        try await withBroker { broker in
            let sandbox = try await ExportSandbox(generation: .d, fixture: Libraries.small())
            defer { try? FileManager.default.removeItem(atPath: sandbox.root) }
            var config = try Self.writeConfig(sandbox, broker: broker)
            // mqtt_pass without mqtt_user is refused by the client; set a user for an anonymous broker.
            try (String(contentsOfFile: config, encoding: .utf8) + "\nmqtt_user: agent\n").write(toFile: config, atomically: true, encoding: .utf8)
            let observer = try await Observer(broker, topics: ["immich_backup/#"])

            let first = try Self.spawnAgent(config: config, root: sandbox.root)
            #expect(await observer.waitUntil { _ in observer.last(on: "immich_backup/availability")?.payloadString == "online" },
                    "agent did not come online: \(first.log)")
            kill(first.pid, SIGKILL)
            _ = await first.wait(timeout: .seconds(5))
            #expect(await observer.waitUntil { _ in observer.last(on: "immich_backup/availability")?.payloadString == "offline" })
            #expect(try await broker.subscribeOnce("immich_backup/availability") == "offline")

            config = try Self.writeConfig(sandbox, broker: broker, schedule: "0 3 * * *")
            try (String(contentsOfFile: config, encoding: .utf8) + "\nmqtt_user: agent\n").write(toFile: config, atomically: true, encoding: .utf8)
            observer.clear()
            let second = try Self.spawnAgent(config: config, root: sandbox.root)
            #expect(await observer.waitUntil { _ in observer.last(on: "immich_backup/availability")?.payloadString == "online" })
            let state = await observer.waitForState("immich_backup/state") { $0["next_run"] is String }
            #expect((state?["next_run"] as? String)?.contains("T03:00:00") == true)
            kill(second.pid, SIGTERM)
            #expect(await second.wait(timeout: .seconds(10)) == 0)
            #expect(await observer.waitUntil { _ in observer.last(on: "immich_backup/availability")?.payloadString == "offline" })
            // Secrets never reach a payload.
            for message in observer.all {
                let text = String(decoding: message.payload, as: UTF8.self)
                #expect(!text.contains("mqtt-secret-never-logged") && !text.contains(ExportSandbox.readerPassword), "\(message.topic)")
            }
            let log = first.log + second.log
            #expect(log.contains("shutting down"))
            #expect(!log.contains("mqtt-secret-never-logged"))
            #expect(!log.contains(ExportSandbox.readerPassword))
            await observer.stop()
            await sandbox.tearDown()
        }
    }
}
