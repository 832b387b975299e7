/// Why talking to PostgreSQL failed, in terms a user can act on.
public enum PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum ConnectFailure: String, Sendable, Equatable {
        case authentication      // wrong password, unknown role, pg_hba rejects us
        case databaseMissing     // the server is there, the database is not
        case unreachable         // refused, timed out, unknown host
        case connectionLimit     // the server, database or role has no session left for us
        case tls                 // sslmode demands something the server does not offer
        case other
    }

    case connectFailed(ConnectFailure, target: String, message: String)
    case queryFailed(sqlState: String?, message: String)
    case connectionLost(message: String)
    case protocolViolation(String)

    public var description: String {
        switch self {
        case let .connectFailed(kind, target, message):
            let hint: String
            switch kind {
            case .authentication: hint = "check db_user / db_pass (DB_USERNAME / DB_PASSWORD in Immich's .env) and that this role may log in"
            case .databaseMissing: hint = "check db_name: Immich's database is usually called \"immich\""
            case .unreachable: hint = "check db_host / db_port: the address of the machine running Immich, whose docker compose file must publish the database port (ports: \"5432:5432\")"
            case .connectionLimit: hint = "PostgreSQL allows no more sessions (max_connections, or a connection limit on the database or role); stop other clients or raise the limit"
            case .tls: hint = "check db_sslmode against the server's TLS setup"
            case .other: hint = "see the server's message"
            }
            // The hint before the server's message: a Home Assistant state keeps 255 characters,
            // and libpq's messages are long.
            return "cannot connect to PostgreSQL \(target) — \(hint). PostgreSQL said: \(message)"
        case let .queryFailed(state, message):
            return "PostgreSQL query failed\(state.map { " (SQLSTATE \($0))" } ?? ""): \(message)"
        case let .connectionLost(message):
            return "lost the connection to PostgreSQL: \(message)"
        case let .protocolViolation(message):
            return "unexpected answer from PostgreSQL: \(message)"
        }
    }

    public var isRetryable: Bool {
        switch self {
        case .connectFailed(.unreachable, _, _), .connectFailed(.connectionLimit, _, _), .connectionLost: return true
        default: return false
        }
    }

    static func classifyConnectMessage(_ message: String) -> ConnectFailure {
        let m = message.lowercased()
        if m.contains("password authentication failed") || m.contains("no password supplied")
            || m.contains("authentication failed") || (m.contains("role") && m.contains("does not exist"))
            || m.contains("no pg_hba.conf entry") {
            return .authentication
        }
        if m.contains("database") && m.contains("does not exist") { return .databaseMissing }
        if m.contains("ssl") || m.contains("certificate") { return .tls }
        // "too many connections for database/role", "sorry, too many clients already",
        // "remaining connection slots are reserved": checked before `unreachable`, whose
        // "connection to server" every libpq message starts with.
        if m.contains("too many connections") || m.contains("too many clients") || m.contains("connection slots are reserved") {
            return .connectionLimit
        }
        if m.contains("connection refused") || m.contains("could not connect") || m.contains("timeout expired")
            || m.contains("could not translate host name") || m.contains("no route to host")
            || m.contains("network is unreachable") || m.contains("no such file or directory")
            || m.contains("connection to server") {
            return .unreachable
        }
        return .other
    }
}
