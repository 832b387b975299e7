import Agent
import ExportCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The progress page server as a service-lifecycle `Service`. In the add-on it listens on all
/// interfaces (HA's Ingress proxy connects from the hassio network) and only admits the proxy and
/// loopback; standalone it binds loopback unless `web_allow` opens it to more networks.
public struct WebServer: Service {
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var policy: PeerPolicy
        public var pushInterval: Duration = .milliseconds(500)

        public init(host: String, port: Int, policy: PeerPolicy) {
            self.host = host
            self.port = port
            self.policy = policy
        }

        /// Settings from the config: add-on mode when the Supervisor's token is present.
        public static func from(_ options: WebOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
            let addon = environment["SUPERVISOR_TOKEN"] != nil
            let policy = try PeerPolicy(addonMode: addon, allow: options.allow)
            let host = addon || !options.allow.isEmpty ? "0.0.0.0" : "127.0.0.1"
            return Settings(host: host, port: options.port, policy: policy)
        }
    }

    let settings: Settings
    let api: WebAPI
    let runner: Runner
    let history: RunHistory
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void

    public init(settings: Settings, runner: Runner, tracker: ProgressTracker, history: RunHistory, schedule: String,
                timeZone: TimeZone = .current, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.settings = settings
        self.api = WebAPI(runner: runner, tracker: tracker, history: history, schedule: schedule, timeZone: timeZone,
                          pushInterval: settings.pushInterval)
        self.logger = logger
        self.onListening = onListening
        self.runner = runner
        self.history = history
    }

    public func run() async throws {
        // Keep the recent-runs list: every finished run, whoever started it.
        let events = runner.events()
        let history = self.history
        let recorder = Task {
            for await event in events {
                if case let .finished(completion) = event {
                    await history.record(.init(trigger: completion.trigger.rawValue, snapshot: completion.result.snapshot))
                }
            }
        }
        defer { recorder.cancel() }
        let router = Router(context: WebContext.self)
        router.add(middleware: PeerFilterMiddleware(policy: settings.policy))
        api.register(on: router)
        let logger = self.logger
        let onListening = self.onListening
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "immich-export"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("progress page listening", metadata: ["url": "http://\(channel.localAddress?.ipAddress ?? "?"):\(port)/"])
                await onListening(port)
            },
            logger: logger)
        do {
            // As a Service inside the agent's group: stops on its graceful shutdown.
            try await app.run()
        } catch is CancellationError {
            return
        } catch {
            // A busy port must not take the exports down with it: report and keep the agent running.
            logger.error("the progress page cannot start; exports and MQTT keep running", metadata: [
                "address": "\(settings.host):\(settings.port)", "error": "\(error)",
                "hint": "choose another web_port or stop whatever listens there",
            ])
            try? await gracefulShutdown()
        }
    }
}
