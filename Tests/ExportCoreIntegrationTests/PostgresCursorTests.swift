import Foundation
import Postgres
import Testing
import TestSupport

@Suite("PostgreSQL cursor, binary format")
struct PostgresCursorTests {
    /// A fresh database on the shared cluster and a session on it, both gone afterwards.
    private func withSession(_ body: (PostgresConnection) async throws -> Void) async throws {
        let cluster = try PostgresCluster.shared.get()
        let db = try await cluster.createDatabase()
        let conn = try await PostgresConnection.connect(cluster.adminConfiguration(database: db), logger: .init(label: "t"))
        do {
            try await body(conn)
        } catch {
            await conn.close()
            await cluster.dropDatabase(db)
            throw error
        }
        await conn.close()
        await cluster.dropDatabase(db)
    }

    /// Every value the catalog reads from a binary cursor, against what PostgreSQL itself says.
    @Test("integers, timestamps and text decode exactly")
    func binaryValues() async throws {
        try await withSession { conn in
            let sql = """
                SELECT v.t::timestamptz, (extract(epoch FROM v.t::timestamptz) * 1000000)::bigint, 'wörd ☃'::text,
                       -7::int2, -70000::int4, 9000000000000::int8, NULL::timestamptz
                FROM (VALUES ('2024-06-01 12:34:56.789012+02'), ('1999-12-31 23:59:59.999999+00'),
                             ('1969-07-20 20:17:40.5+00'), ('2000-01-01 00:00:00+00')) v(t)
                """
            var rows = 0
            for try await batch in conn.cursor(sql, batchSize: 3, binary: true) {
                for row in 0..<batch.rowCount {
                    rows += 1
                    #expect(batch.unixMicros(row, 0) != nil)
                    #expect(batch.unixMicros(row, 0) == batch.int64(row, 1))
                    #expect(batch.string(row, 2) == "wörd ☃")
                    #expect(batch.int64(row, 3) == -7)
                    #expect(batch.int64(row, 4) == -70000)
                    #expect(batch.int64(row, 5) == 9_000_000_000_000)
                    #expect(batch.unixMicros(row, 6) == nil && batch.isNull(row, 6))
                }
            }
            #expect(rows == 4)
            var infinite: [Int64?] = []
            for try await batch in conn.cursor("SELECT 'infinity'::timestamptz UNION ALL SELECT '-infinity'::timestamptz", binary: true) {
                for row in 0..<batch.rowCount { infinite.append(batch.unixMicros(row, 0)) }
            }
            #expect(infinite == [nil, nil])
        }
    }

    /// The catalog's ids come as raw uuids and are written as text by the client: exactly as
    /// PostgreSQL writes them, or every record kept under a text id would stop matching.
    @Test("binary uuids read as PostgreSQL's own text; other columns and NULL as before")
    func binaryUUIDs() async throws {
        try await withSession { conn in
            let sql = """
                SELECT u, u::text, 'not-a-uuid'::text, NULL::uuid FROM (
                  SELECT gen_random_uuid() AS u FROM generate_series(1, 500)
                  UNION ALL SELECT '00000000-0000-0000-0000-000000000000'::uuid
                  UNION ALL SELECT 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid
                  UNION ALL SELECT '0123ABCD-89ef-4567-8Abc-DEF012345678'::uuid) s
                """
            var rows = 0
            var previous = ""
            for try await batch in conn.cursor(sql, batchSize: 64, binary: true) {
                for row in 0..<batch.rowCount {
                    rows += 1
                    let text = try #require(batch.string(row, 1))
                    #expect(batch.uuidString(row, 0) == text)
                    // Reusing: equal to the value whether or not it repeats the one before.
                    #expect(batch.uuidString(row, 0, reusing: previous) == text)
                    #expect(batch.uuidString(row, 0, reusing: text) == text)
                    previous = text
                    #expect(batch.uuidString(row, 2) == "not-a-uuid")
                    #expect(batch.uuidString(row, 3) == nil)
                }
            }
            #expect(rows == 503)
        }
    }

    /// Several batches are fetched ahead, each after the one before: none is lost, none swapped,
    /// and the session is usable again once the stream has ended.
    @Test("batches fetched ahead arrive complete and in order", arguments: [1, 4])
    func fetchAhead(ahead: Int) async throws {
        try await withSession { conn in
            var values: [Int64] = []
            var batches = 0
            for try await batch in conn.cursor("SELECT g::int8 FROM generate_series(1, 1000) g ORDER BY g", batchSize: 7, ahead: ahead,
                                               decode: { rows in (0..<rows.rowCount).map { rows.int64($0, 0) ?? -1 } }) {
                batches += 1
                values += batch
                if batches % 20 == 0 { try await Task.sleep(for: .milliseconds(5)) }   // the fetches run ahead meanwhile
            }
            #expect(values == Array(1...1000))
            #expect(batches == 143)
            #expect(try await conn.query("SELECT 1").rowCount == 1)
        }
    }
}
