import Foundation
import Logging
import Postgres

/// One export, start to finish: Catalog → Plan → Sync → cleanup, reporting every step to the
/// tracker. Never throws: every failure ends as a `RunResult` with a readable error.
public struct ExportRun: Sendable {
    public let config: ExportConfig
    public let dryRun: Bool
    public let tracker: ProgressTracker
    public let control: RunControl
    public let logger: Logger

    public init(config: ExportConfig, dryRun: Bool, tracker: ProgressTracker, control: RunControl, logger: Logger) {
        self.config = config
        self.dryRun = dryRun
        self.tracker = tracker
        self.control = control
        self.logger = logger
    }

    public func run() async -> RunResult {
        let runID = Self.makeRunID()
        var logger = self.logger
        logger[metadataKey: "run"] = "\(runID)"
        tracker.emit(.started(runID: runID, dryRun: dryRun, at: Date()))
        logger.info(dryRun ? "dry run started" : "export started", metadata: ["export_dir": "\(config.exportDir)"])

        let outcome: (ProgressSnapshot.Status, String?)
        do {
            outcome = try await execute(logger: logger)
        } catch {
            let message = Self.describe(error)
            logger.error("run failed", metadata: ["error": "\(message)"])
            outcome = (.failed, message)
        }
        BufferPool.shared.drain()
        tracker.emit(.finished(status: outcome.0, error: outcome.1, at: Date()))
        let snapshot = tracker.snapshot()
        logger.info("run finished", metadata: [
            "status": "\(outcome.0.rawValue)", "copied": "\(snapshot.copied)", "skipped": "\(snapshot.skipped)",
            "failed": "\(snapshot.failed)", "deleted": "\(snapshot.deleted)", "total": "\(snapshot.total)",
        ])
        return RunResult(status: outcome.0, error: outcome.1, snapshot: snapshot)
    }

    /// Entries of album folders listed ahead at most (packed): about what the database's first
    /// answer gives time to list at the largest benchmark size (docs/benchmarks.md).
    static let prefetchBudget = 65_536

    /// Preparation jobs ahead of the album being applied, and their rows at most (one larger job
    /// goes alone): memory stays bounded by rows, not albums. Fewer left a CPU idle at album
    /// boundaries (docs/benchmarks.md, "Four jobs prepared ahead").
    static let preparedAhead = (jobs: 4, rows: 8192)

    /// Small albums are prepared together, as one job of about this many rows (a larger album is
    /// a job of its own): a job per album cost more in thread hand-offs than a small album's
    /// preparation (docs/benchmarks.md, "Small albums prepared together").
    static let preparedTogether = 512

    static func describe(_ error: Error) -> String {
        String(describing: error)
    }

    static func makeRunID() -> String {
        Timestamp.compact(Date()) + "-" + UUID().uuidString.prefix(4).lowercased()
    }

    // MARK: - The pipeline

