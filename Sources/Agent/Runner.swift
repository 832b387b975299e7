import ExportCore
import Foundation
import Logging

/// The one owner of "is a run active". Every trigger — schedule, MQTT buttons and commands,
/// the web page — starts and cancels runs here, so two runs can never overlap.
///
/// A start while a run is active is refused (and reported), never queued: a queued export
/// would start at a time nobody chose.
public actor Runner {
    public enum Trigger: String, Sendable {
        case schedule, mqtt, web, startup
    }

    public enum StartOutcome: Sendable, Equatable {
        case started
        case refused(reason: String)
    }

    public struct ActiveRun: Sendable, Equatable {
        public var trigger: Trigger
        public var dryRun: Bool
        public var startedAt: Date
    }

    public struct Completion: Sendable {
        public var trigger: Trigger
        public var dryRun: Bool
        public var result: RunResult
    }

    public enum Event: Sendable {
        case started(ActiveRun)
        case finished(Completion)
        case refused(trigger: Trigger, dryRun: Bool, reason: String)
    }

    /// Produces one run; ExportRun in production.
    public typealias RunBody = @Sendable (_ dryRun: Bool, _ control: RunControl) async -> RunResult

    private let body: RunBody
    private let logger: Logger
    private let broadcast = Broadcast<Event>()
    private var active: (run: ActiveRun, control: RunControl, task: Task<Void, Never>)?
    private var shuttingDown = false

    public init(body: @escaping RunBody, logger: Logger) {
        self.body = body
        self.logger = logger
    }

    /// Runs real exports of `config`, reporting to `tracker` (shared by every run, so last_run survives).
    public init(config: ExportConfig, tracker: ProgressTracker, logger: Logger) {
        self.init(body: { dryRun, control in
            await ExportRun(config: config, dryRun: dryRun, tracker: tracker, control: control, logger: logger).run()
        }, logger: logger)
    }

    /// Started, or refused with a reason for the person who pressed the button.
    public func start(dryRun: Bool, trigger: Trigger) -> StartOutcome {
        if let reason = Self.refusal(active: active?.run, shuttingDown: shuttingDown) {
            logger.notice("run request refused", metadata: [
                "trigger": "\(trigger.rawValue)", "dry_run": "\(dryRun)", "reason": "\(reason)",
            ])
            broadcast.yield(.refused(trigger: trigger, dryRun: dryRun, reason: reason))
            return .refused(reason: reason)
        }
        let run = ActiveRun(trigger: trigger, dryRun: dryRun, startedAt: Date())
        let control = RunControl()
        let body = self.body
        let task = Task {
            let result = await body(dryRun, control)
            self.finished(Completion(trigger: trigger, dryRun: dryRun, result: result))
        }
        active = (run, control, task)
        logger.info(dryRun ? "dry run requested" : "run requested", metadata: ["trigger": "\(trigger.rawValue)"])
        broadcast.yield(.started(run))
        return .started
    }

    /// Pure: why a start must be refused, or nil.
    static func refusal(active: ActiveRun?, shuttingDown: Bool) -> String? {
        if shuttingDown { return "the agent is shutting down" }
        if let active {
            let kind = active.dryRun ? "a dry run" : "a run"
            return "\(kind) started by \(active.trigger.rawValue) at \(Timestamp.iso8601(active.startedAt)) is still active"
        }
        return nil
    }

    /// Asks the active run to stop at the next file boundary (no cleanup, ends `cancelled`).
    /// Returns false when no run is active.
    @discardableResult
    public func cancel() -> Bool {
        guard let active else {
            logger.info("cancel requested but no run is active")
            return false
        }
        logger.notice("cancelling the run at the next file boundary", metadata: ["trigger": "\(active.run.trigger.rawValue)"])
        active.control.cancel()
        return true
    }

    public var current: ActiveRun? { active?.run }
    public var isRunning: Bool { active != nil }

    /// Started / finished / refused, for every subscriber from now on.
    public nonisolated func events() -> AsyncStream<Event> { broadcast.subscribe() }

    /// Returns once no run is active.
    public func waitUntilIdle() async {
        while let task = active?.task { await task.value }
    }

    /// Refuses new runs, cancels the active one and waits for it to end; then ends the event streams.
    public func shutdown() async {
        shuttingDown = true
        if active != nil { cancel() }
        await waitUntilIdle()
        broadcast.finish()
    }

    private func finished(_ completion: Completion) {
        active = nil
        broadcast.yield(.finished(completion))
    }
}
