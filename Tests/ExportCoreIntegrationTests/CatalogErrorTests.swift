import ExportCore
import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Database errors are clear and touch no file")
struct CatalogErrorTests {
    @Test("wrong password")
    func wrongPassword() async throws {
        try await withSandbox(.c, StandardLibrary().fixture) { sandbox in
            let result = await sandbox.run { $0.database.password = "wrong-password-123" }
            #expect(result.status == .failed)
            #expect(result.error?.contains("db_user / db_pass") == true)
            #expect(result.error?.contains("wrong-password-123") == false)
            #expect(!FileManager.default.fileExists(atPath: sandbox.exportDir))
        }
    }

    @Test("wrong password on a re-run: the export is read ahead, but not a byte of it changes")
    func wrongPasswordOnReRun() async throws {
        try await withSandbox(.d, StandardLibrary().fixture) { sandbox in
            #expect(await sandbox.run().status == .complete)
            func state() throws -> [String: String] {
                var files: [String: String] = [:]
                let enumerator = FileManager.default.enumerator(atPath: sandbox.exportDir)
                while let path = enumerator?.nextObject() as? String {
                    let full = sandbox.exportDir + "/" + path
                    let attributes = try FileManager.default.attributesOfItem(atPath: full)
                    let content = (try? Data(contentsOf: URL(fileURLWithPath: full)))?.base64EncodedString() ?? "folder"
                    files[path] = "\(attributes[.modificationDate] ?? "") \(content)"
                }
                return files
            }
            let before = try state()
            #expect(before.keys.contains { $0.hasPrefix(".immich-export/") })
            let result = await sandbox.run { $0.database.password = "wrong-password-123" }
            #expect(result.status == .failed)
            #expect(result.error?.contains("db_user / db_pass") == true)
            #expect(try state() == before)
        }
    }

    @Test("missing database")
    func missingDatabase() async throws {
        try await withSandbox(.c, StandardLibrary().fixture) { sandbox in
            let result = await sandbox.run { $0.database.database = "no_such_db" }
            #expect(result.status == .failed)
            #expect(result.error?.contains("db_name") == true)
        }
    }

    @Test("unreachable host, with retries")
    func unreachable() async throws {
        try await withSandbox(.c, StandardLibrary().fixture) { sandbox in
            let port = Shell.freePort()
            let clock = ContinuousClock()
            let start = clock.now
            let result = await sandbox.run {
                $0.database.port = port
                $0.dbMaxRetries = 1
            }
            #expect(result.status == .failed)
            #expect(result.error?.contains("db_host / db_port") == true)
            // What to check comes before libpq's long message: Home Assistant's error sensor keeps
            // the first 255 characters.
            let shown = String((result.error ?? "").prefix(255))
            #expect(shown.contains("db_host / db_port") && shown.contains("5432:5432"), "\(result.error ?? "")")
            #expect(clock.now - start >= .seconds(1))  // one retry waited
        }
    }

    @Test("a database that allows one session: albums and assets share it, the export completes")
    func oneSessionOnly() async throws {
        var fixture = ImmichFixture()
        let u = fixture.addUser("U")
        let a = fixture.addAlbum("A", owner: u)
        let b = fixture.addAlbum("B", owner: u)
        for i in 0..<50 { fixture.addAsset("f\(i).jpg", owner: u, in: [i % 2 == 0 ? a : b]) }
        try await withSandbox(.d, fixture) { sandbox in
            // The exporter's role may hold one connection to this database (superusers are exempt).
            try await sandbox.cluster.execute(database: "postgres", "ALTER DATABASE \"\(sandbox.database)\" CONNECTION LIMIT 1")
            let result = await sandbox.run()
            #expect(result.status == .complete, "\(result.error ?? "")")
            #expect(sandbox.exportedTree().count == 50)
            #expect(result.snapshot.bytesCopied > 0 && result.snapshot.bytesTotal == result.snapshot.bytesCopied)
            // Both sessions are asked for at once, and the server can refuse both (each counts the
            // other while starting): the run asks again for one. Re-runs give the race more chances.
            for _ in 0..<8 {
                let again = await sandbox.run()
                #expect(again.status == .complete, "\(again.error ?? "")")
            }
        }
    }

