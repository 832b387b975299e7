import Agent
import ExportCore
import Foundation
import Logging
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport
import WebUI

@Suite("Malformed HTTP input never crashes the server")
struct HTTPFuzzTests {
    @Test("600 generated requests: odd methods, paths, bodies and headers")
    func fuzz() async throws {
        let tracker = ProgressTracker()
        let runs = Counter()
        let runner = Runner(body: { _, _ in
            _ = runs.increment()
            return RunResult(status: .complete, snapshot: ProgressSnapshot())
        }, logger: { var l = Logger(label: "t"); l.logLevel = .warning; return l }())
        let server = try await RunningServer.start(runner: runner, tracker: tracker)
        defer { Task { await server.stop() } }
        var g = SeededRandom(seed: 99)
        let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
        let paths = ["", "api/run", "api/dry-run", "api/cancel", "api/progress", "api/events?x=1", "api/runs", "..%2f..%2fetc/passwd",
                     "api/%00", String(repeating: "a/", count: 300), "api/run?dry_run=true", "%ff%fe", "app.js/../index.html"]
        var serverErrors = 0
        for _ in 0..<600 {
            var request = URLRequest(url: URL(string: server.base + paths[Int(g.next() % UInt64(paths.count))])
                                     ?? URL(string: server.base)!)
            request.httpMethod = methods[Int(g.next() % UInt64(methods.count))]
            request.timeoutInterval = 5
            if g.next() % 2 == 0 {
                request.httpBody = Data((0..<Int(g.next() % 2048)).map { _ in UInt8(truncatingIfNeeded: g.next()) })
                request.setValue(["application/json", "text/plain", "x/y;;;", ""][Int(g.next() % 4)], forHTTPHeaderField: "Content-Type")
            }
            if request.url?.path.hasSuffix("api/events") == true && request.httpMethod == "GET" { continue }  // endless stream
            if let (_, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse,
               http.statusCode >= 500 {
                serverErrors += 1
            }
            await runner.waitUntilIdle()
        }
        #expect(serverErrors == 0)
        let health = try await http("GET", server.base + "api/health")
        #expect(health.status == 200)
        // Path tricks never serve files from outside the page's resources.
        #expect(try await http("GET", server.base + "..%2f..%2fetc/passwd").text.contains("root:") == false)
    }
}
