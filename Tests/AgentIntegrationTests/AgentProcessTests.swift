import Agent
import ExportCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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
        let log = try await Self.exitStatusAndLog(configuring: { root in """
            export_dir: \(root)/export
            assets_root: \(root)/assets
            db_host: 127.0.0.1
            db_pass: db-secret-never-logged
            schedule: "0 2 * * MON-FUNDAY"
            """ })
        #expect(log.status == 2)
        #expect(log.text.contains("schedule"))
        #expect(log.text.contains("day-of-week"))
        #expect(!log.text.contains("db-secret-never-logged"))
    }

    /// Only the database may be left unset: every other bad option still stops the agent, named.
    @Test func badOptionsStillExitTwoWithoutDatabaseSettings() async throws {
        let log = try await Self.exitStatusAndLog(configuring: { root in """
            export_dir: \(root)/export
            assets_root: \(root)/assets
            db_host: ""
            db_port: many
            log_level: loud
            """ })
        #expect(log.status == 2)
        #expect(log.text.contains("db_port") && log.text.contains("log_level"), "\(log.text)")
        #expect(!log.text.contains("db_host"), "\(log.text)")
    }

    /// Starts the agent on the config made for a fresh folder and waits for it to exit.
    static func exitStatusAndLog(configuring yaml: (String) -> String) async throws -> (status: Int32?, text: String) {
        let root = try TempDirectory.make("agent-cli")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/assets", withIntermediateDirectories: true)
        let config = root + "/bad.yaml"
        try yaml(root).write(toFile: config, atomically: true, encoding: .utf8)
        let child = try spawnAgent(config: config, root: root)
        // A bound, not a timing: the first agent of a loaded suite can take seconds to start.
        let status = await child.wait(timeout: .seconds(30))
        return (status, child.log)
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

    /// The add-on's first start: its defaults leave db_host and db_pass empty. The agent comes up
    /// anyway, says what to fill in (state, error sensor, page), fails every run at once and
    /// touches nothing in export_dir but its own state files.
    @Test func withoutDatabaseSettingsItStaysUpAndSaysWhatToSet() async throws {
        try await withBroker { broker in
            let root = try TempDirectory.make("agent-unset")
            defer { try? FileManager.default.removeItem(atPath: root) }
            let exportDir = root + "/export", assets = root + "/assets"
            for dir in [exportDir + "/Holiday", assets + "/upload"] {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            }
            try "mine".write(toFile: exportDir + "/Holiday/mine.jpg", atomically: true, encoding: .utf8)
            try "photo".write(toFile: assets + "/upload/a.jpg", atomically: true, encoding: .utf8)
            let webPort = Shell.freePort()
            let config = root + "/agent.yaml"
            try """
                export_dir: \(exportDir)
                assets_root: \(assets)
                db_host: ""
                db_pass: ""
                schedule: ""
                web_port: \(webPort)
                mqtt_host: \(broker.host)
                mqtt_port: \(broker.port)
                """.write(toFile: config, atomically: true, encoding: .utf8)
            let observer = try await Observer(broker, topics: ["immich_backup/#"])
            let child = try Self.spawnAgent(config: config, root: root)
            func notSet(_ text: Any?) -> Bool {
                (text as? String).map { $0.contains("Immich's database is not set") && $0.contains("db_host") && $0.contains("db_pass") } ?? false
            }

            // Before any run: the error sensor's state and the page's document already say it.
            let first = await observer.waitForState("immich_backup/state") { notSet($0["error"]) }
            #expect(first?["status"] as? String == "idle", "\(child.log)")
            let (body, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(webPort)/api/progress")!)
            let page = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            #expect(notSet(page?["error"]), "\(String(decoding: body, as: UTF8.self))")

            // A run ends at once as failed, with the same words; the process stays up.
            var finished: [String: Any]?
            for _ in 0..<20 where finished == nil {
                try await broker.publish("immich_backup/command", "run")
                finished = await observer.waitForState("immich_backup/event", timeout: .seconds(1)) { $0["event_type"] as? String == "run_finished" }
            }
            #expect(finished?["status"] as? String == "failed")
            #expect(notSet(finished?["error"]))
            let failed = await observer.waitForState("immich_backup/state") { $0["status"] as? String == "failed" }
            #expect(notSet(failed?["error"]))
            var status: Int32 = 0
            #expect(waitpid(child.pid, &status, WNOHANG) == 0, "the agent exited: \(child.log)")

            // Nothing exported, nothing deleted: the user's file and the agent's own state files only.
            let left = Set(FileManager.default.enumerator(atPath: exportDir)?.allObjects as? [String] ?? [])
            #expect(left.isSubset(of: ["Holiday", "Holiday/mine.jpg", "progress.json", ".immich-export", ".immich-export/runs.json"]), "\(left.sorted())")
            #expect(left.contains("Holiday/mine.jpg"))
            let progress = ProgressFileSink(exportDir: exportDir, logger: .init(label: "t")).read()
            #expect(notSet(progress?.error))

            kill(child.pid, SIGTERM)
            #expect(await child.wait(timeout: .seconds(10)) == 0)
            #expect(child.log.contains("Immich's database is not set"))
            await observer.stop()
        }
    }
}
