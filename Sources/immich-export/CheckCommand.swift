import ArgumentParser
import ExportCore
import Foundation
import Logging

/// The first thing to run when something is wrong: config, database, schema, path mapping.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the config, connect to Immich's database and test the path mapping.")

    @OptionGroup var options: ConfigOption

    @Option(help: "How many asset paths to test against assets_root.")
    var sample = 50

    func run() async throws {
        let config = try loadConfigOrExit(options.config)
        let logger = Logger(label: "immich-export")
        Console.out("config: ok")
        Console.out("export_dir: \(config.exportDir)\(FileManager.default.isWritableFile(atPath: config.exportDir) ? " (writable)" : FileManager.default.fileExists(atPath: config.exportDir) ? " (NOT writable)" : " (will be created)")")
        let root = ExportRun.assetsRootFacts(config.assetsRoot)
        Console.out("assets_root: \(config.assetsRoot) \(root.available ? (root.empty ? "(EMPTY — is the share mounted?)" : "(ok)") : "(NOT AVAILABLE)")")

        let catalog: Catalog
        do {
            catalog = try await Catalog.open(database: config.database, maxRetries: 0, userID: config.immichUserID, logger: logger)
        } catch {
            Console.error("database: \(error)")
            throw Exit.failed
        }
        defer { Task { await catalog.close() } }
        Console.out("database: connected to \(config.database.redactedDescription)")
        Console.out("schema: generation \(catalog.schema.generation.rawValue), Immich \(catalog.schema.immichVersion ?? "version unknown")")
        let albums = try await catalog.albums()
        Console.out("albums: \(albums.count), album entries: \(albums.reduce(0) { $0 + $1.assetCount })")

        let mapper = PathMapper(assetsRoot: config.assetsRoot, userMappings: config.pathMap)
        let paths = try await catalog.sampleAssetPaths(limit: max(1, sample))
        var unmapped: [String] = []
        var missing: [String] = []
        for path in paths {
            guard let local = mapper.localPath(for: path) else { unmapped.append(path); continue }
            if !FileSystem.exists(local) { missing.append("\(path) → \(local)") }
        }
        let ok = paths.count - unmapped.count - missing.count
        Console.out("paths: \(ok) of \(paths.count) sampled asset files found")
        for p in unmapped.prefix(5) { Console.out("  no mapping for \(p) — add a path_map entry {from, to}") }
        for p in missing.prefix(5) { Console.out("  missing: \(p)") }
        if !paths.isEmpty && ok == 0 {
            Console.error("no sampled file was found: check assets_root and path_map")
            throw Exit.failed
        }
    }
}
