@testable import Agent
import ExportCore
import Foundation
import Logging
import Synchronization
import Testing

/// Virtual time: `sleep(until:)` jumps the clock forward instead of waiting.
final class VirtualClock: SchedulerClock {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    func now() -> Date { current.withLock { $0 } }
    func advance(to date: Date) { current.withLock { $0 = max($0, date) } }
    func sleep(until date: Date) async throws {
        try Task.checkCancellation()
        advance(to: date)
        await Task.yield()
    }
}

/// Collects scheduler events; the test ends the scheduler after `limit` firings.
final class EventLog: Sendable {
    private let events = Mutex<[Scheduler.Event]>([])
    func append(_ e: Scheduler.Event) { events.withLock { $0.append(e) } }
    var all: [Scheduler.Event] { events.withLock { $0 } }
    var fired: [(Date, Runner.StartOutcome)] {
        all.compactMap { if case let .fired(at, outcome) = $0 { return (at, outcome) } else { return nil } }
    }
}

@Suite("Scheduler")
struct SchedulerTests {
    let utc = TimeZone(identifier: "UTC")!
    let berlin = TimeZone(identifier: "Europe/Berlin")!
    let logger: Logger = {
        var l = Logger(label: "scheduler-test")
        l.logLevel = .critical
        return l
    }()

    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func emptyScheduleMeansNoScheduledRuns() throws {
        #expect(try Scheduler.parse("") == nil)
        #expect(try Scheduler.parse("   ") == nil)
        #expect(try Scheduler.parse("0 2 * * *")?.expression == "0 2 * * *")
    }

    static let invalid: [(String, String)] = [
        ("61 2 * * *", "minute"), ("0 25 * * *", "hour"), ("0 2 32 * *", "day-of-month"),
        ("0 2 * 13 *", "month"), ("0 2 * * 8", "day-of-week"), ("0 2 * *", "expression"), ("@sometimes", "expression"),
    ]

    @Test("invalid expressions name the field", arguments: invalid)
    func invalidExpression(expression: String, field: String) {
        #expect(throws: CronError.self) { try Scheduler.parse(expression) }
        do {
            _ = try Scheduler.parse(expression)
        } catch {
            #expect(error.field == field)
            #expect(error.message.hasPrefix(field))
        }
    }

    @Test func agentRefusesToStartWithAnInvalidSchedule() throws {
        let config = ExportConfig(exportDir: "/nonexistent/x", assetsRoot: "/nonexistent/y",
                                  database: .init(host: "127.0.0.1", database: "x", user: "x"))
        var settings = AgentConfig()
        settings.schedule = "0 2 * * MON-XYZ"
        #expect(throws: CronError.self) { try AgentService(config: config, settings: settings, logger: logger) }
    }

    static let nextFires: [(String, String, String, String, String)] = [
        // schedule, time zone, last fire, now, expected next
        ("0 2 * * *", "UTC", "2026-03-01T01:00:00Z", "2026-03-01T01:00:00Z", "2026-03-01T02:00:00Z"),
        ("0 2 * * *", "UTC", "2026-03-01T02:00:00Z", "2026-03-01T02:00:00Z", "2026-03-02T02:00:00Z"),
        // The machine slept through three firings: they are not made up.
        ("*/15 * * * *", "UTC", "2026-03-01T10:00:00Z", "2026-03-01T10:50:00Z", "2026-03-01T11:00:00Z"),
        // TZ decides the wall clock: 02:00 in Berlin is 01:00 UTC in winter.
        ("0 2 * * *", "Europe/Berlin", "2026-01-10T12:00:00Z", "2026-01-10T12:00:00Z", "2026-01-11T01:00:00Z"),
    ]

    @Test("next fire time", arguments: nextFires)
    func nextFire(row: (String, String, String, String, String)) throws {
        let schedule = try #require(try Scheduler.parse(row.0))
        let next = Scheduler.nextFire(of: schedule, after: date(row.2), now: date(row.3), in: TimeZone(identifier: row.1)!)
        #expect(next == date(row.4))
    }

    @Test func publishesNextRunAndFiresAtEachTime() async throws {
        let clock = VirtualClock(date("2026-03-01T10:02:00Z"))
        let log = EventLog()
        let starts = Mutex(0)
        let scheduler = Scheduler(
            schedule: try Scheduler.parse("*/5 * * * *"), timeZone: utc, clock: clock, logger: logger,
            start: { starts.withLock { $0 += 1 }; return .started },
            onEvent: { log.append($0) })
        let task = Task { await scheduler.run() }
        while log.fired.count < 3 { await Task.yield() }
        task.cancel()
        await task.value

        #expect(log.fired.prefix(3).map(\.0) == [date("2026-03-01T10:05:00Z"), date("2026-03-01T10:10:00Z"), date("2026-03-01T10:15:00Z")])
        #expect(log.all.first == .nextRun(date("2026-03-01T10:05:00Z")))
        #expect(log.all.dropFirst().first == .fired(at: date("2026-03-01T10:05:00Z"), outcome: .started))
        #expect(log.all.dropFirst(2).first == .nextRun(date("2026-03-01T10:10:00Z")))
        #expect(starts.withLock { $0 } >= 3)
    }

    @Test func noScheduleReportsNoNextRun() async {
        let log = EventLog()
        let scheduler = Scheduler(schedule: nil, timeZone: utc, clock: VirtualClock(Date()), logger: logger,
                                  start: { Issue.record("must not start"); return .started }, onEvent: { log.append($0) })
        await scheduler.run()
        #expect(log.all == [.nextRun(nil)])
    }

    /// A real Runner whose run waits for the test: the scheduled time during it is refused and skipped.
    @Test func scheduledTimeDuringARunIsSkipped() async throws {
        let gate = AsyncStream.makeStream(of: Void.self)
        let runner = Runner(body: { dryRun, _ in
            for await _ in gate.stream { break }
            return RunResult(status: .complete, error: nil, snapshot: ProgressSnapshot())
        }, logger: logger)
        let events = runner.events()
        #expect(await runner.start(dryRun: false, trigger: .mqtt) == .started)

        let clock = VirtualClock(date("2026-03-01T01:59:00Z"))
        let log = EventLog()
        let scheduler = Scheduler(schedule: try Scheduler.parse("0 2 * * *"), timeZone: utc, clock: clock, logger: logger,
                                  start: { await runner.start(dryRun: false, trigger: .schedule) }, onEvent: { log.append($0) })
        let task = Task { await scheduler.run() }
        while log.fired.isEmpty { await Task.yield() }
        task.cancel()
        await task.value

        let (at, outcome) = try #require(log.fired.first)
        #expect(at == date("2026-03-01T02:00:00Z"))
        guard case let .refused(reason) = outcome else { Issue.record("not refused: \(outcome)"); return }
        #expect(reason.contains("still active"))

        gate.continuation.yield()
        await runner.waitUntilIdle()
        #expect(await !runner.isRunning)
        var kinds: [String] = []
        for await event in events {
            switch event {
            case .started(let run): kinds.append("started:\(run.trigger.rawValue)")
            case .refused(let trigger, _, _): kinds.append("refused:\(trigger.rawValue)")
            case .finished(let c): kinds.append("finished:\(c.trigger.rawValue)")
            }
            if kinds.last == "finished:mqtt" { break }
        }
        // The virtual clock may have fired more (refused) days before the task was cancelled.
        #expect(kinds.first == "started:mqtt")
        #expect(kinds.dropFirst().dropLast().allSatisfy { $0 == "refused:schedule" } && kinds.count >= 3)
        #expect(kinds.last == "finished:mqtt")
    }
}
