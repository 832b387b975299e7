import Foundation
import Logging
import Postgres

/// Reads albums and their assets from Immich's database. Read-only by construction: the session
/// runs with `default_transaction_read_only` and the stream runs in `BEGIN READ ONLY`.
public final class Catalog: Sendable {
    public let schema: SchemaInfo
    /// Schema, albums and small queries.
    private let connection: PostgresConnection
    /// The asset stream, on a session of its own so the albums query and the stream's first
    /// batch are worked on side by side (both are a full pass over the album×asset join). The
    /// same session as `connection` when the server would not give a second one.
    private let rowsConnection: PostgresConnection
    private let queries: CatalogQueries
    private let userID: String?

    private init(connection: PostgresConnection, rowsConnection: PostgresConnection, schema: SchemaInfo, userID: String?,
                 selection: Selection, checksums: Bool) {
        self.connection = connection
        self.rowsConnection = rowsConnection
        self.schema = schema
        self.userID = userID
        self.queries = CatalogQueries(schema: schema, ownerFilter: userID != nil, selection: selection, checksums: checksums)
    }

    /// Connects (retrying only while the server is unreachable), then detects the schema.
    public static func open(
        database: PostgresConfiguration, maxRetries: Int, userID: String?, selection: Selection = Selection(),
        checksums: Bool = true, logger: Logger,
        retryDelay: @Sendable (Int) -> Duration = { attempt in .seconds(min(30, 1 << min(attempt, 5))) }
    ) async throws -> Catalog {
        // The second session is opened alongside the first (each costs a server process and a
        // password exchange). When the first needed retries it is tried once more afterwards;
        // when the server allows one session only and the second got it, that one is used, and
        // when it refused both, one is asked for again, alone.
        async let early = try? PostgresConnection.connect(database, logger: logger)
        var attempt = 0
        // Asks alone after the server counted too many sessions (see below).
        var asksAtLimit = 0
        var connection: PostgresConnection
        var rowsConnection: PostgresConnection?
        while true {
            do {
                connection = try await PostgresConnection.connect(database, logger: logger)
                rowsConnection = await early
                break
            } catch let error as PostgresError {
                if attempt == 0, asksAtLimit == 0, let spare = await early {
                    connection = spare
                    break
                }
                // A server that allows one session can refuse both when they ask at once (each
                // counts the other while starting): ask again, alone, before any retry. A session
                // that just ended (the previous run's) still counts until its server process has
                // exited, which on a busy machine took longer than one more ask: a few more, a
                // little apart (50, 100, 200 ms).
                if attempt == 0, case .connectFailed(.connectionLimit, _, _) = error, asksAtLimit < 4 {
                    if asksAtLimit > 0 { try await Task.sleep(for: .milliseconds(25 << asksAtLimit)) }
                    asksAtLimit += 1
                    continue
                }
                guard error.isRetryable && attempt < maxRetries else { throw error }
                attempt += 1
                logger.warning("database not reachable, retrying", metadata: [
                    "attempt": "\(attempt)/\(maxRetries)", "error": "\(error)",
                ])
                try await Task.sleep(for: retryDelay(attempt))
            }
        }
        do {
            if rowsConnection == nil && attempt > 0 {
                rowsConnection = try? await PostgresConnection.connect(database, logger: logger)
            }
            let schema = try await detectSchema(connection)
            if rowsConnection == nil { logger.debug("no second database session; albums and assets are read one after the other") }
            _ = try await (rowsConnection ?? connection).query(CatalogQueries.streamSessionSetup)
            logger.info("Immich schema detected", metadata: [
                "generation": "\(schema.generation.rawValue)", "immich_version": "\(schema.immichVersion ?? "unknown")",
            ])
            if let userID {
                let table = schema.generation == .a1 || schema.generation == .a2 ? "users" : "user"
                let found = try await connection.query(#"SELECT 1 FROM "\#(table)" WHERE id::text = $1"#, [userID])
                if found.rowCount == 0 { throw CatalogError.userNotFound(userID) }
            }
            return Catalog(connection: connection, rowsConnection: rowsConnection ?? connection, schema: schema, userID: userID,
                           selection: selection, checksums: checksums)
        } catch {
            await rowsConnection?.close()
            await connection.close()
            throw error
        }
    }

    static func detectSchema(_ connection: PostgresConnection) async throws -> SchemaInfo {
        let tableList = "{" + SchemaDetector.interestingTables.joined(separator: ",") + "}"
        let rows = try await connection.query(CatalogQueries.columnsQuery(), [tableList])
        var columns: [String: Set<String>] = [:]
        var enumLabels: [String: Set<String>] = [:]
        for row in 0..<rows.rowCount {
            guard let table = rows.string(row, 0), let column = rows.string(row, 1) else { continue }
            columns[table, default: []].insert(column)
            if let label = rows.string(row, 2) { enumLabels[table + "." + column, default: []].insert(label) }
        }
        let generation = try SchemaDetector.detect(columns: columns).get()
        var version: String?
        if columns["version_history"]?.contains("version") == true {
            version = try? await connection.query(CatalogQueries.versionQuery).string(0, 0)
        }
        return SchemaInfo(generation: generation, immichVersion: version, columns: columns, enumLabels: enumLabels)
    }

    public func albums() async throws -> [CatalogAlbum] {
        let rows = try await connection.query(queries.albums, userID.map { [$0] } ?? [])
        return (0..<rows.rowCount).map { row in
            CatalogAlbum(
                id: rows.string(row, 0) ?? "", name: rows.string(row, 1) ?? "", ownerID: rows.string(row, 2),
                assetCount: Int(rows.int64(row, 3) ?? 0),
                ownerName: rows.string(row, 4), firstYear: rows.int64(row, 5).map { Int($0) }, bytes: rows.int64(row, 6))
        }
    }

    /// Album×asset rows in batches, grouped by album id (within an album in no particular order:
    /// sort with `CatalogAsset.sortForExport`). Memory stays flat: the batch in use and `ahead`
    /// more, fetched and decoded. Three small batches ahead rather than one large one: after a
    /// wait for the albums being prepared, the run went through one buffered batch at once and
    /// then waited on the server (a fifth of a 100k re-run's main loop; half of that with three).
    public func assets(batchSize: Int = 1000, ahead: Int = 3) -> AsyncThrowingStream<[CatalogAsset], Error> {
        rowsConnection.cursor(queries.assets, userID.map { [$0] } ?? [], batchSize: batchSize, binary: true, ahead: ahead) { rows in
            var batch: [CatalogAsset] = []
            batch.reserveCapacity(rows.rowCount)
            var album = ""
            for row in 0..<rows.rowCount {
                album = rows.uuidString(row, 0, reusing: album) ?? ""
                var asset = CatalogAsset(
                    albumID: album, assetID: rows.uuidString(row, 1) ?? "",
                    originalPath: rows.string(row, 2) ?? "", originalFileName: rows.string(row, 3) ?? "",
                    modifiedMicros: rows.unixMicros(row, 4), checksumHex: rows.string(row, 5))
                asset.capturedMicros = rows.unixMicros(row, 6)
                if let livePath = rows.string(row, 7) {
                    asset.livePhoto = .init(originalPath: livePath, originalFileName: rows.string(row, 8) ?? "",
                                            modifiedMicros: rows.unixMicros(row, 9))
                }
                asset.sidecarPath = rows.string(row, 10)
                asset.createdMicros = rows.unixMicros(row, 11)
                batch.append(asset)
            }
            return batch
        }
    }

    /// A few asset paths for `check`: does the path mapping find the files?
    public func sampleAssetPaths(limit: Int) async throws -> [String] {
        let t = schema.generation.tables
        let rows = try await connection.query(
            #"SELECT a."originalPath" FROM "\#(t.asset)" a JOIN "\#(t.join)" j ON j."\#(t.joinAsset)" = a.id ORDER BY random() LIMIT \#(limit)"#)
        return (0..<rows.rowCount).compactMap { rows.string($0, 0) }
    }

    /// Ends both sessions at once. No ROLLBACK first: the server ends a session's read-only
    /// transaction when the session goes, and the round trip per session was the run's last wait.
    public func close() async {
        async let rows: Void = rowsConnection !== connection ? rowsConnection.close() : ()
        await connection.close()
        await rows
    }
}
