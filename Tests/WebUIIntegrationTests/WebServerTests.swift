import Agent
import ExportCore
import Foundation
import Logging
import Testing
import TestSupport
import WebUI

@Suite("Progress page server: real HTTP against the real server")
struct WebServerTests {
    static func library() -> ImmichFixture {
        var f = ImmichFixture()
        let u = f.addUser("Ann")
        let a = f.addAlbum("Trip", owner: u)
        let b = f.addAlbum("Home", owner: u)
        for i in 0..<30 { f.addAsset("p\(i).jpg", owner: u, in: [i % 2 == 0 ? a : b]) }
        return f
    }

    /// A real runner around a real export that waits for `gate` before starting.
    static func gatedRunner(_ sandbox: ExportSandbox, tracker: ProgressTracker, gate: Gate) -> Runner {
        let config = sandbox.config()
        var logger = Logger(label: "t")
        logger.logLevel = .warning
        let log = logger
        return Runner(body: { dryRun, control in
            await gate.wait()
            return await ExportRun(config: config, dryRun: dryRun, tracker: tracker, control: control, logger: log).run()
        }, logger: logger)
    }

    /// A real server around a gated real export of `sandbox`, stopped (not just asked to stop)
    /// before the sandbox goes away.
    static func withGatedServer(_ sandbox: ExportSandbox, _ body: (RunningServer, Gate) async throws -> Void) async throws {
        let tracker = ProgressTracker()
        let gate = Gate()
        let server = try await RunningServer.start(runner: gatedRunner(sandbox, tracker: tracker, gate: gate), tracker: tracker)
        do {
            try await body(server, gate)
        } catch {
            await gate.release()
            await server.stop()
            throw error
        }
        await gate.release()
        await server.stop()
    }

    @Test("every route answers; a second run is refused with 409; runs are listed")
    func routes() async throws {
        try await withSandboxWeb(Self.library()) { sandbox in try await Self.withGatedServer(sandbox) { (server: RunningServer, gate: Gate) async throws in
            let runner = server.runner

            let page = try await http("GET", server.base)
            #expect(page.status == 200)
            #expect(page.contentType?.hasPrefix("text/html") == true)
            #expect(page.text.contains("Immich Album Export"))
            #expect(!page.text.contains("src=\"/"))       // relative URLs only (Ingress)
            #expect(!page.text.contains("href=\"/"))
            #expect(try await http("GET", server.base + "app.js").status == 200)
            #expect(try await http("GET", server.base + "app.css").status == 200)
            let health = try await http("GET", server.base + "api/health").json()
            #expect(health["status"] as? String == "ok")
            let info = try await http("GET", server.base + "api/info").json()
            #expect((info["next_run"] as? String)?.contains("T02:00:00") == true)
            #expect(try await http("GET", server.base + "api/progress").json()["status"] as? String == "idle")
            #expect(try await http("POST", server.base + "api/cancel").status == 409)

            let first = try await http("POST", server.base + "api/run")
            #expect(first.status == 202)
            let second = try await http("POST", server.base + "api/dry-run")
            #expect(second.status == 409)
            #expect((try second.json()["error"] as? String)?.contains("still active") == true)
            await gate.release()
            #expect(await eventually { await !runner.isRunning })
            let progress = try await http("GET", server.base + "api/progress").json()
            #expect(progress["status"] as? String == "complete")
            #expect(progress["copied"] as? Int == 30)
            #expect(await eventually { (try? await http("GET", server.base + "api/runs").body).map { String(decoding: $0, as: UTF8.self).contains("\"trigger\":\"web\"") } ?? false })
            #expect(try await http("GET", server.base + "nope").status == 404)
        } }
    }

    @Test("cancel through the page stops the run: status cancelled, nothing deleted")
    func cancel() async throws {
        try await withSandboxWeb(Self.library()) { sandbox in try await Self.withGatedServer(sandbox) { (server: RunningServer, gate: Gate) async throws in
            let (runner, tracker) = (server.runner, server.tracker)
            #expect(try await http("POST", server.base + "api/run").status == 202)
            #expect(try await http("POST", server.base + "api/cancel").status == 202)
            await gate.release()
            #expect(await eventually { await !runner.isRunning })
            #expect(tracker.snapshot().status == .cancelled)
            #expect(tracker.snapshot().deleted == 0)
        } }
    }

    @Test("Server-Sent Events deliver live updates during a real run")
    func serverSentEvents() async throws {
        try await withSandboxWeb(Self.library()) { sandbox in try await Self.withGatedServer(sandbox) { (server: RunningServer, gate: Gate) async throws in
            let out = sandbox.root + "/sse.txt"
            let curl = try Shell.spawn(Shell.which("curl") ?? "/usr/bin/curl", ["-sN", "--max-time", "90", server.base + "api/events"], outputPath: out)
            defer { kill(curl, SIGKILL); var s: Int32 = 0; waitpid(curl, &s, 0) }
            #expect(await eventually { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("\"status\":\"idle\"") })
            #expect(try await http("POST", server.base + "api/run").status == 202)
            await gate.release()
            #expect(await eventually(timeout: .seconds(60)) {
                let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
                return text.contains("\"status\":\"complete\"")
            })
            let text = try String(contentsOfFile: out, encoding: .utf8)
            let events = text.components(separatedBy: "\n\n").filter { $0.hasPrefix("event: progress") }
            #expect(events.count >= 3)   // idle, at least one in-run update, complete
            #expect(text.contains("\"running\":true"))
        } }
    }

    @Test("a peer outside the allowed networks gets 403")
    func forbidden() async throws {
        let tracker = ProgressTracker()
        let runner = Runner(body: { _, _ in RunResult(status: .complete, error: nil, snapshot: .init()) }, logger: .init(label: "t"))
        // Only HA's ingress proxy is allowed: our loopback client must be refused.
        let server = try await RunningServer.start(runner: runner, tracker: tracker, policy: try PeerPolicy(exactly: [PeerPolicy.ingressProxy + "/32"]))
        defer { Task { await server.stop() } }
        for (method, path) in [("GET", ""), ("GET", "api/progress"), ("POST", "api/run"), ("GET", "api/events")] {
            #expect(try await http(method, server.base + path).status == 403, "\(method) \(path)")
        }
        #expect(await runner.isRunning == false)
    }
}

func withSandboxWeb(_ fixture: ImmichFixture, _ body: (ExportSandbox) async throws -> Void) async throws {
    let sandbox = try await ExportSandbox(generation: .d, fixture: fixture)
    do { try await body(sandbox) } catch {
        await sandbox.tearDown()
        throw error
    }
    await sandbox.tearDown()
}
