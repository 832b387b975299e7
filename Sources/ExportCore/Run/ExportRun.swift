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

    /// Entries of album folders listed ahead at most (packed, about 45 bytes each): at 100k
    /// assets the database's first answer takes long enough to list about 60k.
    static let prefetchBudget = 65_536

    /// Albums prepared ahead of the one being recorded, and their rows at most (one larger album
    /// goes alone): memory stays bounded by rows, not albums. Two ahead (at most 4096 rows) left a
    /// CPU idle about a tenth of a 100k re-run at album boundaries, while one album's preparation
    /// finished its last lane and the next had not started; four ahead made the 1 % change
    /// re-run 5–10 % faster on two CPUs, for about 2 MiB more peak memory.
    static let preparedAhead = (albums: 4, rows: 8192)

    static func describe(_ error: Error) -> String {
        String(describing: error)
    }

    static func makeRunID() -> String {
        Timestamp.compact(Date()) + "-" + UUID().uuidString.prefix(4).lowercased()
    }

    // MARK: - The pipeline

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
        // touching: while it connects and answers, the manifest loads (100k lines block a thread
        // for a while, so not one the queries' tasks need) and the album folders it knows are
        // listed ahead (`FolderPrefetch`).
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
        let (loaded, prefetch) = try await readAhead.value
        defer { prefetch.stop() }
        var manifest = loaded
        if !dryRun {
            do { try FileSystem.makeDirectory(exportDir) } catch {
                throw RunError.exportDirUnusable("\(error)")
            }
        }
        let albums = AlbumFilter(include: config.selection.albumsInclude, exclude: config.selection.albumsExclude)
            .apply(try await catalogAlbums)
        let topLevel = (try? FileSystem.list(exportDir)) ?? [:]
        // A user's file or a symlink can never become an album folder; an existing real folder can.
        let blocked = Set(topLevel.values.filter { !$0.isDirectory }.map { NameSanitizer.collisionKey($0.name) })
        let folderTemplate = try? NameTemplate(parsing: config.layout.folderTemplate, allowed: NameTemplate.folderPlaceholders)
        let folders = FolderPlanner.assign(albums: albums, manifest: manifest, blocked: blocked, template: folderTemplate)
        tracker.emit(.catalog(albums: albums.map {
            ProgressSnapshot.AlbumProgress(id: $0.id, name: $0.name, folder: folders[$0.id]?.folder ?? "", total: $0.assetCount)
        }, bytesTotal: albums.reduce(0) { $0 + ($1.bytes ?? 0) }))
        logger.info("catalog read", metadata: ["albums": "\(albums.count)", "entries": "\(albums.reduce(0) { $0 + $1.assetCount })"])

        if !dryRun { try store.openJournal() }
        defer { store.closeJournal() }

        // Folders that change owner or name: moved along when possible, else their old files are parked.
        var dryRunListing: [String: String] = [:]
        let assignedFolders = Set(folders.values.map(\.folder))
        for album in albums {
            guard let assignment = folders[album.id] else { continue }
            if let previous = manifest.albums[album.id], previous.folder == assignment.folder {
                if previous.base != assignment.base {
                    manifest.albums[album.id]!.base = assignment.base
                    if !dryRun { try store.recordAlbum(album.id, folder: assignment.folder, base: assignment.base) }
                }
                continue
            }
            if let previous = manifest.albums[album.id] {
                // Renamed in Immich: move our folder instead of copying everything again.
                if canMove(previous.folder, to: assignment.folder, manifest: manifest, assignedFolders: assignedFolders) {
                    if !dryRun {
                        try moveFolder(previous.folder, to: assignment.folder, manifest: &manifest, store: store)
                        try store.recordAlbumMoved(album.id, folder: assignment.folder, base: assignment.base)
                    }
                    if dryRun { dryRunListing[assignment.folder] = previous.folder }  // still at the old place
                    manifest.albums[album.id]!.folder = assignment.folder
                    manifest.albums[album.id]!.base = assignment.base
                    tracker.emit(.folderMoved(from: previous.folder, to: assignment.folder))
                    logger.info("album renamed: folder moved", metadata: ["from": "\(previous.folder)", "to": "\(assignment.folder)"])
                    continue
                }
                // The old folder's files stay on record under a parked key: the cleanup removes them,
                // or a later run does if the guard holds now.
                let parked = "parked:" + album.id + ":" + previous.folder
                manifest.albums[parked] = previous
                if !dryRun {
                    try store.recordAlbum(parked, folder: previous.folder, base: previous.base)
                    for (assetID, file) in previous.files { try store.recordFile(albumID: parked, assetID: assetID, file) }
                }
            }
            manifest.albums[album.id] = .init(folder: assignment.folder, base: assignment.base)
            if !dryRun { try store.recordAlbum(album.id, folder: assignment.folder, base: assignment.base) }
        }

        tracker.emit(.phase(.copying))
        // Start-up is over (configuration, database sessions, manifest): its code goes back.
        CodePages.releaseResident()
        let mapper = PathMapper(assetsRoot: config.assetsRoot, userMappings: config.pathMap)
        let sources = FileSystem.Anchor(config.assetsRoot)   // one for the run: it keeps folders open
        let albumsByID = Dictionary(albums.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var found = 0
        var expected = 0
        var fatal: String?
        // Folders are settled now: which albums own files in each, and which files of albums
        // without a folder this run may become another album's new copy.
        let folderOwners = Manifest.FolderOwners(manifest)
        var donors = Manifest.Donors()
        for albumID in manifest.albums.keys where folders[albumID] == nil { donors.addUnclaimed(of: albumID, in: manifest) }

        /// Album folders that got new files: their entries are made durable once, at the end.
        var changedFolders: Set<String> = []
        defer { syncFolders(changedFolders, logger: logger) }
        let staged = StagedCopies()
        var pending: [CatalogAsset] = []
        var currentAlbum: String?
        // Copies run in lanes shared by all albums (`CopyLanes`), in one task group for the loop.
        var lanes = CopyLanes(limit: config.copyConcurrency)
        try await withThrowingTaskGroup(of: CopyLanes.Landed.self) { copies in
            // The next albums are prepared (folder listed, sources stat'ed, names planned) while this
            // one is recorded: on a re-run that is nearly all the work (`preparedAhead`).
            var preparing: [(job: AlbumJob, task: Task<PreparedAlbum, Error>)] = []
            func mustWait() -> Bool {
                preparing.count > Self.preparedAhead.albums
                    || (preparing.count > 1 && preparing.reduce(0) { $0 + $1.job.assetCount } > Self.preparedAhead.rows)
            }
            /// A preparation that will not be synced: the folders it made are still ours.
            func keepFolders(of prepared: PreparedAlbum) throws {
                for created in prepared.createdFolders {
                    manifest.createdFolders.insert(created)
                    try store.recordFolderCreated(created)
                }
            }
            func finishOldest() async throws {
                let (job, task) = preparing.removeFirst()
                let prepared = try await task.value
                guard fatal == nil && !control.isCancelled else { return try keepFolders(of: prepared) }
                try await syncAlbum(
                    job, prepared: prepared, copies: &copies, lanes: &lanes, manifest: &manifest, store: store, staged: staged,
                    changedFolders: &changedFolders, mapper: mapper, logger: logger, donors: donors)
                // Its files are final for this run: an unseen one has left the album. Its copies
                // still in the lanes are no donors: a new file has no record yet, and an update's
                // old record differs from its source.
                donors.addUnclaimed(of: job.albumID, in: manifest)
                manifest.albums[job.albumID]?.files.consolidate()
                found += prepared.found
                expected += job.assetCount
                if let f = lanes.fatal { fatal = f }
            }
            func flush() async throws {
                guard let albumID = currentAlbum, !pending.isEmpty else { return }
                defer { pending.removeAll(keepingCapacity: true) }
                guard let assignment = folders[albumID] else {
                    logger.debug("album appeared during the run; next run exports it", metadata: ["album": "\(albumID)"])
                    return
                }
                CatalogAsset.sortForExport(&pending)
                let album = albumsByID[albumID]
                let job = AlbumJob(albumID: albumID, albumName: album?.name ?? "", folder: assignment.folder,
                                   listFrom: dryRunListing[assignment.folder], assetCount: pending.count,
                                   recordedBytes: album?.bytes ?? 0)
                // The rows leave with their album (moved, so the preparation owns them alone).
                var rows: [CatalogAsset] = []
                rows.reserveCapacity(pending.count)
                swap(&rows, &pending)
                preparing.append((job, prepareAlbum(job, assets: consume rows, manifest: manifest, folderOwners: folderOwners,
                                                    mapper: mapper, sources: sources, prefetch: prefetch)))
                while mustWait() { try await finishOldest() }
            }

            do {
                for try await batch in assetBatches {
                    for asset in batch {
                        if asset.albumID != currentAlbum {
                            try await flush()
                            if fatal != nil || control.isCancelled { break }
                            currentAlbum = asset.albumID
                        }
                        pending.append(asset)
                    }
                    if fatal != nil || control.isCancelled { break }
                }
                if fatal == nil && !control.isCancelled { try await flush() }
                while !preparing.isEmpty { try await finishOldest() }
                try await land(&copies, &lanes, leaving: 0, manifest: &manifest, staged: staged,
                               changedFolders: &changedFolders, logger: logger)
                if let f = lanes.fatal { fatal = f }
            } catch {
                // Preparations still running may create folders: wait for them before anything else.
                for (_, task) in preparing {
                    if let prepared = try? await task.value { try? keepFolders(of: prepared) }
                }
                throw error
            }
        }
        // Whatever is still staged is complete: name it before deciding anything else.
        if let f = try await publish(staged, wait: true, manifest: &manifest, store: store, changedFolders: &changedFolders, logger: logger) {
            fatal = fatal ?? f
        }

        if let fatal {
            tracker.emit(.guardDecision("run failed; cleanup skipped"))
            try? compact(store, manifest)
            return (.failed, fatal)
        }
        if control.isCancelled {
            tracker.emit(.guardDecision("run cancelled; cleanup skipped"))
            try? compact(store, manifest)
            logger.notice("run cancelled; nothing deleted")
            return (.cancelled, nil)
        }

        // The run's new names are made durable while the cleanup deletes (deletes need no sync).
        let synced = changedFolders
        changedFolders = []
        async let durable: Void = syncFoldersInBackground(synced, logger: logger)

        let decision = DeletionGuard.decide(
            .init(assetsRootAvailable: rootFacts.available, assetsRootEmpty: rootFacts.empty,
                  expected: expected, found: found, runCompleted: true),
            rule: config.guardRule, assetsRoot: config.assetsRoot)
        tracker.emit(.guardDecision(decision.reason))
        if let reason = decision.reason {
            logger.warning("deletion guard holds; nothing deleted", metadata: ["reason": "\(reason)"])
        } else {
            tracker.emit(.phase(.cleanup))
            try await cleanup(manifest: &manifest, assigned: folders, store: store, logger: logger)
        }
        try compact(store, manifest)
        await durable
        return (dryRun ? .dryRun : .complete, nil)
    }

    /// A folder may move with its album when we created it, nobody else is assigned to it, and the
    /// new name is free on disk.
    private func canMove(_ old: String, to new: String, manifest: Manifest, assignedFolders: Set<String>) -> Bool {
        guard manifest.createdFolders.contains(old), old != new, !assignedFolders.contains(old),
              !new.hasPrefix(old + "/"), !old.hasPrefix(new + "/") else { return false }
        guard let st = try? FileSystem.lstatPath(config.exportDir + "/" + old), st.isDirectory else { return false }
        return !FileSystem.exists(config.exportDir + "/" + new)
    }

    private func moveFolder(_ old: String, to new: String, manifest: inout Manifest, store: ManifestStore) throws {
        // Parents of a nested target ("{owner}/{album}") first.
        let parent = new.split(separator: "/").dropLast().joined(separator: "/")
        for created in try FileSystem.makeDirectories(parent, under: config.exportDir) {
            manifest.createdFolders.insert(created)
            try store.recordFolderCreated(created)
        }
        try FileSystem.rename(config.exportDir + "/" + old, config.exportDir + "/" + new)
        manifest.createdFolders.remove(old)
        manifest.createdFolders.insert(new)
        try store.recordFolderCreated(new)
        try store.recordFolderRemoved(old)
    }

    /// One filesystem sync per filesystem holding a changed folder (normally one in all) instead
    /// of a directory fsync per album: a run that changed a few files in many albums paid for
    /// each album.
    private func syncFolders(_ folders: Set<String>, logger: Logger) {
        guard !dryRun, !folders.isEmpty else { return }
        do throws(SystemError) {
            try FileCopier.makeDurable(folders: folders.map { config.exportDir + "/" + $0 })
        } catch {
            logger.warning("could not flush the export folders to disk", metadata: ["error": "\(error.description)"])
        }
    }

    private func syncFoldersInBackground(_ folders: Set<String>, logger: Logger) async {
        _ = try? await BlockingIO.write { self.syncFolders(folders, logger: logger) }
    }

    private func compact(_ store: ManifestStore, _ manifest: Manifest) throws {
        guard !dryRun else { return }
        try store.compact(manifest)
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
