import Agent
import AppConfig
import ExportCore
import Foundation
import Logging
import Testing
import TestSupport
import WebUI

/// The page in a real headless Chromium, loaded from the running server in the middle of a real
/// export (held on one file through the copier's test seam).
@Suite("Progress page in headless Chromium", .serialized)
struct BrowserTests {
    static var chromium: String? { Shell.which("chromium") ?? Shell.which("chromium-browser") ?? Shell.which("google-chrome") }

    func dumpDOM(_ url: String, root: String) throws -> String {
        let profile = root + "/chromium-profile-" + UUID().uuidString.prefix(8)
        return try Shell.run(Self.chromium!, [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--dump-dom", url + "?live=poll",
        ])
    }

    @Test("shows live numbers and the right button states during a run", .enabled(if: chromium != nil))
    func liveDOM() async throws {
        var f = ImmichFixture()
        let u = f.addUser("Ann")
        let album = f.addAlbum("Summer <b>2024</b>", owner: u)
        for i in 0..<12 { f.addAsset(String(format: "IMG_%04d.jpg", i), owner: u, in: [album]) }
        try await withSandboxWeb(f) { sandbox in
            let hold = DispatchSemaphore(value: 0)
            let reached = DispatchSemaphore(value: 0)
            let marker = sandbox.exportDir + "/"
            let writes = Counter()
            // Copies count once their batch is on disk: batches of six here (never by age, which
            // depended on the machine's speed), so the first six are named when the seventh starts.
            WriteFaults.batchByCount(6, under: marker)
            WriteFaults.register(under: marker) { _ in
                let n = writes.increment()
                if n == 7 {
                    reached.signal()
                    hold.wait()
                }
                return nil
            }
            defer {
                hold.signal()
                WriteFaults.remove(under: marker)
            }
            let tracker = ProgressTracker()
            var logger = Logger(label: "t")
            logger.logLevel = .warning
            var config = sandbox.config()
            config.copyConcurrency = 1
            let runner = Runner(config: config, tracker: tracker, logger: logger)
            let server = try await RunningServer.start(runner: runner, tracker: tracker)
            defer { Task { await server.stop() } }

            #expect(await runner.start(dryRun: false, trigger: .web) == .started)
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async { reached.wait(); c.resume() }
            }
            // The first six are synced and named in the background while the seventh is written.
            #expect(await eventually { tracker.snapshot().copied == 6 })
            let dom = try dumpDOM(server.base, root: sandbox.root)
            #expect(dom.contains(#"data-status="running""#))
            #expect(dom.contains(#"<dd id="copied">6</dd>"#), "\(dom.prefix(4000))")
            #expect(dom.contains(#"<dd id="total">12</dd>"#))
            #expect(dom.contains(#"<span id="percent">50</span>"#))
            #expect(dom.contains("Summer &lt;b&gt;2024&lt;/b&gt;"))         // album names are text, never markup
            #expect(dom.contains(#"<button id="run" type="button" class="primary" disabled="">"#))
            #expect(dom.contains(#"<button id="cancel" type="button" class="danger">"#))

            hold.signal()
            #expect(await eventually { await !runner.isRunning })
            let after = try dumpDOM(server.base, root: sandbox.root)
            #expect(after.contains(#"data-status="complete""#))
            #expect(after.contains(#"<dd id="copied">12</dd>"#))
            #expect(after.contains(#"<button id="cancel" type="button" class="danger" disabled="">"#))
            #expect(after.contains("<td>web</td>"))                          // recent runs table filled
        }
    }

    @Test("says what to set when the database is not set, before a run and after the Run button", .enabled(if: chromium != nil))
    func setupProblemInWords() async throws {
        let root = try TempDirectory.make("page-unset")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // The add-on's options as its first start leaves them.
        let options = ConfigValue.map([("export_dir", .string(root + "/export")), ("assets_root", .string(root + "/assets")),
                                       ("db_host", .string("")), ("db_pass", .string(""))])
        let config = try OptionsFile.validate(options, source: ConfigLoader.addonOptionsPath, allowUnsetDatabase: true).export
        let problem = try #require(config.setupProblem)
        var initial = ProgressSnapshot()
        initial.error = problem           // as the agent starts (AgentService.starting)
        let tracker = ProgressTracker(initial: initial)
        var logger = Logger(label: "t")
        logger.logLevel = .critical
        let runner = Runner(config: config, tracker: tracker, logger: logger)
        let server = try await RunningServer.start(runner: runner, tracker: tracker)
        defer { Task { await server.stop() } }

        let before = try dumpDOM(server.base, root: root)
        #expect(before.contains(#"<div id="error" class="notice error">Immich's database is not set: open the add-on's Configuration tab"#),
                "\(before.prefix(4000))")
        #expect(!before.contains("The run failed"))

        #expect(try await http("POST", server.base + "api/run").status == 202)
        #expect(await eventually { await !runner.isRunning && tracker.snapshot().status == .failed })
        let after = try dumpDOM(server.base, root: root)
        #expect(after.contains(#"data-status="failed""#))
        #expect(after.contains(#"<div id="error" class="notice error">The run failed: Immich's database is not set"#), "\(after.prefix(4000))")
        #expect(!FileManager.default.fileExists(atPath: root + "/export"))
    }

    @Test("two albums named Holiday are told apart by their folder, as album and in the table", .enabled(if: chromium != nil))
    func sameNamedAlbums() async throws {
        let root = try TempDirectory.make("page-albums")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tracker = ProgressTracker()
        tracker.emit(.started(runID: "r", dryRun: false, at: Date()))
        tracker.emit(.catalog(albums: [
            .init(id: "1", name: "Holiday", folder: "Holiday", total: 3),
            .init(id: "2", name: "Holiday", folder: "Holiday+1", total: 1),
            .init(id: "3", name: "Pets", folder: "Pets", total: 2),
        ], bytesTotal: 0))
        tracker.emit(.albumStarted(albumID: "2"))
        var logger = Logger(label: "t")
        logger.logLevel = .critical
        let runner = Runner(body: { _, _ in RunResult(status: .complete, error: nil, snapshot: ProgressSnapshot()) }, logger: logger)
        let server = try await RunningServer.start(runner: runner, tracker: tracker)
        defer { Task { await server.stop() } }

        let dom = try dumpDOM(server.base, root: root)
        #expect(dom.contains(#"<span id="current-album">Holiday (folder Holiday+1)</span>"#), "\(dom.prefix(4000))")
        #expect(dom.contains("<td>Holiday (folder Holiday)</td>"))
        #expect(dom.contains(#"<td title="folder: Holiday+1">Holiday (folder Holiday+1)</td>"#))
        #expect(dom.contains("<td>Pets</td>"))
    }
}
