import CMosquitto
import Foundation

/// Process-wide libmosquitto setup and translation of its result codes.
enum Mosquitto {
    /// mosquitto_lib_init must run once per process before any mosquitto_new;
    /// a static let is initialised exactly once, thread-safely.
    static let libraryInitialized: Bool = mosquitto_lib_init() == code(MOSQ_ERR_SUCCESS)

    static func code(_ error: mosq_err_t) -> Int32 {
        Int32(error.rawValue)
    }

    /// Text for a libmosquitto result code; `savedErrno` is used for MOSQ_ERR_ERRNO because
    /// errno may have been overwritten by the time the text is built.
    static func describe(_ rc: Int32, errno savedErrno: Int32? = nil) -> String {
        if rc == code(MOSQ_ERR_ERRNO), let savedErrno {
            return String(cString: strerror(savedErrno))
        }
        return String(cString: mosquitto_strerror(rc))
    }

    /// Text for a CONNACK return/reason code (MQTT 3.1.1 or 5).
    static func describeConnack(_ rc: Int32) -> String {
        String(cString: mosquitto_connack_string(rc))
    }

    /// CONNACK codes that mean "wrong credentials": 3.1.1 uses 4/5, MQTT 5 uses 134/135.
    static func isAuthFailure(connack rc: Int32) -> Bool {
        [4, 5, 134, 135].contains(rc)
    }

    /// Maps a failed connect / lost handshake to the error a person can act on.
    static func connectError(_ rc: Int32, errno savedErrno: Int32?, endpoint: String) -> MQTTError {
        let reason = describe(rc, errno: savedErrno)
        switch rc {
        case code(MOSQ_ERR_TLS), code(MOSQ_ERR_TLS_HANDSHAKE):
            return .tls(endpoint: endpoint, reason: reason)
        case code(MOSQ_ERR_AUTH):
            return .notAuthorized(endpoint: endpoint, reason: reason)
        case code(MOSQ_ERR_INVAL), code(MOSQ_ERR_NOMEM), code(MOSQ_ERR_NOT_SUPPORTED):
            return .library(operation: "connect to MQTT broker \(endpoint)", reason: reason)
        default:
            return .unreachable(endpoint: endpoint, reason: reason)
        }
    }
}
