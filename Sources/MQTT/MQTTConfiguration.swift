/// How to reach and log in to an MQTT broker.
///
/// `password` is never logged: `description` and reflection (`dump`) redact it.
public struct MQTTConfiguration: Sendable {
    public var host: String
    public var port: Int = 1883
    public var username: String?
    public var password: String?
    public var tls: Bool = false
    /// PEM CA bundle used to verify the broker; nil means the system store (/etc/ssl/certs).
    public var caFile: String?
    /// Skips the broker host name check (the certificate chain is still verified).
    public var tlsInsecure: Bool = false
    public var clientID: String
    /// Seconds; libmosquitto requires at least 5.
    public var keepAlive: Int = 30
    /// Published by the broker when the connection drops without a clean `stop()`.
    public var will: MQTTMessage?
    /// Reconnect backoff in seconds: doubles from min up to max.
    public var reconnectDelayMin: Int = 1
    public var reconnectDelayMax: Int = 60
    /// false keeps subscriptions and queued QoS>0 messages on the broker across reconnects.
    public var cleanSession: Bool = true

    public init(
        host: String,
        port: Int = 1883,
        clientID: String,
        username: String? = nil,
        password: String? = nil,
        tls: Bool = false,
        caFile: String? = nil,
        tlsInsecure: Bool = false,
        keepAlive: Int = 30,
        will: MQTTMessage? = nil,
        reconnectDelayMin: Int = 1,
        reconnectDelayMax: Int = 60,
        cleanSession: Bool = true
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.password = password
        self.tls = tls
        self.caFile = caFile
        self.tlsInsecure = tlsInsecure
        self.keepAlive = keepAlive
        self.will = will
        self.reconnectDelayMin = reconnectDelayMin
        self.reconnectDelayMax = reconnectDelayMax
        self.cleanSession = cleanSession
    }

    /// "host:port", as used in log lines and error messages.
    public var endpoint: String { "\(host):\(port)" }

    /// Checks what libmosquitto would otherwise reject with a less helpful error.
    func validate() throws(MQTTError) {
        func invalid(_ reason: String) -> MQTTError { .invalidConfiguration(reason) }
        if host.isEmpty { throw invalid("mqtt host is empty") }
        if !(1...65535).contains(port) { throw invalid("mqtt port \(port) is not in 1...65535") }
        if keepAlive < 5 || keepAlive > 65535 { throw invalid("mqtt keepalive \(keepAlive) must be 5...65535 seconds") }
        if password != nil && username == nil { throw invalid("mqtt password is set but mqtt user is not") }
        if reconnectDelayMin < 1 { throw invalid("reconnect delay min \(reconnectDelayMin) must be at least 1 second") }
        if reconnectDelayMax < reconnectDelayMin {
            throw invalid("reconnect delay max \(reconnectDelayMax) is below min \(reconnectDelayMin)")
        }
        if let will {
            if will.topic.isEmpty { throw invalid("mqtt will topic is empty") }
            if !(0...2).contains(will.qos) { throw invalid("mqtt will qos \(will.qos) must be 0, 1 or 2") }
        }
        if caFile != nil && !tls { throw invalid("mqtt CA file is set but TLS is off") }
    }
}

extension MQTTConfiguration: CustomStringConvertible, CustomReflectable {
    public var description: String {
        var parts = ["\(tls ? "mqtts" : "mqtt")://\(endpoint)", "clientID=\(clientID)"]
        if let username { parts.append("user=\(username)") }
        if password != nil { parts.append("password=<redacted>") }
        if let will { parts.append("will=\(will.topic)") }
        return "MQTTConfiguration(" + parts.joined(separator: " ") + ")"
    }

    // Keeps `dump(config)` from printing the password.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "host": host, "port": port, "clientID": clientID,
            "username": username as Any, "password": password == nil ? "nil" : "<redacted>",
            "tls": tls, "caFile": caFile as Any, "tlsInsecure": tlsInsecure,
            "keepAlive": keepAlive, "will": will as Any,
            "reconnectDelayMin": reconnectDelayMin, "reconnectDelayMax": reconnectDelayMax,
            "cleanSession": cleanSession,
        ])
    }
}
