import Agent
import ExportCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import TestSupport
import WebUI

/// Holds a run until the test opens it.
actor Gate {
    private var open = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    func wait() async {
        if open { return }
        await withCheckedContinuation { waiters.append($0) }
    }
    func release() {
        open = true
        waiters.forEach { $0.resume() }
        waiters = []
    }
}

/// A real WebServer on 127.0.0.1 and a free port, around a real Runner.
struct RunningServer {
    let port: Int
    let task: Task<Void, Error>
    let runner: Runner
    let tracker: ProgressTracker
    var base: String { "http://127.0.0.1:\(port)/" }

    static func start(runner: Runner, tracker: ProgressTracker, policy: PeerPolicy? = nil, schedule: String = "0 2 * * *",
                      historyPath: String? = nil) async throws -> RunningServer {
        var settings = WebServer.Settings(host: "127.0.0.1", port: 0, policy: try policy ?? PeerPolicy(addonMode: false, allow: []))
        settings.pushInterval = .milliseconds(100)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "web-test")
        logger.logLevel = .warning
        let server = WebServer(settings: settings, runner: runner, tracker: tracker, history: RunHistory(path: historyPath),
                               schedule: schedule, logger: logger, onListening: { continuation.yield($0) })
        let task = Task { try await server.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw URLError(.cannotConnectToHost) }
        return RunningServer(port: port, task: task, runner: runner, tracker: tracker)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

struct HTTPResult {
    var status: Int
    var body: Data
    var contentType: String?
    var text: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> [String: Any] { (try JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
}

func http(_ method: String, _ url: String) async throws -> HTTPResult {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.timeoutInterval = 30
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    return HTTPResult(status: http.statusCode, body: data, contentType: http.value(forHTTPHeaderField: "Content-Type"))
}

/// Polls until `condition` holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