    /// Opens the catalog while the manifest loads, then hands the run to an `ExportSession`:
    /// folders, albums, finish.
    private func execute(logger: Logger) async throws -> (ProgressSnapshot.Status, String?) {
        // Nothing is read, written or deleted without a database to ask.
        if let problem = config.setupProblem { throw RunError.notSetUp(problem) }
        let exportDir = config.exportDir
        let rootFacts = Self.assetsRootFacts(config.assetsRoot)
        if !rootFacts.available {
            logger.warning("assets_root is not available; nothing can be copied and nothing will be deleted",
                           metadata: ["assets_root": "\(config.assetsRoot)"])
        }

        // Nothing is written to export_dir before the database has answered, but reading is not
        // touching: while it connects and answers, the manifest loads (on the blocking pool, not
        // a thread the queries' tasks need) and the album folders it knows are listed ahead
        // (`FolderPrefetch`).
        let store = ManifestStore(exportDir: exportDir)
        let readAhead = Task {
            try await BlockingIO.run { () -> (Manifest, FolderPrefetch) in
                let manifest = try store.load()
                let prefetch = FolderPrefetch(manifest: manifest, exportDir: exportDir, budget: Self.prefetchBudget)
                prefetch.start()
                return (manifest, prefetch)
            }
        }
        let catalog: Catalog
        do {
            catalog = try await Catalog.open(
                database: config.database, maxRetries: config.dbMaxRetries, userID: config.immichUserID,
                selection: config.selection, checksums: config.verify, logger: logger)
        } catch {
            (try? await readAhead.value)?.1.stop()
            throw error
        }
        defer { Task { await catalog.close() } }
        tracker.emit(.schema(generation: catalog.schema.generation.rawValue, immichVersion: catalog.schema.immichVersion))

        tracker.emit(.phase(.scanning))
        async let catalogAlbums = catalog.albums()
        let assetBatches = catalog.assets()
        let (manifest, prefetch) = try await readAhead.value
        defer { prefetch.stop() }
        if !dryRun {
            do { try FileSystem.makeDirectory(exportDir) } catch {
                throw RunError.exportDirUnusable("\(error)")
            }
        }
        let albums = AlbumFilter(include: config.selection.albumsInclude, exclude: config.selection.albumsExclude)
            .apply(try await catalogAlbums)

        let session = ExportSession(run: self, logger: logger, store: store, manifest: manifest, prefetch: prefetch)
        defer { store.closeJournal() }
        defer { session.syncChangedFolders() }
        try session.assignFolders(albums)
        try await session.copyAlbums(assetBatches)
        return try await session.finish(rootFacts: rootFacts)
    }

    /// One filesystem sync per filesystem holding a changed folder (normally one in all) instead
    /// of a directory fsync per album: a run that changed a few files in many albums paid for
    /// each album.
    func syncFolders(_ folders: Set<String>, logger: Logger) {
        guard !dryRun, !folders.isEmpty else { return }
        do throws(SystemError) {
            try FileCopier.makeDurable(folders: folders.map { config.exportDir + "/" + $0 })
        } catch {
            logger.warning("could not flush the export folders to disk", metadata: ["error": "\(error.description)"])
        }
    }

    func syncFoldersInBackground(_ folders: Set<String>, logger: Logger) async {
        _ = try? await BlockingIO.write { self.syncFolders(folders, logger: logger) }
    }

    func reportPlaced(albumID: String, path: String, isUpdate: Bool, bytes: Int64) {
        tracker.emit(.fileFinished(albumID: albumID, path: path, outcome: isUpdate ? .updated(bytes: bytes) : .copied(bytes: bytes)))
    }

    func reportFailed(albumID: String, path: String, _ error: SystemError, logger: Logger) {
        logger.warning("copy failed", metadata: ["file": "\(path)", "error": "\(error.reason)"])
        tracker.emit(.fileFinished(albumID: albumID, path: path, outcome: .failed(reason: error.description)))
    }

    /// The message that stops the run for this failure (a full disk), or nil.
    static func stoppingError(_ error: SystemError) -> String? {
        error.isDiskFull ? RunError.diskFull(error.description).description : nil
    }

    /// Available = a directory we can list; empty = no entries (an unmounted mount point).
    public static func assetsRootFacts(_ root: String) -> (available: Bool, empty: Bool) {
        guard let st = try? FileSystem.statPath(root), st.isDirectory,
              let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else { return (false, true) }
        return (true, entries.isEmpty)
    }
}

public enum RunError: Error, CustomStringConvertible {
    case exportDirUnusable(String)
    case diskFull(String)
    /// An option every run needs is not set (`ExportConfig.setupProblem`).
    case notSetUp(String)

    public var description: String {
        switch self {
        case let .notSetUp(problem): return problem
        case let .exportDirUnusable(detail): return "export_dir cannot be used: \(detail) — check that the share is mounted and writable"
        case let .diskFull(detail): return "the export disk is full (\(detail)); free space or choose another export_dir — no partial file was left"
        }
    }
}
