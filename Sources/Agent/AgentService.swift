import ExportCore
import Foundation
import Logging
import MQTT
import ServiceLifecycle
import Synchronization

/// The long-running agent as a service-lifecycle `Service`: a Runner shared by the scheduler
/// and Home Assistant, progress.json kept current, and MQTT when a broker is known.
///
/// On graceful shutdown (SIGTERM / SIGINT) it cancels the active run — no cleanup, nothing
/// deleted — publishes `offline`, disconnects and returns.
public final class AgentService: Service, Sendable {
    public let config: ExportConfig
    public let settings: AgentConfig
    public let tracker: ProgressTracker
    public let runner: Runner
    public let topics: HATopics
    let schedule: CronSchedule?
    let logger: Logger
    let environment: [String: String]
    let supervisorURL: URL
    let timeZone: TimeZone
    let birthDelay: ClosedRange<Double>

    /// Throws when the `schedule` option is not a valid cron expression (`AgentConfig.read`
    /// reports that as a configuration problem before).
    public init(
        config: ExportConfig, settings: AgentConfig, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        supervisorURL: URL = URL(string: "http://supervisor")!,
        timeZone: TimeZone = .current,
        birthDelay: ClosedRange<Double> = 0.5...2.5
    ) throws(CronError) {
        self.schedule = try Scheduler.parse(settings.schedule)
        self.config = config
        self.settings = settings
        self.logger = logger
        self.environment = environment
        self.supervisorURL = supervisorURL
        self.timeZone = timeZone
        self.birthDelay = birthDelay
        self.topics = HATopics(settings.mqtt)
        let sink = ProgressFileSink(exportDir: config.exportDir, logger: logger)
        self.tracker = ProgressTracker(initial: Self.starting(from: sink.read(), setupProblem: config.setupProblem))
        self.runner = Runner(config: config, tracker: tracker, logger: logger)
    }

