@testable import ExportCore
import Postgres
import Testing
import TestSupport

@Suite("The asset stream's session settings")
struct CatalogSessionTests {
    private func show(_ conn: PostgresConnection, _ setting: String) async throws -> String? {
        try await conn.query("SELECT current_setting($1)", [setting]).string(0, 0)
    }

    @Test("work_mem is raised for the stream's sort, never lowered; the cursor is planned for all rows")
    func streamSettings() async throws {
        let cluster = try PostgresCluster.shared.get()
        var config = cluster.adminConfiguration(database: "postgres")
        config.readOnly = true   // as the catalog's sessions are
        let conn = try await PostgresConnection.connect(config, logger: .init(label: "t"))
        do {
            _ = try await conn.query("SET work_mem = '4MB'")   // PostgreSQL's default
            _ = try await conn.query(CatalogQueries.streamSessionSetup)
            #expect(try await show(conn, "work_mem") == CatalogQueries.streamWorkMemory)
            #expect(try await show(conn, "cursor_tuple_fraction") == "1")

            _ = try await conn.query("SET work_mem = '256MB'")   // a server tuned for more
            _ = try await conn.query(CatalogQueries.streamSessionSetup)
            #expect(try await show(conn, "work_mem") == "256MB")
        } catch {
            await conn.close()
            throw error
        }
        await conn.close()
    }
}