    @Test("a database that allows one session, held a moment longer by another client: the run waits for it")
    func oneSessionFreedSoon() async throws {
        try await withSandbox(.d, StandardLibrary().fixture) { sandbox in
            try await sandbox.cluster.execute(database: "postgres", "ALTER DATABASE \"\(sandbox.database)\" CONNECTION LIMIT 1")
            // As a previous run's session is counted until its server process has exited.
            let holder = try await PostgresConnection.connect(sandbox.databaseConfiguration, logger: .init(label: "t"))
            let release = Task {
                try await Task.sleep(for: .milliseconds(60))
                await holder.close()
            }
            let result = await sandbox.run()
            try await release.value
            #expect(result.status == .complete, "\(result.error ?? "")")
            #expect(result.snapshot.copied > 0)
        }
    }

    @Test("a database with no session left: the error says so, not 'check db_host'")
    func noSessionLeft() async throws {
        try await withSandbox(.d, StandardLibrary().fixture) { sandbox in
            try await sandbox.cluster.execute(database: "postgres", "ALTER DATABASE \"\(sandbox.database)\" CONNECTION LIMIT 0")
            let result = await sandbox.run { $0.dbMaxRetries = 0 }
            #expect(result.status == .failed)
            let error = result.error ?? ""
            #expect(error.contains("too many connections"), "\(error)")
            #expect(error.contains("allows no more sessions"), "\(error)")
            #expect(!error.contains("db_host"), "\(error)")
            #expect(sandbox.exportedTree().isEmpty)
        }
    }

    @Test("unknown schema names what is missing")
    func unknownSchema() async throws {
        let cluster = try PostgresCluster.shared.get()
        let db = try await cluster.createDatabase()
        defer { Task { await cluster.dropDatabase(db) } }
        try await cluster.execute(database: db, "CREATE TABLE album (id uuid, \"albumName\" text); CREATE TABLE photos (id int);")
        var config = PostgresConfiguration(host: cluster.host, port: cluster.port, database: db,
                                           user: cluster.adminUser, password: cluster.adminPassword)
        config.readOnly = true
        do {
            _ = try await Catalog.open(database: config, maxRetries: 0, userID: nil, logger: .init(label: "t"))
            Issue.record("expected unknown schema")
        } catch let error as CatalogError {
            #expect(error.description.contains("asset"))
            #expect(error.description.contains("album_asset"))
        }
    }

    @Test("sessions are read-only: the exporter cannot write to Immich")
    func readOnly() async throws {
        let cluster = try PostgresCluster.shared.get()
        let db = try await cluster.createDatabase()
        defer { Task { await cluster.dropDatabase(db) } }
        try await cluster.execute(database: db, "CREATE TABLE t (x int);")
        // Even as a superuser, a session opened the way the exporter opens it refuses writes.
        var config = cluster.adminConfiguration(database: db)
        config.readOnly = true
        let conn = try await PostgresConnection.connect(config, logger: .init(label: "t"))
        await #expect(throws: PostgresError.self) {
            try await conn.query("INSERT INTO t VALUES (1)")
        }
        do {
            try await conn.query("INSERT INTO t VALUES (1)")
        } catch let error as PostgresError {
            #expect(error.description.contains("read-only"))
        }
        await conn.close()
    }

    @Test("immich_user_id that is not a user")
    func unknownUser() async throws {
        try await withSandbox(.d, StandardLibrary().fixture) { sandbox in
            let result = await sandbox.run { $0.immichUserID = UUID().uuidString.lowercased() }
            #expect(result.status == .failed)
            #expect(result.error?.contains("immich_user_id") == true)
        }
    }

    @Test("catalog streams many rows in batches")
    func streaming() async throws {
        var fixture = ImmichFixture()
        let u = fixture.addUser("U")
        let album = fixture.addAlbum("A", owner: u)
        for i in 0..<2500 { fixture.addAsset("f\(i).jpg", owner: u, in: [album]) }
        try await withSandbox(.c, fixture) { sandbox in
            let catalog = try await Catalog.open(database: sandbox.databaseConfiguration, maxRetries: 0, userID: nil, logger: .init(label: "t"))
            var batches = 0
            var rows = 0
            for try await batch in catalog.assets(batchSize: 1000) {
                batches += 1
                rows += batch.count
            }
            await catalog.close()
            #expect(rows == 2500)
            #expect(batches == 3)
        }
    }
}
