/// Where and how to reach a PostgreSQL server. `password` is never logged or printed.
public struct PostgresConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var database: String
    public var user: String
    public var password: String?
    /// Seconds libpq waits for the TCP/TLS handshake (libpq `connect_timeout`).
    public var connectTimeout: Int
    /// libpq `sslmode`: disable | allow | prefer | require | verify-ca | verify-full.
    public var sslMode: String?
    public var applicationName: String
    /// Every transaction of the session is read-only: the exporter never writes to Immich.
    public var readOnly: Bool

    public init(
        host: String, port: Int = 5432, database: String, user: String, password: String? = nil,
        connectTimeout: Int = 10, sslMode: String? = nil, applicationName: String = "immich-export",
        readOnly: Bool = true
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.connectTimeout = connectTimeout
        self.sslMode = sslMode
        self.applicationName = applicationName
        self.readOnly = readOnly
    }

    /// The libpq keyword/value pairs for `PQconnectdbParams`.
    var libpqParameters: [(String, String)] {
        var pairs: [(String, String)] = [
            ("host", host), ("port", String(port)), ("dbname", database), ("user", user),
            ("connect_timeout", String(max(connectTimeout, 2))), ("application_name", applicationName),
            // libpq reads env vars such as PGSERVICE otherwise; we want exactly what was configured.
            ("client_encoding", "UTF8"),
            // No Kerberos-encrypted sessions (Immich's database offers none): libpq would load the
            // GSS libraries and look for a ticket before every connection.
            ("gssencmode", "disable"),
        ]
        if let password, !password.isEmpty { pairs.append(("password", password)) }
        if let sslMode, !sslMode.isEmpty { pairs.append(("sslmode", sslMode)) }
        if readOnly { pairs.append(("options", "-c default_transaction_read_only=on")) }
        return pairs
    }

    /// "user@host:port/db" — safe to log.
    public var redactedDescription: String { "\(user)@\(host):\(port)/\(database)" }
}
