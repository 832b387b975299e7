import Foundation
import Postgres

/// A throwaway PostgreSQL server in a temp dir on a free loopback port. PostgreSQL refuses to run
/// as root, so when we are root the server runs as the `postgres` user in a directory it owns.
public final class PostgresCluster: @unchecked Sendable {
    public let directory: String
    public let port: Int
    public let host = "127.0.0.1"
    /// Superuser for fixtures, reached over TCP with a password like a real install.
    public let adminUser = "fixture_admin"
    public let adminPassword = "fixture-admin-secret"
    private let binDir: String
    private var stopped = false

    /// One server per test process, started on first use and stopped at exit.
    public static let shared: Result<PostgresCluster, Error> = Result { try PostgresCluster.start() }

    public static func start() throws -> PostgresCluster {
        let binDir = try Self.findBinDir()
        let dir = try TempDirectory.make("immich-export-pg")
        let port = Shell.freePort()
        let cluster = PostgresCluster(directory: dir, port: port, binDir: binDir)
        do { try cluster.boot() } catch {
            cluster.stop()
            throw error
        }
        atexit_register(cluster)
        return cluster
    }

    private init(directory: String, port: Int, binDir: String) {
        self.directory = directory
        self.port = port
        self.binDir = binDir
    }

    private static func findBinDir() throws -> String {
        if let out = try? Shell.run(Shell.which("pg_config") ?? "/usr/bin/pg_config", ["--bindir"]) {
            let dir = out.trimmingCharacters(in: .whitespacesAndNewlines)
            if FileManager.default.fileExists(atPath: dir + "/initdb") { return dir }
        }
        for candidate in ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"]
        where FileManager.default.fileExists(atPath: candidate + "/initdb") { return candidate }
        throw Shell.Failure(command: "pg_config --bindir", status: 127, output: "PostgreSQL server binaries not found: apt-get install postgresql")
    }

    private var asPostgres: Bool { getuid() == 0 }

    /// Runs a server binary, as the postgres user when we are root.
    @discardableResult
    private func pg(_ tool: String, _ args: [String]) throws -> String {
        if asPostgres {
            return try Shell.run("/usr/sbin/runuser", ["-u", "postgres", "--", binDir + "/" + tool] + args)
        }
        return try Shell.run(binDir + "/" + tool, args)
    }

    private func boot() throws {
        if asPostgres { try Shell.run("/bin/chown", ["postgres:postgres", directory]) }
        let pwfile = directory + "/pw"
        try (adminPassword + "\n").write(toFile: pwfile, atomically: true, encoding: .utf8)
        if asPostgres { try Shell.run("/bin/chown", ["postgres:postgres", pwfile]) }
        try pg("initdb", ["-D", directory + "/data", "-U", adminUser, "--pwfile", pwfile, "-E", "UTF8",
                          "--locale", "C", "--auth-local", "trust", "--auth-host", "scram-sha-256", "--no-sync"])
        // max_connections: Swift Testing runs a process's tests side by side, and every sandbox
        // holds admin and exporter connections at once (70+ seen at a time in one suite alone).
        let conf = """
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = '\(directory)'
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            max_connections = 400
            shared_buffers = 32MB
            """
        let confPath = directory + "/data/postgresql.conf"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: confPath))
        handle.seekToEndOfFile()
        handle.write(Data(("\n" + conf + "\n").utf8))
        try handle.close()
        try pg("pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60", "start"])
    }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? pg("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Configuration for the fixture superuser (writes allowed).
    public func adminConfiguration(database: String) -> PostgresConfiguration {
        PostgresConfiguration(host: host, port: port, database: database, user: adminUser, password: adminPassword,
                              connectTimeout: 5, readOnly: false)
    }

    /// Creates an empty database and returns its name.
    public func createDatabase(_ name: String = "immich_" + UUID().uuidString.prefix(8).lowercased()) async throws -> String {
        let conn = try await PostgresConnection.connect(adminConfiguration(database: "postgres"), logger: .init(label: "fixture"))
        defer { Task { await conn.close() } }
        try await conn.execute(script: "CREATE DATABASE \"\(name)\"")
        return name
    }

    public func dropDatabase(_ name: String) async {
        guard let conn = try? await PostgresConnection.connect(adminConfiguration(database: "postgres"), logger: .init(label: "fixture")) else { return }
        try? await conn.execute(script: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
        await conn.close()
    }

    public func execute(database: String, _ script: String) async throws {
        let conn = try await PostgresConnection.connect(adminConfiguration(database: database), logger: .init(label: "fixture"))
        do { try await conn.execute(script: script) } catch {
            await conn.close()
            throw error
        }
        await conn.close()
    }

    /// Restarts the server (same port and data), e.g. to test reconnects.
    public func restart() throws {
        try pg("pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60", "restart", "-m", "fast"])
    }

    public func pause() throws { try pg("pg_ctl", ["-D", directory + "/data", "-w", "stop", "-m", "fast"]) }
    public func resume() throws { try pg("pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60", "start"]) }
}

private nonisolated(unsafe) var clustersToStop: [PostgresCluster] = []
private func atexit_register(_ cluster: PostgresCluster) {
    if clustersToStop.isEmpty { atexit { clustersToStop.forEach { $0.stop() } } }
    clustersToStop.append(cluster)
}
