import Foundation
import Synchronization

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

/// What the blocking preparation of one album found: the plan `ExportSession.apply` carries out.
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

extension ExportSession {
    /// An album's preparation (list the folder, stat the sources, plan), taken from the run's
    /// state now: it reads only what no other album's apply changes (this album's own files and
    /// its folder's names), so it may start later, on the blocking pool, with other albums
    /// (`start(_:)`). `assets` are in `CatalogAsset.exportOrder`.
    func preparation(for job: AlbumJob, assets: consuming [CatalogAsset]) -> PendingPreparation {
        let preparation = AlbumPreparation(
            job: job, exportDir: exportDir, dryRun: dryRun, mode: config.exportMode, selection: config.selection,
            fileTemplate: config.layout.fileTemplate == "{original}" ? nil
                : try? NameTemplate(parsing: config.layout.fileTemplate, allowed: NameTemplate.filePlaceholders),
            owned: manifest.albums[job.albumID]?.files ?? [:],
            // Which names in the folder are ours: indexed by the planner only if it needs it.
            folderOwners: manifest.owners(ofFolder: job.folder, index: folderOwners),
            mapper: mapper, sources: sources, prefetch: prefetch)
        return PendingPreparation(job: job, preparation: preparation, rows: Handoff(consume assets))
    }

    /// Runs the preparations of a few albums, one after another, as one job on the blocking pool,
    /// so the run can prepare the next albums while it applies earlier ones. One job per album
    /// cost a few thread hand-offs each, more than a small album's whole preparation.
    func start(_ albums: [PendingPreparation]) -> Task<[PreparedAlbum], Error> {
        Task { try await BlockingIO.run { albums.map { $0.preparation.run($0.rows.take()) } } }
    }
}

/// An album waiting for its preparation to start: its job, what the preparation knows, its rows.
struct PendingPreparation: Sendable {
    var job: AlbumJob
    var preparation: AlbumPreparation
    var rows: Handoff<[CatalogAsset]>
}

/// Hands a value to a background job as its only owner: a captured constant would keep a
/// second reference, and moving elements out of a shared array copies it first.
final class Handoff<Value: Sendable>: Sendable {
    private let value: Mutex<Value?>
    init(_ value: consuming Value) { self.value = Mutex(value) }
    /// Once, from the one job that owns it.
    func take() -> Value { value.withLock { $0.take()! } }
}

/// Everything one album's preparation needs, as values: it runs on the blocking pool, apart from
/// the session. Its only effects are creating the album's folder and removing leftover temp files.
struct AlbumPreparation: Sendable {
    var job: AlbumJob
    var exportDir: String
    var dryRun: Bool
    var mode: ExportMode
    var selection: Selection
    var fileTemplate: NameTemplate?
    var owned: OwnedFiles
    var folderOwners: [(albumID: String, files: OwnedFiles)]
    var mapper: PathMapper
    var sources: FileSystem.Anchor?
    var prefetch: FolderPrefetch

    var folderPath: String { exportDir + "/" + job.folder }

