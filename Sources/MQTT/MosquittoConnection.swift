import CMosquitto
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one libmosquitto handle and everything its callbacks touch.
///
/// Split from `MQTTClient` so the callback userdata (an unretained pointer to this object)
/// stays valid until the loop thread is joined: `MQTTClient.deinit` shuts this down
/// first, and only then is this object released.
///
/// Locking: `handle` guards the mosquitto pointer's lifetime and is held around every
/// libmosquitto call made from outside the loop thread. `state` is what the callbacks
/// read and write. Order is always handle → state; callbacks never take `handle`, so
/// `mosquitto_loop_stop` (which joins the loop thread) cannot deadlock with them.
final class MosquittoConnection: Sendable {
    enum Phase: Sendable {
        case idle        // created, start() not called
        case connecting  // our own retry loop: connect_async has not succeeded yet
        case running     // loop thread owns (re)connecting
        case stopped
    }

    struct HandleState {
        var mosq: OpaquePointer?
        var phase: Phase = .idle
    }

    struct SessionState {
        var connected = false
        var subscriptions: [String: Int] = [:]
        var lastError: MQTTError?
        var retryTask: Task<Void, Never>?
        /// QoS 1/2 messages handed to libmosquitto and not yet acknowledged by the broker.
        var unacknowledged: Set<Int32> = []
        var acknowledgedEarly: Set<Int32> = []
    }

    let configuration: MQTTConfiguration
    let logger: Logger
    let messages: AsyncStream<MQTTMessage>
    let events: AsyncStream<MQTTConnectionEvent>
    let messageSink: AsyncStream<MQTTMessage>.Continuation
    let eventSink: AsyncStream<MQTTConnectionEvent>.Continuation
    let handle = Locked(HandleState())
    let state = Locked(SessionState())

    var endpoint: String { configuration.endpoint }

    init(configuration: MQTTConfiguration, logger: Logger) throws(MQTTError) {
        try configuration.validate()
        if configuration.clientID.isEmpty && !configuration.cleanSession {
            throw .invalidConfiguration("an empty mqtt client id needs a clean session")
        }
        guard Mosquitto.libraryInitialized else {
            throw .library(operation: "mosquitto_lib_init", reason: "libmosquitto could not be initialised")
        }
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "mqtt.broker"] = "\(configuration.endpoint)"
        logger[metadataKey: "mqtt.client_id"] = "\(configuration.clientID)"
        self.logger = logger
        // Bounded so a stalled consumer cannot grow memory without limit.
        (messages, messageSink) = AsyncStream.makeStream(of: MQTTMessage.self, bufferingPolicy: .bufferingNewest(1024))
        (events, eventSink) = AsyncStream.makeStream(of: MQTTConnectionEvent.self, bufferingPolicy: .bufferingNewest(64))

