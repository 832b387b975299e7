import Foundation
import Logging

/// The run's copies in flight, across albums: at most `limit` at a time. An album's last copies
/// land while the next album is recorded; waiting for them at the end of every album cost a
/// change re-run 90–120 ms per 700 copies (100 albums), time in which the disk and the next
/// album's preparation could have gone on. Used from the run's own task only.
struct CopyLanes {
    /// One copy's result, with the entry it is for: its album may be done by then.
    struct Landed: Sendable {
        var target: CopyTarget
        var result: Result<ExportRun.Placement, SystemError>
    }

    /// The task group the copies run in: the run's, for the whole album loop.
    typealias Group = ThrowingTaskGroup<Landed, Error>

    let limit: Int
    private(set) var inFlight = 0
    /// Set when the run must stop (a full disk).
    var fatal: String?
    /// A fallback from hard link or reflink to a copy is told once per run, not per file.
    var warnedFallback = false

    init(limit: Int) { self.limit = max(1, limit) }

    mutating func started() { inFlight += 1 }
    mutating func landed() { inFlight -= 1 }
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

extension ExportRun {
    /// Records landed copies until at most `inFlight` are left running: `limit - 1` frees a lane,
    /// 0 waits for all of them (the end of the run, or an album whose folder time is stamped next).
    func land(_ copies: inout CopyLanes.Group, _ lanes: inout CopyLanes, leaving inFlight: Int,
              manifest: inout Manifest, staged: StagedCopies, changedFolders: inout Set<String>, logger: Logger) async throws {
        while lanes.inFlight > inFlight, let landed = try await copies.next() {
            lanes.landed()
            record(landed, &lanes, manifest: &manifest, staged: staged, changedFolders: &changedFolders, logger: logger)
        }
    }

    /// Plain copies wait, written but not yet flushed, for one sync of their whole batch
    /// (`StagedCopies`); everything else is in place when its task ends.
    private func record(_ landed: CopyLanes.Landed, _ lanes: inout CopyLanes, manifest: inout Manifest,
                        staged: StagedCopies, changedFolders: inout Set<String>, logger: Logger) {
        let target = landed.target
        switch landed.result {
        case let .success(.placed(placed)):
            changedFolders.insert(target.folder)
            Self.own(&manifest, target.albumID, target.assetID, .init(name: target.name, size: placed.size, mtime: placed.mtime))
            if placed.fellBackToCopy && !lanes.warnedFallback {
                lanes.warnedFallback = true
                let mode = config.exportMode
                logger.warning("export_mode \(mode.rawValue) is not possible here; copying instead", metadata: [
                    "file": "\(target.path)", "hint": mode == .hardlink ? "hard links need export_dir on the same filesystem as the library" : "this filesystem cannot clone files",
                ])
            }
            reportPlaced(albumID: target.albumID, path: target.path, isUpdate: target.isUpdate, bytes: placed.bytesWritten)
        case let .success(.staged(copy)):
            staged.add(.init(target: target, copy: copy))
        case let .failure(error):
            markSeen(&manifest, target.albumID, target.assetID, target.name)
            if error.code == ECANCELED { return }
            lanes.fatal = Self.stoppingError(error) ?? lanes.fatal
            reportFailed(albumID: target.albumID, path: target.path, error, logger: logger)
        }
    }
}
