import Foundation
import Logging

extension ExportRun {
    /// One album's rows and where they go.
    struct AlbumJob: Sendable {
        var albumID: String
        var albumName: String
        var folder: String
        /// A dry run of a renamed album looks at the folder that would be moved.
        var listFrom: String?
        var assetCount: Int
        /// What Immich recorded for the album's files (exif sizes; missing ones count 0).
        var recordedBytes: Int64 = 0
    }

    /// What the blocking preparation of one album found.
    struct PreparedAlbum: Sendable {
        var plan: [PlannedFile] = []
        /// Folder levels this run created (relative to export_dir), outermost first.
        var createdFolders: [String] = []
        /// Live-photo videos and sidecars planned next to their assets.
        var companionCount = 0
        var folderError: String?
        var found = 0
        /// The sizes of the sources found (companions included), as stat'ed.
        var sourceBytes: Int64 = 0
    }

    /// Starts an album's blocking preparation (list the folder, stat the sources, plan) in
    /// the background, so the run can prepare the next album while it records this one. It reads
    /// only what no other album's sync changes: this album's own files and its folder's names.
    /// `assets` are in `CatalogAsset.exportOrder`.
    func prepareAlbum(_ job: AlbumJob, assets: consuming [CatalogAsset], manifest: Manifest, folderOwners: Manifest.FolderOwners,
                      mapper: PathMapper, sources: FileSystem.Anchor?, prefetch: FolderPrefetch) -> Task<PreparedAlbum, Error> {
        let folder = job.folder
        let albumID = job.albumID
        let listFrom = job.listFrom
        let owned = manifest.albums[albumID]?.files ?? [:]
        // Which names in the folder are ours: indexed by the planner only if it needs it.
        let folderOwners = manifest.owners(ofFolder: folder, index: folderOwners)
        let folderPath = config.exportDir + "/" + folder
        let dryRun = self.dryRun
        let mode = config.exportMode
        let exportDir = config.exportDir
        let selection = config.selection
        let fileTemplate = config.layout.fileTemplate == "{original}" ? nil : try? NameTemplate(parsing: config.layout.fileTemplate, allowed: NameTemplate.filePlaceholders)
        let rows = Handoff(consume assets)
        return Task {
            try await BlockingIO.run { () -> PreparedAlbum in
                var p = PreparedAlbum()
                var reader: FileSystem.FolderReader?
                // Listed ahead while the database was busy, if the prefetch got to it.
                let prefetched = listFrom == nil ? prefetch.take(albumID: albumID, folderPath: folderPath) : nil
                do throws(SystemError) {
                    // A template may nest folders ("{owner}/{album}"): create each level we need.
                    if !dryRun { p.createdFolders = try FileSystem.makeDirectories(folder, under: exportDir) }
                    // A dry run of a renamed album looks at the folder that would be moved.
                    if prefetched == nil { reader = try FileSystem.FolderReader(listFrom.map { exportDir + "/" + $0 } ?? folderPath) }
                } catch {
                    p.folderError = "album folder \(folder): \(error.reason)"
                }
                // The folder's entries are stat'ed in the same lanes as the sources: both are a path
                // lookup per file, and the lanes finish together.
                var (candidates, listing) = Self.candidates(for: rows.take(), mapper: mapper, sources: sources,
                                                            keepPaths: mode == .symlink, alongside: reader)
                if let prefetched { listing = prefetched }
                if mode == .symlink {
                    for (name, entry) in listing where !entry.isRegularFile && !entry.isDirectory {
                        listing[name]?.linkTarget = FilePlacer.readLink(folderPath + "/" + name)
                    }
                }
                for (name, _) in listing where FileCopier.isTempName(name) {
                    listing[name] = nil
                    if !dryRun { try? FileSystem.removeFile(folderPath + "/" + name) }  // leftover of an interrupted copy
                }
                p.found = candidates.reduce(0) { $0 + ($1.source != nil ? 1 : 0) }
                var input = FilePlanner.Input(albumID: albumID, candidates: consume candidates, listing: listing,
                                              owned: owned, ownedInFolder: [:], mode: mode, folderPath: folderPath)
                input.folderOwners = folderOwners
                input.fileTemplate = fileTemplate
                p.plan = FilePlanner.plan(moving: &input)

                // Companions take their asset's final name: IMG_1.HEIC → IMG_1.MOV, IMG_1.HEIC.xmp.
                var companions: [FileCandidate] = []
                for planned in p.plan where selection.includeLivePhotos || selection.includeSidecars {
                    guard let name = planned.name else { continue }
                    let asset = planned.candidate.asset
                    if selection.includeLivePhotos, let live = asset.livePhoto {
                        let ext = (live.originalFileName as NSString).pathExtension
                        let base = (name as NSString).deletingPathExtension
                        var video = CatalogAsset(albumID: albumID, assetID: asset.assetID + "#live", originalPath: live.originalPath,
                                                 originalFileName: ext.isEmpty ? base + ".mov" : base + "." + ext,
                                                 modifiedMicros: live.modifiedMicros)
                        video.capturedMicros = asset.capturedMicros
                        companions.append(Self.candidate(for: video, mapper: mapper))
                    }
                    if selection.includeSidecars, let sidecar = asset.sidecarPath {
                        let xmp = CatalogAsset(albumID: albumID, assetID: asset.assetID + "#xmp", originalPath: sidecar,
                                               originalFileName: name + ".xmp", modifiedMicros: nil)
                        companions.append(Self.candidate(for: xmp, mapper: mapper))
                    }
                }
                if !companions.isEmpty {
                    var second = input
                    second.candidates = companions
                    second.alreadyClaimed = Set(p.plan.compactMap { $0.name.map(NameSanitizer.collisionKey) })
                    second.namesAreFinal = true
                    p.plan += FilePlanner.plan(second)
                    p.companionCount = companions.count
                }
                p.sourceBytes = p.plan.reduce(0) { $0 + ($1.candidate.source?.size ?? 0) }
                return p
            }
        }
    }