    /// Runs the agent inside a ServiceGroup until SIGTERM / SIGINT (with `handleSignals`) or
    /// `requestShutdown()`; returns after the graceful shutdown.
    /// - Parameter alongside: services that live and stop with the agent (the progress page).
    public func runUntilSignalled(handleSignals: Bool = true, alongside: [any Service] = []) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: alongside.map { .init(service: $0) } + [.init(service: self)],
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger))
        let alreadyRequested = host.withLock { h in
            h.group = group
            return h.shutdownRequested
        }
        if alreadyRequested { await group.triggerGracefulShutdown() }
        try await group.run()
    }

    /// The same graceful shutdown as SIGTERM, for embedding and tests.
    public func requestShutdown() async {
        let group = host.withLock { h in
            h.shutdownRequested = true
            return h.group
        }
        await group?.triggerGracefulShutdown()
    }

    private struct Host {
        var group: ServiceGroup?
        var shutdownRequested = false
    }
    private let host = Mutex(Host())

    public func run() async throws {
        logger.info("agent started", metadata: [
            "version": "\(ExportCoreVersion.string)", "export_dir": "\(config.exportDir)",
            "schedule": "\(schedule.map(\.expression) ?? "none")", "time_zone": "\(timeZone.identifier)",
        ])
        if let problem = config.setupProblem {
            logger.warning("every run will fail until this is set: \(problem)")
        }
        let sink = ProgressFileSink(exportDir: config.exportDir, logger: logger)
        let bridgeBox = BridgeBox()
        let runner = self.runner
        let runnerEvents = runner.events()

        let following = sink.follow(self.tracker)
        await withDiscardingTaskGroup { group in
            group.addTask { await self.logCompletions(runnerEvents) }
            group.addTask {
                guard let bridge = await self.makeBridge() else { return }
                guard bridgeBox.set(bridge) else { return }  // shutdown came first
                await bridge.run()
            }
            group.addTask {
                let scheduler = Scheduler(
                    schedule: self.schedule, timeZone: self.timeZone, logger: self.logger,
                    start: { await runner.start(dryRun: false, trigger: .schedule) },
                    onEvent: { event in
                        if case let .nextRun(date) = event { bridgeBox.nextRun = date }
                    })
                await scheduler.run()
            }

            // Until SIGTERM/SIGINT (or cancellation of the service task).
            try? await gracefulShutdown()
            self.logger.notice("shutting down: cancelling any active run (no cleanup), going offline")
            await runner.shutdown()
            await following.finish(with: self.tracker.snapshot())
            await bridgeBox.close()?.shutdown()
            self.tracker.finishSignals()
            group.cancelAll()
        }
        logger.info("agent stopped")
    }

    private func logCompletions(_ events: AsyncStream<Runner.Event>) async {
        for await event in events {
            guard case let .finished(completion) = event else { continue }
            let s = completion.result.snapshot
            logger.info("run complete", metadata: [
                "trigger": "\(completion.trigger.rawValue)", "status": "\(completion.result.status.rawValue)",
                "copied": "\(s.copied)", "failed": "\(s.failed)", "deleted": "\(s.deleted)",
            ])
        }
    }

    /// The MQTT bridge, or nil when MQTT is off (logged). Asks the Supervisor inside the add-on,
    /// retrying while it is not ready yet (it can lag behind the add-on at boot).
    private func makeBridge() async -> HomeAssistantBridge? {
        let address: BrokerAddress
        switch BrokerSource.decide(settings.mqtt, environment: environment) {
        case let .disabled(reason):
            logger.notice("MQTT is off: \(reason); set mqtt_host to publish to Home Assistant")
            return nil
        case let .configured(configured):
            address = configured
        case let .supervisor(token):
            let client = SupervisorClient(baseURL: supervisorURL, token: token)
            var delay = 2.0
            while true {
                do {
                    let service = try await client.mqttService()
                    logger.info("MQTT broker from the Supervisor", metadata: ["broker": "\(service)"])
                    address = BrokerAddress(service)
                    break
                } catch {
                    logger.error("cannot get the MQTT broker from the Supervisor; retrying", metadata: [
                        "error": "\(error)", "retry_in_s": "\(Int(delay))",
                    ])
                }
                do { try await Task.sleep(for: .seconds(delay)) } catch { return nil }
                delay = min(delay * 2, 60)
            }
        }
        let clientID = "immich-export-\(topics.nodeID)-\(UUID().uuidString.prefix(6).lowercased())"
        do {
            let client = try MQTTClient(configuration: address.configuration(topics: topics, clientID: clientID), logger: logger)
            let publisher = StatePublisher(topics: topics, client: client, tracker: tracker, logger: logger, timeZone: timeZone)
            return HomeAssistantBridge(client: client, publisher: publisher, runner: runner, logger: logger, birthDelay: birthDelay)
        } catch {
            logger.error("MQTT settings are unusable; Home Assistant integration is off", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Pure: the document the agent starts with. A missing setting shows as the error from the
    /// start, before any run; one reported by an earlier start and now set is forgotten.
    static func starting(from previous: ProgressSnapshot?, setupProblem: String?) -> ProgressSnapshot {
        var s = restored(previous)
        if let setupProblem {
            s.error = setupProblem
        } else if s.error?.hasPrefix(ExportConfig.databaseNotSetPrefix) == true {
            s.error = nil
            if s.status == .failed { s.status = .idle }
        }
        return s
    }

    /// Pure: the snapshot of the previous process, kept for last_run and the counters, but never
    /// "running" (that run died with the process).
    static func restored(_ previous: ProgressSnapshot?) -> ProgressSnapshot {
        guard var s = previous else { return ProgressSnapshot() }
        if s.running || s.status == .running || s.status == .starting {
            s.status = .failed
            s.error = s.error ?? "the agent stopped during this run"
        }
        s.running = false
        s.currentFile = nil
        s.currentAlbum = nil
        s.filesPerSecond = 0
        s.estimatedRemaining = nil
        return s
    }
}

/// Hands the bridge (made asynchronously) to the shutdown path, and the scheduler's next run to
/// the publisher, whichever exists first.
private final class BridgeBox: Sendable {
    private struct State {
        var bridge: HomeAssistantBridge?
        var closed = false
        var nextRun: Date?
    }
    private let state = Mutex(State())

    /// False when the agent is already shutting down.
    func set(_ bridge: HomeAssistantBridge) -> Bool {
        let (accepted, next) = state.withLock { s -> (Bool, Date?) in
            guard !s.closed else { return (false, nil) }
            s.bridge = bridge
            return (true, s.nextRun)
        }
        if accepted { bridge.publisher.setNextRun(next) }
        return accepted
    }

    var nextRun: Date? {
        get { state.withLock { $0.nextRun } }
        set {
            let bridge = state.withLock { s in
                s.nextRun = newValue
                return s.bridge
            }
            bridge?.publisher.setNextRun(newValue)
        }
    }

    func close() -> HomeAssistantBridge? {
        state.withLock { s in
            s.closed = true
            return s.bridge
        }
    }
}
