import ExportCore
import Foundation
import Logging
import MQTT
import Synchronization

/// Something that sends MQTT messages; `MQTTClient` in production.
public protocol MessagePublishing: Sendable {
    func publish(_ message: MQTTMessage) throws(MQTTError)
}

extension MQTTClient: MessagePublishing {}

/// Publishes discovery, availability, the state documents and events to Home Assistant.
///
/// States are retained and throttled to about one per second during a run; milestones
/// (start, phase change, end) go out at once. While the broker is down publishes fail
/// quietly: every reconnect re-publishes everything (see `publishAll`).
public final class StatePublisher: Sendable {
    public let topics: HATopics
    private let client: any MessagePublishing
    private let tracker: ProgressTracker
    private let logger: Logger
    private let interval: Duration
    private let timeZone: TimeZone
    private let nextRun = Mutex<Date?>(nil)

    public init(topics: HATopics, client: any MessagePublishing, tracker: ProgressTracker, logger: Logger,
                interval: Duration = .seconds(1), timeZone: TimeZone = .current) {
        self.topics = topics
        self.client = client
        self.tracker = tracker
        self.logger = logger
        self.interval = interval
        self.timeZone = timeZone
    }

    /// Availability `online`, every discovery config, then the current states.
    public func publishAll() {
        publishOnline()
        publishDiscovery()
        publishState()
    }

    public func publishOnline() {
        send(MQTTMessage(topic: topics.availability, string: "online", qos: 1, retain: true))
    }

    public func publishOffline() {
        send(MQTTMessage(topic: topics.availability, string: "offline", qos: 1, retain: true))
    }

    public func publishDiscovery() {
        for message in HADiscovery.messages(topics: topics) {
            send(MQTTMessage(topic: message.topic, payload: message.payload, qos: 1, retain: true))
        }
    }

    public func publishState() {
        // Snapshot and send under one lock: the throttled loop and the shutdown's final publish
        // can run at once, and an older snapshot must never go out after a newer one.
        stateOrder.withLock { _ in
            let snapshot = tracker.snapshot()
            let state = HAStateDocument(snapshot: snapshot, nextRun: nextRun.withLock { $0 }, timeZone: timeZone)
            send(MQTTMessage(topic: topics.state, payload: CompactJSON.encode(state), qos: 1, retain: true))
            send(MQTTMessage(topic: topics.attributes, payload: CompactJSON.encode(HAAttributesDocument(snapshot: snapshot)),
                             qos: 1, retain: true))
        }
    }
    private let stateOrder = Mutex(())

    /// Records the next scheduled run and publishes it.
    public func setNextRun(_ date: Date?) {
        let changed = nextRun.withLock { current in
            defer { current = date }
            return current != date
        }
        if changed { publishState() }
    }

    /// Fires the event entity (not retained: HA must not replay it after a restart).
    public func publishEvent(_ event: Runner.Event) {
        send(MQTTMessage(topic: topics.event, payload: CompactJSON.encode(HAEventPayload.from(event)), qos: 1, retain: false))
    }

    /// Follows the tracker until its signal stream ends or the task is cancelled.
    public func follow() async {
        let clock = ContinuousClock()
        var lastPublish = clock.now - interval
        for await signal in tracker.signals() {
            if signal == .tick, clock.now - lastPublish < interval {
                // Coalesce ticks: the stream keeps only the newest signal while we sleep.
                try? await Task.sleep(for: interval - (clock.now - lastPublish))
            }
            publishState()
            lastPublish = clock.now
        }
    }

    private func send(_ message: MQTTMessage) {
        do {
            try client.publish(message)
        } catch .notConnected, .stopped {
            // Expected while the broker is away (the next connect re-publishes everything) or after shutdown.
            logger.trace("not connected; dropped", metadata: ["topic": "\(message.topic)"])
        } catch {
            logger.warning("MQTT publish failed", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
        }
    }
}
