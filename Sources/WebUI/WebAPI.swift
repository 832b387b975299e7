import Agent
import ExportCore
import Foundation
import Hummingbird
import NIOCore

/// The JSON API and the page. Every trigger goes through the shared `Runner`.
struct WebAPI: Sendable {
    let runner: Runner
    let tracker: ProgressTracker
    let history: RunHistory
    let schedule: String
    let timeZone: TimeZone
    /// SSE pushes at most this often.
    let pushInterval: Duration

    func register(on router: Router<WebContext>) {
        router.get("/") { _, _ in try page("index.html", "text/html; charset=utf-8") }
        router.get("/app.js") { _, _ in try page("app.js", "text/javascript; charset=utf-8") }
        router.get("/app.css") { _, _ in try page("app.css", "text/css; charset=utf-8") }
        router.get("/api/progress") { _, _ in json(tracker.snapshot().jsonData(pretty: false)) }
        router.get("/api/events") { _, _ in events() }
        router.get("/api/runs") { _, _ in json(try encode(await history.list())) }
        router.get("/api/health") { _, _ in json(try encode(await health())) }
        router.get("/api/info") { _, _ in json(try encode(await info())) }
        router.post("/api/run") { _, _ in await start(dryRun: false) }
        router.post("/api/dry-run") { _, _ in await start(dryRun: true) }
        router.post("/api/cancel") { _, _ in
            if await runner.cancel() { return json(try encode(["result": "cancelling"]), status: .accepted) }
            return json(try encode(["error": "no run is active"]), status: .conflict)
        }
    }

    // MARK: Handlers

    private func start(dryRun: Bool) async -> Response {
        switch await runner.start(dryRun: dryRun, trigger: .web) {
        case .started:
            return json((try? encode(["result": dryRun ? "dry run started" : "run started"])) ?? Data(), status: .accepted)
        case let .refused(reason):
            return json((try? encode(["error": reason])) ?? Data(), status: .conflict)
        }
    }

    struct Health: Codable { var status: String; var version: String; var running: Bool }

    private func health() async -> Health {
        Health(status: "ok", version: ExportCoreVersion.string, running: await runner.isRunning)
    }

    struct Info: Codable {
        var version: String
        var schedule: String
        var nextRun: String?
        var running: Bool
        enum CodingKeys: String, CodingKey { case version, schedule, nextRun = "next_run", running }
    }

    private func info() async -> Info {
        let next = (try? CronSchedule(parsing: schedule))?.nextDate(after: Date(), in: timeZone)
        return Info(version: ExportCoreVersion.string, schedule: schedule,
                    nextRun: schedule.trimmingCharacters(in: .whitespaces).isEmpty ? nil : next.map { Timestamp.iso8601($0, timeZone: timeZone) },
                    running: await runner.isRunning)
    }

    /// Server-Sent Events: the current document at once, then every change (≤ 2/s), and a
    /// comment every 15 s so proxies keep the connection open.
    private func events() -> Response {
        let tracker = self.tracker
        let interval = pushInterval
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init { writer in
            // One wake-up stream for progress changes and the keep-alive tick, so only this
            // loop touches the writer.
            let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let signals = tracker.signals()
            let forward = Task {
                for await _ in signals { wake.yield() }
                wake.finish()
            }
            let keepAlive = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(15))
                    wake.yield()
                }
            }
            defer {
                forward.cancel()
                keepAlive.cancel()
            }
            let clock = ContinuousClock()
            try await writer.write(Self.event(tracker.snapshot()))
            var last = clock.now
            for await _ in wakeups {
                let wait = interval - (clock.now - last)
                if wait > .zero { try await Task.sleep(for: wait) }
                // A write on a closed connection throws and ends the stream.
                try await writer.write(Self.event(tracker.snapshot()))
                last = clock.now
            }
            try await writer.finish(nil)
        })
    }

    static func event(_ snapshot: ProgressSnapshot) -> ByteBuffer {
        var buffer = ByteBuffer(string: "event: progress\ndata: ")
        buffer.writeBytes(snapshot.jsonData(pretty: false))
        buffer.writeString("\n\n")
        return buffer
    }

    // MARK: Helpers

    private func page(_ name: String, _ type: String) throws -> Response {
        guard let data = PageResources.data(name) else { throw HTTPError(.notFound) }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