    /// Syncs one prepared album folder: claims its unchanged files and starts its copies in the
    /// run's lanes (`copies`), recording the manifest as files land. `donors`: the files of
    /// settled albums a copy may be made from instead.
    func syncAlbum(
        _ job: AlbumJob, prepared: PreparedAlbum, copies: inout CopyLanes.Group, lanes: inout CopyLanes,
        manifest: inout Manifest, store: ManifestStore, staged: StagedCopies, changedFolders: inout Set<String>,
        mapper: PathMapper, logger: Logger, donors: Manifest.Donors = .init()
    ) async throws {
        let albumID = job.albumID
        let albumName = job.albumName
        let folder = job.folder
        tracker.emit(.albumStarted(albumID: albumID))
        defer { tracker.emit(.albumFinished(albumID: albumID)) }
        if prepared.sourceBytes != job.recordedBytes {
            tracker.emit(.albumSized(recordedBytes: job.recordedBytes, actualBytes: prepared.sourceBytes))
        }
        let folderPath = config.exportDir + "/" + folder
        let dryRun = self.dryRun
        let mode = config.exportMode
        let exportDir = config.exportDir

        for created in prepared.createdFolders {
            manifest.createdFolders.insert(created)
            try store.recordFolderCreated(created)
        }
        if prepared.companionCount > 0 { tracker.emit(.extraFiles(albumID: albumID, count: prepared.companionCount)) }
        if let folderError = prepared.folderError {
            logger.error("cannot use album folder", metadata: ["album": "\(albumName)", "error": "\(folderError)"])
            for planned in prepared.plan {
                if let name = planned.name { markSeen(&manifest, albumID, planned.candidate.asset.assetID, name) }
                tracker.emit(.fileFinished(albumID: albumID, path: folder + "/" + (planned.name ?? planned.candidate.asset.originalFileName),
                                           outcome: .failed(reason: folderError)))
            }
            return
        }

        let control = self.control
        let verify = config.verify
        func publishStaged(wait: Bool) async throws {
            if let fatal = try await publish(staged, wait: wait, manifest: &manifest, store: store,
                                             changedFolders: &changedFolders, logger: logger) {
                lanes.fatal = fatal
            }
        }

        // Unchanged files are claimed in one pass over the album's records, and counted, not
        // reported one by one: on a re-run they are nearly all of them.
        prepared.plan.withUnsafeBufferPointer { plan in
            manifest.albums[albumID]?.files.markSeen(plan.indices.lazy.compactMap { i in
                guard case .skip = plan[i].action else { return nil }
                return (plan[i].candidate.asset.ownedKey, plan[i].name!)
            })
        }
        var skipped = 0
        defer { if skipped > 0 { tracker.emit(.filesSkipped(albumID: albumID, count: skipped)) } }
        for index in prepared.plan.indices {
            if control.isCancelled || lanes.fatal != nil { break }
            if let replaced = prepared.plan[index].replacesAssetID {
                manifest.albums[albumID]?.files[replaced] = nil
                if !dryRun { try store.recordRemoval(albumID: albumID, assetID: replaced) }
            }
            // The common case of a re-run (claimed above), read in place: a copy of the entry
            // retains every string in it.
            if case .skip = prepared.plan[index].action {
                skipped += 1
                continue
            }
            let planned = prepared.plan[index]
            let asset = planned.candidate.asset
            var path: String { folder + "/" + (planned.name ?? NameSanitizer.fileName(asset.originalFileName)) }
            switch planned.action {
            case .skip:
                break   // recorded above
            case .adopt:
                if !dryRun, let source = planned.candidate.source {
                    var file = Manifest.OwnedFile(name: planned.name!, size: source.size, mtime: planned.candidate.targetMtime ?? source.mtime)
                    try store.recordFile(albumID: albumID, assetID: asset.assetID, file)
                    file.seen = true
                    manifest.albums[albumID]?.files[asset.assetID] = file
                }
                skipped += 1
            case let .missingSource(reason):
                if let name = planned.name { markSeen(&manifest, albumID, asset.assetID, name) }
                tracker.emit(.fileFinished(albumID: albumID, path: path, outcome: .failed(reason: reason)))
            case .copy, .update:
                let size = planned.candidate.source?.size ?? 0
                if dryRun {
                    if let name = planned.name { markSeen(&manifest, albumID, asset.assetID, name) }
                    tracker.emit(.fileFinished(albumID: albumID, path: path,
                        outcome: planned.action == .update ? .updated(bytes: size) : .copied(bytes: size)))
                    continue
                }
                try await land(&copies, &lanes, leaving: lanes.limit - 1, manifest: &manifest, staged: staged,
                               changedFolders: &changedFolders, logger: logger)
                if staged.isDue { try await publishStaged(wait: false) }
                if control.isCancelled || lanes.fatal != nil { break }
                tracker.emit(.fileStarted(path: path))
                // A planned copy had a source, so its path maps; should it not, the file fails visibly.
                guard let source = Self.sourcePath(of: planned.candidate, mapper: mapper) else {
                    markSeen(&manifest, albumID, asset.assetID, planned.name!)
                    reportFailed(albumID: albumID, path: path,
                                 SystemError("read", asset.originalPath, code: ENOENT, detail: "no path mapping for \(asset.originalPath)"),
                                 logger: logger)
                    continue
                }
                let name = planned.name!
                let mtime = planned.candidate.targetMtime ?? 0
                let assetID = asset.assetID
                let target = CopyTarget(albumID: albumID, assetID: assetID, folder: folder, name: name, isUpdate: planned.action == .update)
                let sourceState = planned.candidate.source ?? SourceState(size: 0, mtime: mtime)
                let donor = (mode == .copy || mode == .reflink)
                    ? Self.movedFrom(asset.ownedKey, otherThan: albumID, manifest: manifest, donors: donors, exportDir: exportDir)
                    : nil
                let expectedSHA1 = verify ? asset.checksumHex : nil
                let batched = mode == .copy && donor == nil
                copies.addTask {
                    let result = try await BlockingIO.write { () -> Result<Placement, SystemError> in
                        Result { () throws(SystemError) -> Placement in
                            if batched {
                                return .staged(try FileCopier.stage(
                                    from: source, toFolder: folderPath, name: name, mtime: mtime, expectedSHA1: expectedSHA1,
                                    flushNow: false, shouldStop: { control.isCancelled }))
                            }
                            return .placed(try FilePlacer.place(
                                mode: mode, source: source, sourceState: sourceState, folder: folderPath, name: name,
                                assetMtime: mtime, expectedSHA1: expectedSHA1, movedFrom: donor,
                                beforeRename: { size, recordedMtime throws(SystemError) in
                                    try store.recordFile(albumID: albumID, assetID: assetID,
                                                         .init(name: name, size: size, mtime: recordedMtime))
                                },
                                shouldStop: { control.isCancelled }))
                        }
                    }
                    return .init(target: target, result: result)
                }
                lanes.started()
            }
        }
        // Copies of this album that landed wait no longer than the next album's first copy.
        if staged.isDue { try await publishStaged(wait: false) }
        // Stamping the folder's time must come after its last rename; otherwise the album's last
        // copies land while the next album is recorded.
        if config.layout.folderMtime {
            try await land(&copies, &lanes, leaving: 0, manifest: &manifest, staged: staged,
                           changedFolders: &changedFolders, logger: logger)
            try await publishStaged(wait: true)
        }
        if !dryRun {
            if config.layout.folderMtime, let newest = prepared.plan.compactMap({ $0.name == nil ? nil : $0.candidate.targetMtime }).max() {
                var times = FileSystem.times(newest)
                utimensat(AT_FDCWD, folderPath, &times, 0)
            }
        }
    }

