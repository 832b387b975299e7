import ArgumentParser
import ExportCore
import Foundation
import Logging
import TestSupport

/// `scripts/bench`: generates synthetic Immich libraries in a throwaway PostgreSQL (schema
/// generations C and D) with files on disk, then measures the real `immich-export` binary next to
/// `cp -r` and `rsync -a` in the same run. Warm page cache for both sides (dropping caches needs
/// root privileges on the host, which a benchmark must not assume); dirty pages are flushed between
/// repetitions so one run's writeback never lands in the next one's time.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "immich-export-bench",
        abstract: "Speed and memory of immich-export against cp and rsync, side by side.")

    @Flag(help: "A few-minute run: smaller libraries, 2 repetitions.")
    var quick = false

    @Flag(help: "Seconds-long smoke run at a tiny size (used by the test suite); the figures mean nothing.")
    var tiny = false

    @Option(help: "Assets in the large-file library (speed against cp).")
    var largeCount: Int?

    @Option(help: "Bytes per file in the large-file library.")
    var largeSize: Int?

    @Option(help: "Asset counts of the small-file libraries, comma separated (memory and per-file overhead; the first two give the RSS growth).")
    var smallCounts: String?

    @Option(help: "Bytes per file in the small-file libraries.")
    var smallSize: Int?

    @Option(help: "The album-count axis: the same small-file assets in few and in many albums, as assets/albums pairs, comma separated (e.g. 100000/100,100000/10000); pairs with the same assets are compared. Empty to skip.")
    var albumShapes: String?

    @Flag(help: "Only the album-count axis (no large-file, small-file or catalog measurements).")
    var albumShapesOnly = false

    @Option(help: "Catalog rows (album×asset) for the DB-only timing, comma separated.")
    var catalogRows: String?

    @Option(help: "Repetitions of every timed measurement.")
    var repetitions: Int?

    @Option(help: "Repetitions of the re-runs (no change, 1 % change): short runs, so more of them for a steady median.")
    var rerunRepetitions: Int?

    @Option(help: "copy_concurrency for immich-export.")
    var concurrency = 4

    @Option(help: "Where the markdown report goes (its results section is replaced; the rest kept).")
    var output = "docs/benchmarks.md"

    @Option(help: "Parent folder for generated data (removed at the end).")
    var workDir = "/tmp"

    @Option(help: "The immich-export binary (default: the one next to this binary).")
    var exporter: String?

    @Option(help: "A label for this run in the report (e.g. before/after a change).")
    var label: String?

    func run() async throws {
        var p = Parameters.full
        if quick { p = .quick }
        if tiny { p = .tiny }
        if let largeCount { p.largeCount = largeCount }
        if let largeSize { p.largeSize = largeSize }
        if let smallCounts { p.smallCounts = try Self.ints(smallCounts) }
        if let smallSize { p.smallSize = smallSize }
        if let catalogRows { p.catalogRows = try Self.ints(catalogRows) }
        if let albumShapes { p.albumShapes = try Self.shapes(albumShapes) }
        if albumShapesOnly {
            p.largeCount = 0
            p.smallCounts = []
            p.catalogRows = []
        }
        if let repetitions { p.repetitions = max(1, repetitions) }
        if let rerunRepetitions { p.rerunRepetitions = max(1, rerunRepetitions) }
        p.concurrency = concurrency
        p.mode = tiny ? "tiny" : quick ? "quick" : "full"

        let exporterPath = exporter ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("immich-export").path
        guard FileManager.default.isExecutableFile(atPath: exporterPath) else {
            throw ValidationError("immich-export not found at \(exporterPath); build it or pass --exporter")
        }
        guard let rsync = Shell.which("rsync") else { throw ValidationError("rsync is not installed (apt-get install rsync)") }

        let root = try Self.makeTempDirectory(in: workDir)
        defer { Measure.removeTree(root) }
        let machine = Machine.describe(workDir: root)
        say("work dir \(root); exporter \(exporterPath)")
        say("starting PostgreSQL …")
        let cluster = try PostgresCluster.start()
        defer { cluster.stop() }

        let started = Date()
        let runner = Runner(cluster: cluster, root: root, exporter: exporterPath, rsync: rsync, p: p, say: say)
        var report = Report(parameters: p, machine: machine, label: label)

        // 1–3 (and the RSS of those runs): the large-file library, then the small-file ones.
        if p.largeCount > 0 {
            report.add(try await runner.library(SyntheticLibrary(generation: .d, assets: p.largeCount, fileSize: p.largeSize, secondaryEvery: 0),
                                                name: "large"))
        }
        for count in p.smallCounts {
            report.add(try await runner.library(SyntheticLibrary(generation: .d, assets: count, fileSize: p.smallSize),
                                                name: "small"))
        }
        // 7: the album-count axis, each shape measured like the libraries above.
        for shape in p.albumShapes {
            report.shapes.append(try await runner.library(
                SyntheticLibrary.shaped(assets: shape.assets, albums: shape.albums, fileSize: p.smallSize), name: "shape", hardlink: false))
        }
        // 5: the catalog alone, generations C and D.
        for rows in p.catalogRows {
            for generation in [SchemaGeneration.c, .d] {
                report.catalog.append(try await runner.catalog(rows: rows, generation: generation))
            }
        }
        report.elapsed = Date().timeIntervalSince(started)

        let table = report.table()
        FileHandle.standardOutput.write(Data(("\n" + table + "\n").utf8))
        try report.writeMarkdown(to: output)
        say("report written to \(output) (\(Int(report.elapsed)) s)")
    }

    static func makeTempDirectory(in parent: String) throws -> String {
        var template = Array((parent + "/immich-export-bench.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError("cannot create a folder in \(parent)") }
        return String(cString: made)
    }

    static func ints(_ s: String) throws -> [Int] {
        try s.split(separator: ",").map {
            guard let v = Int($0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")) else {
                throw ValidationError("not a number list: \(s)")
            }
            return v
        }
    }

    /// "100000/100,100000/10000" → (assets, albums) pairs.
    static func shapes(_ s: String) throws -> [AlbumShape] {
        try s.split(separator: ",").map { pair in
            let parts = try ints(pair.replacingOccurrences(of: "/", with: ","))
            guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw ValidationError("not an assets/albums list: \(s)") }
            return AlbumShape(assets: parts[0], albums: parts[1])
        }
    }

    func say(_ text: String) {
        FileHandle.standardError.write(Data("[bench] \(text)\n".utf8))
    }
}

