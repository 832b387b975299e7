import Foundation
import Logging

/// The state of one export run, in one place: the manifest and its journal, the copies in flight
/// (`CopyLanes`), the staged batch (`StagedCopies`), the folders that changed, the found/expected
/// counts and the error that stops the run. `ExportRun` makes one per run and drives it:
///
/// 1. `assignFolders(_:)`: every album gets its folder; renamed albums move theirs.
/// 2. `copyAlbums(_:)`: the asset stream, album by album: `prepare` (list, stat, plan — blocking,
///    a few albums ahead, pure decisions) then `apply` (the file effects, in this task).
/// 3. `finish(rootFacts:)`: name what is staged, ask the deletion guard, clean up, compact.
///
/// Used from the run's task only (not `Sendable`); what runs elsewhere (preparations, copies,
/// batch syncs) gets values and the `Sendable` `ExportRun`, never the session. See
/// docs/architecture.md.
final class ExportSession {
    /// The run's settings, tracker and control: what background jobs may take with them.
    let run: ExportRun
    let logger: Logger
    let store: ManifestStore
    var manifest: Manifest
    let prefetch: FolderPrefetch
    let mapper: PathMapper
    /// One for the run: it keeps the library's folders open.
    let sources: FileSystem.Anchor?
    let lanes: CopyLanes
    let staged = StagedCopies()

    /// album id → its folder this run (albums the run does not export have none).
    private(set) var folders: [String: FolderPlanner.Assignment] = [:]
    private(set) var albumsByID: [String: CatalogAlbum] = [:]
    /// A dry run of a renamed album lists the folder that would be moved: new folder → old one.
    var dryRunListing: [String: String] = [:]
    /// Album folders that got new files: their entries are made durable once, at the end.
    var changedFolders: Set<String> = []
    /// The folders assigned this run (no other album's folder may move onto one).
    private(set) var assignedFolders: Set<String> = []
    /// Which albums own files in each folder; built once the folders are settled.
    private(set) var folderOwners = Manifest.FolderOwners(Manifest())
    /// Files of settled albums (done this run, or without a folder) a copy may be made from.
    private(set) var donors = Manifest.Donors()
    /// Assets whose source was found, and assets the catalog listed, in the albums synced.
    var found = 0
    var expected = 0
    /// Set when the run must stop (a full disk).
    var fatal: String?
    /// A fallback from hard link or reflink to a copy is told once per run, not per file.
    var warnedFallback = false
    /// The album pipeline (`copyAlbums`): albums whose rows have ended, gathered to be prepared as
    /// one job; the jobs being prepared, oldest first; the rows of the album the stream is in.
    var gathered: [PendingPreparation] = []
    var gatheredRows = 0
    var preparing: [(albums: [AlbumJob], rows: Int, task: Task<[PreparedAlbum], Error>)] = []
    var pending: [CatalogAsset] = []
    var currentAlbum: String?

    init(run: ExportRun, logger: Logger, store: ManifestStore, manifest: Manifest, prefetch: FolderPrefetch) {
        self.run = run
        self.logger = logger
        self.store = store
        self.manifest = manifest
        self.prefetch = prefetch
        mapper = PathMapper(assetsRoot: run.config.assetsRoot, userMappings: run.config.pathMap)
        sources = FileSystem.Anchor(run.config.assetsRoot)
        lanes = CopyLanes(limit: run.config.copyConcurrency)
    }

    var config: ExportConfig { run.config }
    var dryRun: Bool { run.dryRun }
    var tracker: ProgressTracker { run.tracker }
    var control: RunControl { run.control }
    var exportDir: String { run.config.exportDir }
    /// The run stops at the next file: a fatal error or a cancel.
    var isStopping: Bool { fatal != nil || control.isCancelled }

    func stop(_ message: String?) {
        if let message { fatal = fatal ?? message }
    }

    // MARK: - The run's three steps

