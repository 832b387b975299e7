import CMosquitto
import Logging

/// libmosquitto callbacks. They run on the loop thread, so they only copy data out,
/// update `state` briefly and yield into the streams; they never block and never take
/// the `handle` lock (see MosquittoConnection).
extension MosquittoConnection {
    /// The userdata passed to mosquitto_new: an unretained pointer that stays valid
    /// because the handle is destroyed (and the loop thread joined) before we are freed.
    private static func from(_ userdata: UnsafeMutableRawPointer?) -> MosquittoConnection? {
        userdata.map { Unmanaged<MosquittoConnection>.fromOpaque($0).takeUnretainedValue() }
    }

    func installCallbacks(_ mosq: OpaquePointer) {
        mosquitto_connect_callback_set(mosq) { mosq, userdata, rc in
            guard let mosq, let connection = MosquittoConnection.from(userdata) else { return }
            connection.didConnect(mosq, rc: rc)
        }
        mosquitto_disconnect_callback_set(mosq) { _, userdata, rc in
            MosquittoConnection.from(userdata)?.didDisconnect(rc: rc)
        }
        mosquitto_publish_callback_set(mosq) { _, userdata, mid in
            MosquittoConnection.from(userdata)?.didPublish(mid: mid)
        }
        mosquitto_message_callback_set(mosq) { _, userdata, message in
            guard let message, let connection = MosquittoConnection.from(userdata) else { return }
            connection.didReceive(message.pointee)
        }
        mosquitto_log_callback_set(mosq) { _, userdata, _, text in
            guard let text, let connection = MosquittoConnection.from(userdata) else { return }
            // libmosquitto's own chatter ("sending PINGREQ", ...): only for deep debugging.
            connection.logger.trace("libmosquitto: \(String(cString: text))")
        }
    }

    private func didConnect(_ mosq: OpaquePointer, rc: Int32) {
        guard rc == 0 else {
            let reason = Mosquitto.describeConnack(rc)
            let error: MQTTError = Mosquitto.isAuthFailure(connack: rc)
                ? .notAuthorized(endpoint: endpoint, reason: reason)
                : .connectionRefused(endpoint: endpoint, reason: reason)
            reportConnectFailure(error)
            return
        }
        let topics = state.withLock { s -> [String: Int] in
            s.connected = true
            s.lastError = nil
            return s.subscriptions
        }
        // Clean sessions forget subscriptions, so every (re)connect re-sends all of them.
        for (topic, qos) in topics.sorted(by: { $0.key < $1.key }) {
            sendSubscribe(mosq, topic: topic, qos: qos)
        }
        eventSink.yield(.connected)
    }

    /// The broker acknowledged a QoS 1/2 message (or a QoS 0 one left the socket).
    private func didPublish(mid: Int32) {
        state.withLock { s in
            // The acknowledgement can beat `publish` to recording the id.
            if s.unacknowledged.remove(mid) == nil { s.acknowledgedEarly.insert(mid) }
        }
    }

    private func didDisconnect(rc: Int32) {
        let wasConnected = state.withLock { s -> Bool in
            defer { s.connected = false }
            return s.connected
        }
        if wasConnected {
            let reason = rc == 0 ? "client disconnected" : Mosquitto.describe(rc)
            eventSink.yield(.disconnected(reason: reason))
        } else if rc != 0 && rc != Mosquitto.code(MOSQ_ERR_CONN_REFUSED) {
            // Dropped during the handshake (e.g. TLS mismatch); a refused CONNACK was
            // already reported by didConnect.
            reportConnectFailure(Mosquitto.connectError(rc, errno: nil, endpoint: endpoint))
        }
    }

    private func didReceive(_ message: mosquitto_message) {
        // libmosquitto frees the message after the callback returns: copy everything now.
        guard let topicPointer = message.topic else { return }
        let topic = String(cString: topicPointer)
        var payload: [UInt8] = []
        if let bytes = message.payload, message.payloadlen > 0 {
            payload = Array(UnsafeRawBufferPointer(start: bytes, count: Int(message.payloadlen)))
        }
        let result = messageSink.yield(
            MQTTMessage(topic: topic, payload: payload, qos: Int(message.qos), retain: message.retain))
        if case .dropped = result {
            logger.warning("MQTT message consumer is too slow; dropped the oldest message", metadata: ["topic": "\(topic)"])
        }
    }
}
