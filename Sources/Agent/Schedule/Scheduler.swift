import ExportCore
import Foundation
import Logging

/// Wall-clock time for the scheduler; tests substitute a virtual clock.
public protocol SchedulerClock: Sendable {
    func now() -> Date
    /// Returns at `date` (or later); throws when the task is cancelled.
    func sleep(until date: Date) async throws
}

/// The real clock. Sleeps in steps of at most a minute, so a changed system time or a
/// suspended machine is noticed within a minute instead of oversleeping.
public struct SystemSchedulerClock: SchedulerClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(until date: Date) async throws {
        while true {
            let remaining = date.timeIntervalSinceNow
            if remaining <= 0 { return }
            try await Task.sleep(for: .milliseconds(Int64(min(remaining, 60) * 1000) + 1))
        }
    }
}

/// Starts a run at each time of the cron schedule, in the time zone of TZ.
///
/// A time that comes while a run is active is skipped (the Runner refuses, we log it); times
/// missed while the machine slept are not made up.
public struct Scheduler: Sendable {
    public enum Event: Sendable, Equatable {
        /// The next planned run (nil: none, e.g. no schedule).
        case nextRun(Date?)
        /// A scheduled time came; the Runner's answer.
        case fired(at: Date, outcome: Runner.StartOutcome)
    }

    public let schedule: CronSchedule?
    public let timeZone: TimeZone
    let clock: any SchedulerClock
    let start: @Sendable () async -> Runner.StartOutcome
    let onEvent: @Sendable (Event) async -> Void
    let logger: Logger

    public init(schedule: CronSchedule?, timeZone: TimeZone = .current, clock: any SchedulerClock = SystemSchedulerClock(),
                logger: Logger, start: @escaping @Sendable () async -> Runner.StartOutcome,
                onEvent: @escaping @Sendable (Event) async -> Void = { _ in }) {
        self.schedule = schedule
        self.timeZone = timeZone
        self.clock = clock
        self.start = start
        self.onEvent = onEvent
        self.logger = logger
    }

    /// The `schedule` option: empty means no scheduled runs; anything else must parse.
    public static func parse(_ expression: String) throws(CronError) -> CronSchedule? {
        let trimmed = expression.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return nil }
        return try CronSchedule(parsing: trimmed)
    }

    /// Pure: the next fire time strictly after `date` and not before `now` (missed times are dropped).
    public static func nextFire(of schedule: CronSchedule, after date: Date, now: Date, in timeZone: TimeZone) -> Date? {
        schedule.nextDate(after: max(date, now), in: timeZone)
    }

    /// Runs until the task is cancelled.
    public func run() async {
        guard let schedule else {
            logger.info("no schedule set: runs start only on request")
            await onEvent(.nextRun(nil))
            return
        }
        var last = clock.now()
        while !Task.isCancelled {
            guard let next = Self.nextFire(of: schedule, after: last, now: clock.now(), in: timeZone) else {
                logger.warning("schedule has no future run time", metadata: ["schedule": "\(schedule)"])
                await onEvent(.nextRun(nil))
                return
            }
            logger.info("next scheduled run", metadata: ["at": "\(Timestamp.iso8601(next, timeZone: timeZone))"])
            await onEvent(.nextRun(next))
            do { try await clock.sleep(until: next) } catch { return }
            let outcome = await start()
            if case let .refused(reason) = outcome {
                logger.notice("scheduled run skipped", metadata: [
                    "at": "\(Timestamp.iso8601(next, timeZone: timeZone))", "reason": "\(reason)",
                ])
            }
            await onEvent(.fired(at: next, outcome: outcome))
            last = next
        }
    }
}