/// One library of the album-count axis: `assets` small files in `albums` equal albums.
struct AlbumShape {
    var assets: Int
    var albums: Int
}

struct Parameters {
    var mode = "full"
    var largeCount: Int
    var largeSize: Int
    var smallCounts: [Int]
    var smallSize: Int
    /// The album-count axis (files of `smallSize`).
    var albumShapes: [AlbumShape]
    var catalogRows: [Int]
    var repetitions: Int
    /// The re-runs take a fraction of a second at 10k, where a busy moment of the machine moves
    /// a median of three by a tenth: they are repeated more.
    var rerunRepetitions: Int
    var concurrency = 4

    static let full = Parameters(largeCount: 10_000, largeSize: 1 << 20, smallCounts: [10_000, 100_000], smallSize: 16 << 10,
                                 albumShapes: [.init(assets: 10_000, albums: 10), .init(assets: 10_000, albums: 2_000),
                                               .init(assets: 100_000, albums: 100), .init(assets: 100_000, albums: 10_000)],
                                 catalogRows: [100_000, 1_000_000], repetitions: 3, rerunRepetitions: 11)
    static let quick = Parameters(largeCount: 1_000, largeSize: 1 << 20, smallCounts: [5_000, 20_000], smallSize: 16 << 10,
                                  albumShapes: [.init(assets: 20_000, albums: 20), .init(assets: 20_000, albums: 2_000)],
                                  catalogRows: [20_000, 100_000], repetitions: 2, rerunRepetitions: 5)
    static let tiny = Parameters(largeCount: 20, largeSize: 64 << 10, smallCounts: [60, 200], smallSize: 1 << 10,
                                 albumShapes: [.init(assets: 200, albums: 2), .init(assets: 200, albums: 100)],
                                 catalogRows: [300, 900], repetitions: 1, rerunRepetitions: 1)
}

/// Figures of one library.
struct LibraryResult {
    var name: String
    var assets: Int
    var entries: Int
    var fileSize: Int
    var albums: Int
    var generateSeconds: Double
    var exportFull: [Sample] = []
    var cp: [Sample] = []
    var cpSync: [Sample] = []
    var exportNoChange: [Sample] = []
    var rsyncNoChange: [Sample] = []
    var exportChange: [Sample] = []
    var rsyncChange: [Sample] = []
    var changeEntries = 0
    /// 6: export_mode hardlink into a fresh folder on the same filesystem.
    var hardlink: (sample: Sample, bytesWritten: Int64, files: Int)?

    var peakRSSKiB: Int { (exportFull + exportNoChange + exportChange).map(\.maxRSSKiB).max() ?? 0 }
    var peakAnonKiB: Int { (exportFull + exportNoChange + exportChange).map(\.peakAnonKiB).max() ?? 0 }
}

struct CatalogResult {
    var generation: SchemaGeneration
    var rows: Int
    var seconds: [Double]
}