        let userdata = Unmanaged.passUnretained(self).toOpaque()
        let clientID = configuration.clientID.isEmpty ? nil : configuration.clientID
        guard let mosq = mosquitto_new(clientID, configuration.cleanSession, userdata) else {
            let reason = String(cString: strerror(errno))
            throw .library(operation: "mosquitto_new", reason: reason)
        }
        installCallbacks(mosq)
        handle.withLock { $0.mosq = mosq }
    }

    // MARK: - Start

    func start() throws(MQTTError) {
        try handle.withLock { (h: inout HandleState) throws(MQTTError) in
            switch h.phase {
            case .stopped: throw .stopped
            case .connecting, .running: return  // idempotent
            case .idle: break
            }
            guard let mosq = h.mosq else { throw .stopped }
            try configure(mosq)
            h.phase = .connecting
            if !attemptConnect(mosq, &h) {
                scheduleRetry()
            }
        }
    }

    /// Will, credentials, TLS and backoff: everything that must be set before the first connect.
    private func configure(_ mosq: OpaquePointer) throws(MQTTError) {
        func check(_ rc: Int32, _ operation: String) throws(MQTTError) {
            guard rc != Mosquitto.code(MOSQ_ERR_SUCCESS) else { return }
            throw .library(operation: operation, reason: Mosquitto.describe(rc, errno: errno))
        }
        if let will = configuration.will {
            guard will.payload.count <= Int(Int32.max) else {
                throw .invalidConfiguration("mqtt will payload is too large")
            }
            let rc = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set(mosq, will.topic, Int32(bytes.count), bytes.baseAddress, Int32(will.qos), will.retain)
            }
            try check(rc, "setting the MQTT will on \(will.topic)")
        }
        if let username = configuration.username {
            try check(mosquitto_username_pw_set(mosq, username, configuration.password), "setting the MQTT credentials")
        }
        if configuration.tls {
            // libmosquitto only says "invalid arguments" for an unreadable CA file.
            if let caFile = configuration.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
                throw .tls(endpoint: endpoint, reason: "CA file \(caFile) is not readable")
            }
            // mosquitto_tls_set needs a CA file or directory; fall back to the system store.
            let caPath = configuration.caFile == nil ? "/etc/ssl/certs" : nil
            let rc = mosquitto_tls_set(mosq, configuration.caFile, caPath, nil, nil, nil)
            if rc != Mosquitto.code(MOSQ_ERR_SUCCESS) {
                throw .tls(endpoint: endpoint, reason: Mosquitto.describe(rc, errno: errno))
            }
            try check(mosquitto_tls_insecure_set(mosq, configuration.tlsInsecure), "setting MQTT TLS host checking")
        }
        try check(
            mosquitto_reconnect_delay_set(
                mosq, UInt32(configuration.reconnectDelayMin), UInt32(configuration.reconnectDelayMax), true),
            "setting the MQTT reconnect delay")
    }

    /// One connect_async; on success hands the handle to the loop thread, which from then
    /// on reconnects by itself. Returns false when we must retry ourselves.
    private func attemptConnect(_ mosq: OpaquePointer, _ h: inout HandleState) -> Bool {
        let rc = mosquitto_connect_async(
            mosq, configuration.host, Int32(configuration.port), Int32(configuration.keepAlive))
        let savedErrno = errno
        guard rc == Mosquitto.code(MOSQ_ERR_SUCCESS) else {
            reportConnectFailure(Mosquitto.connectError(rc, errno: savedErrno, endpoint: endpoint))
            return false
        }
        let loopRC = mosquitto_loop_start(mosq)
        guard loopRC == Mosquitto.code(MOSQ_ERR_SUCCESS) else {
            reportConnectFailure(.library(operation: "mosquitto_loop_start", reason: Mosquitto.describe(loopRC)))
            return false
        }
        h.phase = .running
        return true
    }

    /// libmosquitto's loop thread only reconnects after a first connect_async succeeded,
    /// so "broker down at start" is retried here, with the same backoff.
    private func scheduleRetry() {
        let task = Task.detached { [self] in
            var delay = configuration.reconnectDelayMin
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(delay))
                if Task.isCancelled { return }
                let done = handle.withLock { h -> Bool in
                    guard h.phase == .connecting, let mosq = h.mosq else { return true }
                    return attemptConnect(mosq, &h)
                }
                if done { return }
                delay = min(delay * 2, configuration.reconnectDelayMax)
            }
        }
        state.withLock { $0.retryTask = task }
    }

    /// Reported as an event only: whoever owns the client logs broker events, once each.
    func reportConnectFailure(_ error: MQTTError) {
        state.withLock { $0.lastError = error }
        eventSink.yield(.connectFailed(reason: error.description))
    }

    // MARK: - Subscribe / publish

    func subscribe(_ topic: String, qos: Int) {
        guard mosquitto_sub_topic_check(topic) == Mosquitto.code(MOSQ_ERR_SUCCESS) else {
            logger.error("Ignoring invalid MQTT subscription topic", metadata: ["topic": "\(topic)"])
            return
        }
        let qos = min(max(qos, 0), 2)
        // Recording and reading `connected` in one critical section pairs with didConnect:
        // either the connect callback sees this topic, or we see `connected` and send it.
        let connectedNow = state.withLock { s -> Bool in
            s.subscriptions[topic] = qos
            return s.connected
        }
        guard connectedNow else {
            logger.debug("MQTT subscription queued until connected", metadata: ["topic": "\(topic)"])
            return
        }
        handle.withLock { h in
            guard h.phase == .running, let mosq = h.mosq else { return }
            sendSubscribe(mosq, topic: topic, qos: qos)
        }
    }

    func unsubscribe(_ topic: String) {
        let connectedNow = state.withLock { s -> Bool in
            s.subscriptions[topic] = nil
            return s.connected
        }
        guard connectedNow else { return }
        handle.withLock { h in
            guard h.phase == .running, let mosq = h.mosq else { return }
            let rc = mosquitto_unsubscribe(mosq, nil, topic)
            if rc != Mosquitto.code(MOSQ_ERR_SUCCESS) {
                logger.warning("MQTT unsubscribe failed", metadata: [
                    "topic": "\(topic)", "error": "\(Mosquitto.describe(rc))",
                ])
            }
        }
    }

    /// Safe from any thread, including the loop thread's connect callback.
    func sendSubscribe(_ mosq: OpaquePointer, topic: String, qos: Int) {
        let rc = mosquitto_subscribe(mosq, nil, topic, Int32(qos))
        if rc == Mosquitto.code(MOSQ_ERR_SUCCESS) {
            logger.debug("MQTT subscribe sent", metadata: ["topic": "\(topic)", "qos": "\(qos)"])
        } else {
            logger.warning("MQTT subscribe failed", metadata: [
                "topic": "\(topic)", "error": "\(Mosquitto.describe(rc))",
            ])
        }
    }

    func publish(_ message: MQTTMessage) throws(MQTTError) {
        let operation = "publishing to \(message.topic)"
        guard (0...2).contains(message.qos) else {
            throw .library(operation: operation, reason: "qos \(message.qos) must be 0, 1 or 2")
        }
        guard message.payload.count <= Int(Int32.max) else {
            throw .library(operation: operation, reason: "payload too large")
        }
        // Checked before taking `handle` so a publish never waits behind a slow connect attempt.
        guard state.withLock({ $0.connected }) else { throw .notConnected(endpoint: endpoint) }
        try handle.withLock { (h: inout HandleState) throws(MQTTError) in
            guard h.phase == .running, let mosq = h.mosq else {
                throw h.phase == .stopped ? .stopped : .notConnected(endpoint: endpoint)
            }
            // Only enqueues: the loop thread does the network write.
            var mid: Int32 = 0
            let rc = message.payload.withUnsafeBytes { bytes in
                mosquitto_publish(
                    mosq, &mid, message.topic, Int32(bytes.count), bytes.baseAddress, Int32(message.qos), message.retain)
            }
            switch rc {
            case Mosquitto.code(MOSQ_ERR_SUCCESS):
                if message.qos > 0 {
                    state.withLock { s in
                        if s.acknowledgedEarly.remove(mid) == nil { s.unacknowledged.insert(mid) }
                    }
                }
                return
            case Mosquitto.code(MOSQ_ERR_NO_CONN): throw .notConnected(endpoint: endpoint)
            default: throw .library(operation: operation, reason: Mosquitto.describe(rc, errno: errno))
            }
        }
    }

    var isConnected: Bool { state.withLock { $0.connected } }

    /// Waits until the broker has acknowledged every QoS 1/2 message published so far, while
    /// connected, at most `timeout`. A DISCONNECT right after a publish can otherwise close the
    /// socket with the publish still queued (the final state and `offline` of a shutdown were lost
    /// that way, and the broker sent the will instead).
    func drain(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let settled = state.withLock { !$0.connected || $0.unacknowledged.isEmpty }
            if settled { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
        logger.debug("MQTT messages still unacknowledged at shutdown")
    }
    var lastError: MQTTError? { state.withLock { $0.lastError } }

    // MARK: - Stop

    /// Clean DISCONNECT (so the broker drops the will), join the loop thread, free the
    /// handle, end both streams. Idempotent; blocks only for the thread join.
    func shutdown() {
        let retryTask = state.withLock { s -> Task<Void, Never>? in
            defer { s.retryTask = nil }
            return s.retryTask
        }
        retryTask?.cancel()
        let didStop = handle.withLock { h -> Bool in
            guard h.phase != .stopped else { return false }
            let wasRunning = h.phase == .running
            h.phase = .stopped
            guard let mosq = h.mosq else { return true }
            if wasRunning {
                // NO_CONN (mid-backoff) still flags the loop to exit and wakes it up.
                mosquitto_disconnect(mosq)
                mosquitto_loop_stop(mosq, false)
            }
            mosquitto_destroy(mosq)
            h.mosq = nil
            return true
        }
        guard didStop else { return }
        state.withLock { $0.connected = false }
        logger.debug("MQTT client stopped")
        eventSink.finish()
        messageSink.finish()
    }

    // MARK: - Test hook

    /// Drops the TCP connection without DISCONNECT, as a network failure would: the broker
    /// then publishes the will and the loop thread reconnects.
    func simulateNetworkFailure() {
        handle.withLock { h in
            guard h.phase == .running, let mosq = h.mosq else { return }
            let fd = mosquitto_socket(mosq)
            if fd >= 0 {
                #if canImport(Glibc)
                _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
                #elseif canImport(Darwin)
                _ = Darwin.shutdown(fd, SHUT_RDWR)
                #endif
            }
        }
    }
}