    /// Assigns every album its folder, announces the catalog, opens the journal and moves or
    /// parks the folders of albums that changed name or owner.
    func assignFolders(_ albums: [CatalogAlbum]) throws {
        // A user's file or a symlink can never become an album folder; an existing real folder can.
        let blocked = Set(((try? FileSystem.nonDirectories(in: exportDir)) ?? []).map(NameSanitizer.collisionKey))
        let template = try? NameTemplate(parsing: config.layout.folderTemplate, allowed: NameTemplate.folderPlaceholders)
        folders = FolderPlanner.assign(albums: albums, manifest: manifest, blocked: blocked, template: template)
        albumsByID = Dictionary(albums.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        tracker.emit(.catalog(albums: albums.map {
            ProgressSnapshot.AlbumProgress(id: $0.id, name: $0.name, folder: folders[$0.id]?.folder ?? "", total: $0.assetCount)
        }, bytesTotal: albums.reduce(0) { $0 + ($1.bytes ?? 0) }))
        logger.info("catalog read", metadata: ["albums": "\(albums.count)", "entries": "\(albums.reduce(0) { $0 + $1.assetCount })"])

        if !dryRun { try store.openJournal() }
        assignedFolders = Set(folders.values.map(\.folder))
        for album in albums {
            guard let assignment = folders[album.id] else { continue }
            try settleFolder(of: album.id, at: assignment)
        }
        // Folders are settled now: which albums own files in each, and which files of albums
        // without a folder this run may become another album's new copy.
        folderOwners = Manifest.FolderOwners(manifest)
        for albumID in manifest.albums.keys where folders[albumID] == nil { donors.addUnclaimed(of: albumID, in: manifest) }
    }

    /// Runs the asset stream through the album pipeline: albums are prepared in the background
    /// (small ones together; `preparedAhead` jobs at most) while earlier ones are applied here;
    /// copies land in the lanes.
    func copyAlbums(_ batches: AsyncThrowingStream<[CatalogAsset], Error>) async throws {
        tracker.emit(.phase(.copying))
        // Start-up is over (configuration, database sessions, manifest): its code goes back.
        if Tuning.uses(.process) { CodePages.releaseResident() }
        do {
            for try await batch in batches {
                for asset in batch {
                    if asset.albumID != currentAlbum {
                        try await endAlbumRows()
                        if isStopping { break }
                        currentAlbum = asset.albumID
                    }
                    pending.append(asset)
                }
                if isStopping { break }
                // The albums this batch ended wait no longer for the next batch.
                try await startGathered()
            }
            if !isStopping {
                try await endAlbumRows()
                try await startGathered()
            }
            while !preparing.isEmpty { try await applyOldest() }
            try await land(leaving: 0)
        } catch {
            await abandonPipeline()
            throw error
        }
    }

    /// Names what is staged, then (unless the run failed or was cancelled) asks the deletion
    /// guard and cleans up; compacts the journal. The run's outcome.
    func finish(rootFacts: (available: Bool, empty: Bool)) async throws -> (ProgressSnapshot.Status, String?) {
        // Whatever is still staged is complete: name it before deciding anything else.
        try await publishStaged(wait: true)
        if let fatal {
            tracker.emit(.guardDecision("run failed; cleanup skipped"))
            try? compact()
            return (.failed, fatal)
        }
        if control.isCancelled {
            tracker.emit(.guardDecision("run cancelled; cleanup skipped"))
            try? compact()
            logger.notice("run cancelled; nothing deleted")
            return (.cancelled, nil)
        }
        // The run's new names are made durable while the cleanup deletes (deletes need no sync).
        let synced = changedFolders
        changedFolders = []
        let (run, logger) = (self.run, self.logger)
        async let durable: Void = run.syncFoldersInBackground(synced, logger: logger)

        let decision = DeletionGuard.decide(
            .init(assetsRootAvailable: rootFacts.available, assetsRootEmpty: rootFacts.empty,
                  expected: expected, found: found, runCompleted: true),
            rule: config.guardRule, assetsRoot: config.assetsRoot)
        tracker.emit(.guardDecision(decision.reason))
        if let reason = decision.reason {
            logger.warning("deletion guard holds; nothing deleted", metadata: ["reason": "\(reason)"])
        } else {
            tracker.emit(.phase(.cleanup))
            try await cleanup()
        }
        try compact()
        await durable
        return (dryRun ? .dryRun : .complete, nil)
    }

    /// The folders that got new files, made durable (a run that ends early still does this).
    func syncChangedFolders() {
        run.syncFolders(changedFolders, logger: logger)
        changedFolders = []
    }

    func compact() throws {
        guard !dryRun else { return }
        try store.compact(manifest)
    }

    // MARK: - The album pipeline

    /// The stream has left the current album: its rows go to a preparation, started with the
    /// albums gathered before it once they have rows enough.
    private func endAlbumRows() async throws {
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
        gathered.append(preparation(for: job, assets: consume rows))
        gatheredRows += job.assetCount
        if gatheredRows >= ExportRun.preparedTogether { try await startGathered() }
    }

    /// The gathered albums' preparations start as one job; the oldest jobs are applied until few
    /// enough are ahead.
    private func startGathered() async throws {
        guard !gathered.isEmpty else { return }
        preparing.append((gathered.map(\.job), gatheredRows, start(gathered)))
        gathered = []
        gatheredRows = 0
        while mustWait() { try await applyOldest() }
    }

    private func mustWait() -> Bool {
        preparing.count > ExportRun.preparedAhead.jobs
            || (preparing.count > 1 && preparing.reduce(0) { $0 + $1.rows } > ExportRun.preparedAhead.rows)
    }

    private func applyOldest() async throws {
        let (jobs, _, task) = preparing.removeFirst()
        for (job, prepared) in zip(jobs, try await task.value) {
            guard !isStopping else {
                try keepFolders(of: prepared)
                continue
            }
            try await apply(job, prepared)
            // Its files are final for this run: an unseen one has left the album. Its copies
            // still in the lanes are no donors: a new file has no record yet, and an update's
            // old record differs from its source.
            donors.addUnclaimed(of: job.albumID, in: manifest)
            manifest.albums[job.albumID]?.files.consolidate()
            found += prepared.found
            expected += job.assetCount
        }
    }

    /// A failed pipeline: preparations still running may create folders, copies still running
    /// may land and a staged batch may be being named (its journal lines need the journal open);
    /// all are waited for before the run goes on to fail.
    private func abandonPipeline() async {
        for (_, _, task) in preparing {
            for prepared in (try? await task.value) ?? [] { try? keepFolders(of: prepared) }
        }
        preparing = []
        gathered = []   // not started: nothing of theirs is on disk
        gatheredRows = 0
        await lanes.drain()
        try? await settleInFlight()
    }

    /// Folders a preparation created are ours, whether or not its album is applied.
    func keepFolders(of prepared: PreparedAlbum) throws {
        for created in prepared.createdFolders {
            manifest.createdFolders.insert(created)
            try store.recordFolderCreated(created)
        }
    }
}