    /// Lists the folder, stats the sources, plans the album and its companions (blocking).
    func run(_ assets: consuming [CatalogAsset]) -> PreparedAlbum {
        var p = PreparedAlbum()
        var reader: FileSystem.FolderReader?
        // Listed ahead while the database was busy, if the prefetch got to it.
        let prefetched = job.listFrom == nil ? prefetch.take(albumID: job.albumID, folderPath: folderPath) : nil
        do throws(SystemError) {
            // A template may nest folders ("{owner}/{album}"): create each level we need.
            if !dryRun { p.createdFolders = try FileSystem.makeDirectories(job.folder, under: exportDir) }
            // A dry run of a renamed album looks at the folder that would be moved.
            if prefetched == nil { reader = try FileSystem.FolderReader(job.listFrom.map { exportDir + "/" + $0 } ?? folderPath) }
        } catch {
            p.folderError = "album folder \(job.folder): \(error.reason)"
        }
        // The folder's entries are stat'ed in the same lanes as the sources: both are a path
        // lookup per file, and the lanes finish together.
        var (candidates, listing) = AlbumPreparation.candidates(for: consume assets, mapper: mapper, sources: sources,
                                                                keepPaths: mode == .symlink, alongside: reader)
        if let prefetched { listing = prefetched }
        removeLeftovers(from: &listing)
        p.found = candidates.reduce(0) { $0 + ($1.source != nil ? 1 : 0) }
        var input = FilePlanner.Input(albumID: job.albumID, candidates: consume candidates, listing: listing,
                                      owned: owned, ownedInFolder: [:], mode: mode, folderPath: folderPath)
        input.folderOwners = folderOwners
        input.fileTemplate = fileTemplate
        p.plan = FilePlanner.plan(moving: &input)

        let companions = companions(of: p.plan)
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

    /// Symlink mode reads the links' targets; temp files of an interrupted copy leave the listing
    /// (and the disk).
    private func removeLeftovers(from listing: inout [String: TargetEntry]) {
        if mode == .symlink {
            for (name, entry) in listing where !entry.isRegularFile && !entry.isDirectory {
                listing[name]?.linkTarget = FilePlacer.readLink(folderPath + "/" + name)
            }
        }
        for (name, _) in listing where FileCopier.isTempName(name) {
            listing[name] = nil
            if !dryRun { try? FileSystem.removeFile(folderPath + "/" + name) }
        }
    }

    /// Companions take their asset's final name: IMG_1.HEIC → IMG_1.MOV, IMG_1.HEIC.xmp.
    private func companions(of plan: [PlannedFile]) -> [FileCandidate] {
        guard selection.includeLivePhotos || selection.includeSidecars else { return [] }
        var companions: [FileCandidate] = []
        for planned in plan {
            guard let name = planned.name else { continue }
            let asset = planned.candidate.asset
            if selection.includeLivePhotos, let live = asset.livePhoto {
                let ext = (live.originalFileName as NSString).pathExtension
                let base = (name as NSString).deletingPathExtension
                var video = CatalogAsset(albumID: job.albumID, assetID: asset.assetID + "#live", originalPath: live.originalPath,
                                         originalFileName: ext.isEmpty ? base + ".mov" : base + "." + ext,
                                         modifiedMicros: live.modifiedMicros)
                video.capturedMicros = asset.capturedMicros
                companions.append(Self.candidate(for: video, mapper: mapper))
            }
            if selection.includeSidecars, let sidecar = asset.sidecarPath {
                let xmp = CatalogAsset(albumID: job.albumID, assetID: asset.assetID + "#xmp", originalPath: sidecar,
                                       originalFileName: name + ".xmp", modifiedMicros: nil)
                companions.append(Self.candidate(for: xmp, mapper: mapper))
            }
        }
        return companions
    }

    /// Maps and stats every source, and lstats the folder's entries (blocking). Each asset then
    /// moves into its candidate (a copy would retain every string in it).
    /// `keepPaths`: every candidate carries its source path (symlink mode compares link targets);
    /// otherwise only those whose source has a problem, and a copy maps its path when it runs.
    static func candidates(for assets: consuming [CatalogAsset], mapper: PathMapper, sources: FileSystem.Anchor?,
                           keepPaths: Bool, alongside folder: FileSystem.FolderReader? = nil) -> ([FileCandidate], [String: TargetEntry]) {
        var (found, entries) = lookUp(assets, mapper: mapper, sources: sources, keepPaths: keepPaths, alongside: folder)
        let candidates = zipMoving(&assets, &found) { asset, found in FileCandidate(asset: asset, found) }
        return (candidates, FileSystem.FolderReader.listing(entries))
    }

    /// Each asset's source and each folder entry, in order. A large album is split over two lanes,
    /// which read the assets in place: the per-file cost is a path lookup in the kernel, and two
    /// lookups run side by side.
    private static func lookUp(_ assets: [CatalogAsset], mapper: PathMapper, sources: FileSystem.Anchor?, keepPaths: Bool,
                               alongside folder: FileSystem.FolderReader?) -> (found: [SourceLookup], entries: [TargetEntry?]) {
        let n = assets.count
        let m = folder?.names.count ?? 0
        let lanes = Lanes.count(for: n + m, from: 512)
        let parts = Lanes.collect(lanes) { lane in
            let found = Lanes.share(lane, of: lanes, n).map { i in
                lookUpSource(assets[i].originalPath, mapper: mapper, sources: sources, keepPath: keepPaths)
            }
            return (found: found, entries: Lanes.share(lane, of: lanes, m).map { i in folder?.entry(i) })
        }
        return (parts.flatMap(\.found), parts.flatMap(\.entries))
    }

    /// Maps and stats one asset's source (blocking).
    static func candidate(for asset: consuming CatalogAsset, mapper: PathMapper, sources: FileSystem.Anchor? = nil,
                          keepPath: Bool = true) -> FileCandidate {
        let found = lookUpSource(asset.originalPath, mapper: mapper, sources: sources, keepPath: keepPath)
        return FileCandidate(asset: asset, found)
    }

    /// Maps and stats a source (blocking). `keepPath`: the path is kept also for a source that is fine.
    private static func lookUpSource(_ originalPath: String, mapper: PathMapper, sources: FileSystem.Anchor?,
                                     keepPath: Bool) -> SourceLookup {
        var found = SourceLookup()
        guard let (target, rest) = mapper.resolve(originalPath) else {
            found.problem = "no path mapping for \(originalPath) — add a path_map entry"
            return found
        }
        let path = { target + rest }
        if keepPath { found.path = path() }
        do throws(SystemError) {
            let st = if let sources { try sources.stat(target: target, rest: rest, path: path) } else { try FileSystem.statPath(path()) }
            if st.isRegularFile {
                found.state = SourceState(size: st.size, mtime: st.mtime)
            } else {
                found.problem = "\(path()) is not a regular file"
            }
        } catch {
            found.problem = "source \(error.path): \(error.reason)"
        }
        if found.problem != nil && found.path == nil { found.path = path() }
        return found
    }

    /// Where a planned copy reads from: the candidate's path, or the asset's mapped path.
    static func sourcePath(of candidate: FileCandidate, mapper: PathMapper) -> String? {
        candidate.sourcePath ?? mapper.localPath(for: candidate.asset.originalPath)
    }
}

/// What mapping and stat'ing one asset's source found.
struct SourceLookup: Sendable {
    var path: String?
    var state: SourceState?
    var problem: String?
}

extension FileCandidate {
    init(asset: consuming CatalogAsset, _ found: consuming SourceLookup) {
        self.init(asset: asset, sourcePath: found.path, source: found.state, sourceProblem: found.problem)
    }
}