    /// Hands a value to a background job as its only owner: a captured constant would keep a
    /// second reference, and moving elements out of a shared array copies it first.
    final class Handoff<Value>: @unchecked Sendable {
        private var value: Value?
        init(_ value: consuming Value) { self.value = value }
        /// Once, from the one job that owns it.
        func take() -> Value { value.take()! }
    }

    /// What a copy task hands back: placed under its final name, or written and awaiting the
    /// batch's sync.
    enum Placement: Sendable {
        case placed(FilePlacer.Placed)
        case staged(FileCopier.Staged)
    }

    /// An export of the same asset that has left its (already settled) album: the new file can
    /// be that file under a second name instead of a fresh copy; the old name is cleaned up later.
    /// Runs for every copy: only the albums `donors` names for the asset are looked at.
    static func movedFrom(_ asset: OwnedFiles.PackedID, otherThan albumID: String, manifest: Manifest,
                          donors: Manifest.Donors, exportDir: String) -> FilePlacer.Donor? {
        for otherID in donors.albumIDs(holding: asset) where otherID != albumID {
            guard let entry = manifest.albums[otherID], let file = entry.files[packed: asset], !file.seen else { continue }
            return FilePlacer.Donor(path: exportDir + "/" + entry.folder + "/" + file.name, size: file.size, mtime: file.mtime)
        }
        return nil
    }

