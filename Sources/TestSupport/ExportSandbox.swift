import ExportCore
import Foundation
import Logging
import Postgres

/// Everything one test needs: a database of the chosen generation on the shared cluster, an
/// assets_root with the fixture's files, an empty export_dir, and a config pointing at them.
/// Read access goes through a SELECT-only role, like a careful real setup.
public final class ExportSandbox: @unchecked Sendable {
    public let cluster: PostgresCluster
    public let generation: SchemaGeneration
    public let database: String
    public let root: String
    public var assetsRoot: String { root + "/immich" }
    public var exportDir: String { root + "/export" }
    public var fixture: ImmichFixture

    public static let readerUser = "exporter"
    public static let readerPassword = "exporter-secret-pw"

    public init(generation: SchemaGeneration, fixture: ImmichFixture) async throws {
        self.cluster = try PostgresCluster.shared.get()
        self.generation = generation
        self.fixture = fixture
        self.root = try TempDirectory.make("immich-export-test")
        self.database = try await cluster.createDatabase()
        try await cluster.execute(database: database, ImmichSchemaDDL.ddl(generation))
        try await cluster.execute(database: database, fixture.insertSQL(generation))
        try await cluster.execute(database: database, """
            DO $$ BEGIN
              CREATE ROLE \(Self.readerUser) LOGIN PASSWORD '\(Self.readerPassword)';
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- another test made it first
            END $$;
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(Self.readerUser);
            """)
        try FileManager.default.createDirectory(atPath: assetsRoot, withIntermediateDirectories: true)
        try fixture.writeFiles(assetsRoot: assetsRoot)
    }

    /// Replaces the database rows with `fixture` (files are left as they are unless `writeFiles`).
    public func reload(_ fixture: ImmichFixture, writeFiles: Bool = true) async throws {
        self.fixture = fixture
        let tables = ["version_history"] + (generation == .a1 || generation == .a2
            ? ["albums_assets_assets", "albums_shared_users_users", "exif", "albums", "assets", "users"]
            : ["album_asset", "album_user", "asset_exif", "album", "asset", "\"user\""])
        try await cluster.execute(database: database, "TRUNCATE \(tables.joined(separator: ", ")) CASCADE;\n" + fixture.insertSQL(generation))
        if writeFiles { try fixture.writeFiles(assetsRoot: assetsRoot) }
    }

    public var databaseConfiguration: PostgresConfiguration {
        PostgresConfiguration(host: cluster.host, port: cluster.port, database: database, user: Self.readerUser,
                              password: Self.readerPassword, connectTimeout: 5)
    }

    public func config(_ change: (inout ExportConfig) -> Void = { _ in }) -> ExportConfig {
        var c = ExportConfig(exportDir: exportDir, assetsRoot: assetsRoot, database: databaseConfiguration, dbMaxRetries: 0)
        c.guardRule = GuardRule(minFoundAbsolute: 1, minFoundFraction: 0.5)
        change(&c)
        return c
    }

    /// Runs one export and returns its result.
    public func run(dryRun: Bool = false, _ change: (inout ExportConfig) -> Void = { _ in }) async -> RunResult {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return await ExportRun(config: config(change), dryRun: dryRun, tracker: ProgressTracker(), control: RunControl(), logger: logger).run()
    }

    /// Relative path → file content, for every regular file under export_dir except our own state.
    public func exportedTree() -> [String: Data] {
        var result: [String: Data] = [:]
        guard let e = FileManager.default.enumerator(atPath: exportDir) else { return result }
        while let rel = e.nextObject() as? String {
            if rel.hasPrefix(ManifestStore.folderName) || rel == "progress.json" || rel == "progress.json.tmp" { continue }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: exportDir + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                result[rel] = FileManager.default.contents(atPath: exportDir + "/" + rel)
            }
        }
        return result
    }

    public func tearDown() async {
        await cluster.dropDatabase(database)
        try? FileManager.default.removeItem(atPath: root)
    }
}