/// Builds libraries and measures them.
struct Runner {
    let cluster: PostgresCluster
    let root: String
    let exporter: String
    let rsync: String
    let p: Parameters
    let say: (String) -> Void

    static let reader = "bench_reader"
    static let readerPassword = "bench-reader-pw"

    func makeDatabase(_ lib: SyntheticLibrary) async throws -> (String, Double) {
        let db = try await cluster.createDatabase()
        let (_, seconds) = try await Measure.time {
            try await cluster.execute(database: db, ImmichSchemaDDL.ddl(lib.generation))
            try await cluster.execute(database: db, lib.insertSQL())
        }
        // A settled database, as Immich's is between uploads: VACUUM now (outside the timed runs)
        // rather than autovacuum after the bulk insert, which started during the first
        // measurements and set hint bits on every page the first queries read.
        try await cluster.execute(database: db, "VACUUM ANALYZE")
        try await cluster.execute(database: db, """
            DO $$ BEGIN
              CREATE ROLE \(Self.reader) LOGIN PASSWORD '\(Self.readerPassword)';
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$;
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(Self.reader);
            """)
        return (db, seconds)
    }

    /// Measures 1–4 (and 6 when `hardlink`) on one generated library, then removes it.
    func library(_ lib: SyntheticLibrary, name: String, hardlink: Bool = true) async throws -> LibraryResult {
        let shaped = lib.albumSize != nil
        let label = "\(name) \(lib.assets) × \(Report.bytes(lib.fileSize))" + (shaped ? " in \(lib.albumRanges.count) albums" : "")
        let dir = root + "/\(name)-\(lib.assets)" + (shaped ? "-\(lib.albumRanges.count)" : "")
        say("\(label): generating database and files …")
        try FileManager.default.createDirectory(atPath: dir + "/immich", withIntermediateDirectories: true)
        let t0 = Date()
        let (db, sqlSeconds) = try await makeDatabase(lib)
        let trial = LibraryTrial(lib: lib, label: label, dir: dir, db: db)
        try SyntheticLibrary.writeFiles(root: trial.assetsRoot, indices: 0..<lib.assets, size: lib.fileSize, users: lib.users)
        Measure.settle()
        var result = LibraryResult(name: name, assets: lib.assets, entries: lib.entries, fileSize: lib.fileSize,
                                   albums: lib.albumRanges.count, generateSeconds: Date().timeIntervalSince(t0))
        say("\(label): \(lib.entries) album entries in \(lib.albumRanges.count) albums; SQL \(String(format: "%.1f", sqlSeconds)) s, total \(String(format: "%.1f", result.generateSeconds)) s")
        try writeConfig(trial)

        try measureFullExports(trial, into: &result)
        try measureNoChangeReruns(trial, into: &result)
        try await measureChangeReruns(trial, into: &result)
        if hardlink { try measureHardlink(trial, into: &result) }
        say("\(label): peak RSS \(result.peakRSSKiB / 1024) MiB, of it anonymous \(result.peakAnonKiB / 1024) MiB")
        Measure.removeTree(dir)
        await cluster.dropDatabase(db)
        return result
    }

    /// 5. Catalog alone: open, albums, then stream every album×asset row (decoded), in-process.
    func catalog(rows: Int, generation: SchemaGeneration) async throws -> CatalogResult {
        let assets = max(1, rows * 5 / 6)   // every 5th asset is in two albums
        let lib = SyntheticLibrary(generation: generation, assets: assets, fileSize: 1000)
        say("catalog \(generation.rawValue) \(lib.entries) rows: generating …")
        let (db, sqlSeconds) = try await makeDatabase(lib)
        say("catalog \(generation.rawValue): generated in \(String(format: "%.1f", sqlSeconds)) s")
        var config = cluster.adminConfiguration(database: db)
        config.user = Self.reader
        config.password = Self.readerPassword
        config.readOnly = true
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        var result = CatalogResult(generation: generation, rows: 0, seconds: [])
        for _ in 0..<p.repetitions {
            let (count, seconds) = try await Measure.time { () async throws -> Int in
                let catalog = try await Catalog.open(database: config, maxRetries: 0, userID: nil, logger: logger)
                var n = 0
                do {
                    _ = try await catalog.albums()
                    for try await batch in catalog.assets() { n += batch.count }
                } catch {
                    await catalog.close()
                    throw error
                }
                await catalog.close()
                return n
            }
            guard count == lib.entries else { throw BenchError("catalog streamed \(count) rows, expected \(lib.entries)") }
            result.rows = count
            result.seconds.append(seconds)
            say("catalog \(generation.rawValue) \(count) rows: \(String(format: "%.3f", seconds)) s")
        }
        await cluster.dropDatabase(db)
        return result
    }
}