    /// Maps and stats every source (blocking). A large album is split over two threads: the
    /// per-file cost is a path lookup in the kernel, and two lookups run side by side.
    /// Each asset moves into its candidate (a copy would retain every string in it).
    /// `keepPaths`: every candidate carries its source path (symlink mode compares link targets);
    /// otherwise only those whose source has a problem, and a copy maps its path when it runs.
    static func candidates(for assets: consuming [CatalogAsset], mapper: PathMapper, sources: FileSystem.Anchor?,
                           keepPaths: Bool, alongside folder: FileSystem.FolderReader? = nil) -> ([FileCandidate], [String: TargetEntry]) {
        let n = assets.count
        let m = folder?.names.count ?? 0
        let lanes = Lanes.count(for: n + m, from: 512)
        var entries = [TargetEntry?](repeating: nil, count: m)
        let candidates = assets.withUnsafeMutableBufferPointer { source in
            entries.withUnsafeMutableBufferPointer { entries in
                let result = [FileCandidate](unsafeUninitializedCapacity: n) { target, count in
                    // Each lane moves and writes its own disjoint ranges.
                    nonisolated(unsafe) let (source, target, entries) = (source, target, entries)
                    @Sendable func fill(_ lane: Int) {
                        for i in Lanes.share(lane, of: lanes, n) {
                            (target.baseAddress! + i).initialize(to: candidate(
                                for: (source.baseAddress! + i).move(), mapper: mapper, sources: sources, keepPath: keepPaths))
                        }
                        for i in Lanes.share(lane, of: lanes, m) { entries[i] = folder?.entry(i) }
                    }
                    Lanes.run(lanes, fill)
                    count = n
                }
                source.baseAddress?.initialize(repeating: CatalogAsset.placeholder, count: n)   // moved out: own nothing
                return result
            }
        }
        return (candidates, FileSystem.FolderReader.listing(entries))
    }

    /// Maps and stats one asset's source (blocking). The asset moves into the candidate once,
    /// at the end (one construction per branch made the compiler copy it).
    static func candidate(for asset: consuming CatalogAsset, mapper: PathMapper, sources: FileSystem.Anchor? = nil,
                          keepPath: Bool = true) -> FileCandidate {
        var source: SourceState?
        var problem: String?
        var local: String?
        if let (target, rest) = mapper.resolve(asset.originalPath) {
            let path = { target + rest }
            if keepPath { local = path() }
            do throws(SystemError) {
                let st = if let sources { try sources.stat(target: target, rest: rest, path: path) } else { try FileSystem.statPath(path()) }
                if st.isRegularFile {
                    source = SourceState(size: st.size, mtime: st.mtime)
                } else {
                    problem = "\(path()) is not a regular file"
                }
            } catch {
                problem = "source \(error.path): \(error.reason)"
            }
            if problem != nil && local == nil { local = path() }
        } else {
            problem = "no path mapping for \(asset.originalPath) — add a path_map entry"
        }
        return FileCandidate(asset: asset, sourcePath: local, source: source, sourceProblem: problem)
    }

    /// Where a planned copy reads from: the candidate's path, or the asset's mapped path.
    static func sourcePath(of candidate: FileCandidate, mapper: PathMapper) -> String? {
        candidate.sourcePath ?? mapper.localPath(for: candidate.asset.originalPath)
    }

    func markSeen(_ manifest: inout Manifest, _ albumID: String, _ assetID: String, _ name: String) {
        manifest.albums[albumID]?.files.markSeen(assetID, ifNamed: name)
    }

    /// A file now under its final name: the manifest owns it, claimed by this run.
    static func own(_ manifest: inout Manifest, _ albumID: String, _ assetID: String, _ file: Manifest.OwnedFile) {
        var file = file
        file.seen = true
        manifest.albums[albumID]?.files[assetID] = file
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
}
