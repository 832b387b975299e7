import Foundation
import Logging

/// The run's copies in flight, across albums: at most `limit` at a time. An album's last copies
/// land while the next album is applied (waiting for them at the end of every album left the
/// disk and the next album's preparation idle). Each copy is a task on the blocking write pool;
/// its result comes back through one stream, in the order copies finish. Used from the run's
/// task only.
final class CopyLanes {
    /// One copy's result, with the entry it is for: its album may be done by then.
    struct Landed: Sendable {
        var target: CopyTarget
        var result: Result<Placement, SystemError>
    }

    let limit: Int
    private(set) var inFlight = 0
    private let landings: AsyncStream<Landed>.Continuation
    private var landed: AsyncStream<Landed>.Iterator

    init(limit: Int) {
        self.limit = max(1, limit)
        let (stream, continuation) = AsyncStream.makeStream(of: Landed.self)
        landings = continuation
        landed = stream.makeAsyncIterator()
    }

    deinit { landings.finish() }

    /// Starts one copy; `body` is its blocking work.
    func start(_ target: CopyTarget, _ body: @escaping @Sendable () throws(SystemError) -> Placement) {
        let landings = self.landings
        inFlight += 1
        Task {
            let result: Result<Placement, SystemError>
            do {
                result = try await BlockingIO.write { Result { () throws(SystemError) in try body() } }
            } catch {
                result = .failure(SystemError("write", target.path, code: ECANCELED))
            }
            landings.yield(Landed(target: target, result: result))
        }
    }

    /// The next copy to finish, whichever it is; nil when none is in flight.
    func next() async -> Landed? {
        guard inFlight > 0, let landed = await landed.next(isolation: nil) else { return nil }
        inFlight -= 1
        return landed
    }

    /// Waits for every copy still running, without recording them (a failed run).
    func drain() async {
        while await next() != nil {}
    }
}

/// What a copy task hands back: placed under its final name, or written and awaiting the
/// batch's sync.
enum Placement: Sendable {
    case placed(FilePlacer.Placed)
    case staged(FileCopier.Staged)
}

/// The album entry a copy is for, and its name there: what recording the copy needs once it lands.
struct CopyTarget: Sendable {
    var albumID: String
    var assetID: String
    /// The album folder, relative to export_dir.
    var folder: String
    var name: String
    var isUpdate: Bool

    /// Relative to export_dir.
    var path: String { folder + "/" + name }
}

extension ExportSession {
    /// Starts the copy of one planned file once a lane is free (a plain copy is staged: written,
    /// named later with its batch; other modes place the file under its final name).
    func startCopy(_ planned: PlannedFile, in job: AlbumJob) async throws {
        try await land(leaving: lanes.limit - 1)
        if staged.isDue { try await publishStaged(wait: false) }
        if isStopping { return }
        let asset = planned.candidate.asset
        let name = planned.name!
        let target = CopyTarget(albumID: job.albumID, assetID: asset.assetID, folder: job.folder, name: name,
                                isUpdate: planned.action == .update)
        tracker.emit(.fileStarted(path: target.path))
        // A planned copy had a source, so its path maps; should it not, the file fails visibly.
        guard let source = planned.candidate.sourcePath ?? mapper.localPath(for: asset.originalPath) else {
            markSeen(job.albumID, asset.assetID, name)
            let error = SystemError("read", asset.originalPath, code: ENOENT, detail: "no path mapping for \(asset.originalPath)")
            return run.reportFailed(albumID: job.albumID, path: target.path, error, logger: logger)
        }
        let mode = config.exportMode
        let donor = (mode == .copy || mode == .reflink) ? ExportRun.movedFrom(asset.ownedKey, otherThan: job.albumID, manifest: manifest, donors: donors, exportDir: exportDir) : nil
        let copy = CopyOrder(
            mode: mode, source: source, sourceState: planned.candidate.source ?? SourceState(size: 0, mtime: planned.candidate.targetMtime ?? 0),
            folderPath: exportDir + "/" + job.folder, name: name, mtime: planned.candidate.targetMtime ?? 0,
            expectedSHA1: config.verify ? asset.checksumHex : nil, donor: donor, control: control)
        let store = self.store
        lanes.start(target) { () throws(SystemError) in
            try copy.perform { size, mtime throws(SystemError) in
                try store.recordFile(albumID: target.albumID, assetID: target.assetID, .init(name: target.name, size: size, mtime: mtime))
            }
        }
    }

    /// Records landed copies until at most `inFlight` are left running: `limit - 1` frees a lane,
    /// 0 waits for all of them (the end of the run, or an album whose folder time is stamped next).
    func land(leaving inFlight: Int) async throws {
        while lanes.inFlight > inFlight, let landed = await lanes.next() {
            record(landed)
        }
    }

    /// Plain copies wait, written but not yet flushed, for one sync of their whole batch
    /// (`StagedCopies`); everything else is in place when its task ends.
    private func record(_ landed: CopyLanes.Landed) {
        let target = landed.target
        switch landed.result {
        case let .success(.placed(placed)):
            changedFolders.insert(target.folder)
            own(target.albumID, target.assetID, .init(name: target.name, size: placed.size, mtime: placed.mtime))
            if placed.fellBackToCopy { warnFallback(target) }
            run.reportPlaced(albumID: target.albumID, path: target.path, isUpdate: target.isUpdate, bytes: placed.bytesWritten)
        case let .success(.staged(copy)):
            staged.add(.init(target: target, copy: copy))
        case let .failure(error):
            markSeen(target.albumID, target.assetID, target.name)
            if error.code == ECANCELED { return }
            stop(ExportRun.stoppingError(error))
            run.reportFailed(albumID: target.albumID, path: target.path, error, logger: logger)
        }
    }

    private func warnFallback(_ target: CopyTarget) {
        guard !warnedFallback else { return }
        warnedFallback = true
        let mode = config.exportMode
        logger.warning("export_mode \(mode.rawValue) is not possible here; copying instead", metadata: [
            "file": "\(target.path)", "hint": mode == .hardlink ? "hard links need export_dir on the same filesystem as the library" : "this filesystem cannot clone files",
        ])
    }
}

/// One copy as the blocking write pool carries it out: every value it needs, nothing of the session.
struct CopyOrder: Sendable {
    var mode: ExportMode
    var source: String
    var sourceState: SourceState
    var folderPath: String
    var name: String
    var mtime: Int64
    var expectedSHA1: String?
    var donor: FilePlacer.Donor?
    var control: RunControl

    /// A plain copy without a donor is staged (its batch is synced and named later); everything
    /// else is placed now, its journal line (`record`) written just before its rename.
    func perform(record: (_ size: Int64, _ mtime: Int64) throws(SystemError) -> Void) throws(SystemError) -> Placement {
        let control = self.control
        if mode == .copy && donor == nil {
            return .staged(try FileCopier.stage(
                from: source, toFolder: folderPath, name: name, mtime: mtime, expectedSHA1: expectedSHA1,
                flushNow: false, shouldStop: { control.isCancelled }))
        }
        return .placed(try FilePlacer.place(
            mode: mode, source: source, sourceState: sourceState, folder: folderPath, name: name,
            assetMtime: mtime, expectedSHA1: expectedSHA1, movedFrom: donor, beforeRename: record,
            shouldStop: { control.isCancelled }))
    }
}

extension ExportRun {
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
}
