import ExportCore
import Foundation
import Logging
import MQTT
import Synchronization

/// The MQTT session with Home Assistant: announces the entities on every connect, keeps the
/// states current, routes button presses and commands to the Runner, and answers HA's birth
/// message by announcing everything again.
final class HomeAssistantBridge: Sendable {
    let client: MQTTClient
    let publisher: StatePublisher
    let runner: Runner
    let logger: Logger
    /// Random wait before re-announcing after HA's birth, so many devices don't answer at once.
    let birthDelay: ClosedRange<Double>
    /// Set by `shutdown()`: the disconnect that follows is ours, not an outage.
    private let stopping = Atomic<Bool>(false)
    private let republishRequests: AsyncStream<Void>
    private let republishContinuation: AsyncStream<Void>.Continuation

    init(client: MQTTClient, publisher: StatePublisher, runner: Runner, logger: Logger,
         birthDelay: ClosedRange<Double> = 0.5...2.5) {
        self.client = client
        self.publisher = publisher
        self.runner = runner
        self.logger = logger
        self.birthDelay = birthDelay
        (republishRequests, republishContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    var topics: HATopics { publisher.topics }

    /// Connects and serves until `shutdown()` ends the client's streams.
    func run() async {
        // Subscriptions are remembered by the client and renewed on every reconnect.
        client.subscribe(topics.command, qos: 1)
        client.subscribe(topics.homeAssistantStatus, qos: 1)
        let runnerEvents = runner.events()
        do {
            try client.start()
        } catch {
            logger.error("MQTT cannot start; Home Assistant integration is off", metadata: ["error": "\(error)"])
            return
        }
        let settings = client.configuration
        logger.info("connecting to MQTT broker", metadata: [
            "broker": "\(settings.endpoint)", "tls": "\(settings.tls)", "auth": "\(settings.username != nil)",
        ])
        await withDiscardingTaskGroup { group in
            group.addTask { await self.followConnection() }
            group.addTask { await self.followMessages() }
            group.addTask { await self.followRepublishRequests() }
            group.addTask { await self.publisher.follow() }
            group.addTask {
                for await event in runnerEvents { self.publisher.publishEvent(event) }
            }
        }
    }

    /// Publishes the final state and `offline`, then disconnects cleanly (so no will is sent).
    func shutdown() async {
        stopping.store(true, ordering: .relaxed)
        if client.isConnected {
            publisher.publishState()
            publisher.publishOffline()
        }
        republishContinuation.finish()
        await client.stop()
    }

    /// The one log line per broker event: connected (info), lost (warning; a disconnect we asked
    /// for at shutdown is debug), a failed attempt (warning the first time for a reason, then debug:
    /// a broker that stays down would otherwise log every backoff step).
    private func followConnection() async {
        var lastFailure: String?
        let broker: Logger.MetadataValue = "\(client.configuration.endpoint)"
        for await event in client.connectionEvents {
            switch event {
            case .connected:
                logger.info("connected to MQTT broker; announcing entities", metadata: ["broker": broker])
                lastFailure = nil
                publisher.publishAll()
            case let .disconnected(reason):
                let ours = stopping.load(ordering: .relaxed)
                logger.log(level: ours ? .debug : .warning, ours ? "disconnected from MQTT broker" : "lost the MQTT broker connection; reconnecting",
                           metadata: ["broker": broker, "reason": "\(reason)"])
            case let .connectFailed(reason):
                let repeated = reason == lastFailure
                logger.log(level: repeated ? .debug : .warning,
                           repeated ? "MQTT connect retry failed" : "cannot connect to MQTT broker; exports continue, retrying in the background",
                           metadata: ["broker": broker, "reason": "\(reason)"])
                lastFailure = reason
            }
        }
    }

    private func followMessages() async {
        for await message in client.messages {
            if message.topic == topics.command {
                await handleCommand(message)
            } else if message.topic == topics.homeAssistantStatus {
                handleHomeAssistantStatus(message)
            }
        }
    }

    private func handleCommand(_ message: MQTTMessage) async {
        switch CommandParser.parse(message.payload) {
        case let .success(.run(dryRun)):
            _ = await runner.start(dryRun: dryRun, trigger: .mqtt)
        case .success(.cancel):
            await runner.cancel()
        case let .failure(failure):
            logger.warning("ignoring malformed MQTT command", metadata: ["topic": "\(message.topic)", "problem": "\(failure)"])
        }
    }

    private func handleHomeAssistantStatus(_ message: MQTTMessage) {
        let payload = message.payloadString?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if payload == "online" {
            logger.info("Home Assistant came online; announcing entities again")
            republishContinuation.yield()
        } else {
            logger.debug("Home Assistant status", metadata: ["status": "\(payload.prefix(20))"])
        }
    }

    private func followRepublishRequests() async {
        for await _ in republishRequests {
            try? await Task.sleep(for: .milliseconds(Int(Double.random(in: birthDelay) * 1000)))
            publisher.publishAll()
        }
    }
}
