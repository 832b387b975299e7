import Foundation
import Logging

extension ExportSession {
    /// Carries out one prepared album in its folder: claims its unchanged files and starts its
    /// copies in the run's lanes, recording the manifest as files land.
    func apply(_ job: AlbumJob, _ prepared: PreparedAlbum) async throws {
        let albumID = job.albumID
        tracker.emit(.albumStarted(albumID: albumID))
        defer { tracker.emit(.albumFinished(albumID: albumID)) }
        if prepared.sourceBytes != job.recordedBytes {
            tracker.emit(.albumSized(recordedBytes: job.recordedBytes, actualBytes: prepared.sourceBytes))
        }
        try keepFolders(of: prepared)
        if prepared.companionCount > 0 { tracker.emit(.extraFiles(albumID: albumID, count: prepared.companionCount)) }
        if let folderError = prepared.folderError {
            return failAll(job, prepared.plan, folderError)
        }

        // Unchanged files are claimed in one pass over the album's records, and counted, not
        // reported one by one: on a re-run they are nearly all of them.
        let plan = prepared.plan
        manifest.albums[albumID]?.files.markSeen(plan.indices.lazy.compactMap { i in
            guard case .skip = plan[i].action else { return nil }
            return (plan[i].candidate.asset.ownedKey, plan[i].name!)
        })
        var skipped = 0
        defer { if skipped > 0 { tracker.emit(.filesSkipped(albumID: albumID, count: skipped)) } }
        for index in prepared.plan.indices {
            if isStopping { break }
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
            if try await applyAction(prepared.plan[index], in: job) { skipped += 1 }
        }
        // Copies of this album that landed wait no longer than the next album's first copy.
        if staged.isDue { try await publishStaged(wait: false) }
        if config.layout.folderMtime { try await stampFolderTime(job, prepared.plan) }
    }

    /// One planned file other than an unchanged one; true when it counts as skipped (adopted).
    private func applyAction(_ planned: PlannedFile, in job: AlbumJob) async throws -> Bool {
        let albumID = job.albumID
        let asset = planned.candidate.asset
        switch planned.action {
        case .skip:
            return false   // claimed in one pass (`apply`)
        case .adopt:
            if !dryRun, let source = planned.candidate.source {
                let file = Manifest.OwnedFile(name: planned.name!, size: source.size, mtime: planned.candidate.targetMtime ?? source.mtime)
                try store.recordFile(albumID: albumID, assetID: asset.assetID, file)
                own(albumID, asset.assetID, file)
            }
            return true
        case let .missingSource(reason):
            if let name = planned.name { markSeen(albumID, asset.assetID, name) }
            tracker.emit(.fileFinished(albumID: albumID, path: displayPath(planned, in: job), outcome: .failed(reason: reason)))
        case .copy, .update:
            guard dryRun else {
                try await startCopy(planned, in: job)
                return false
            }
            let size = planned.candidate.source?.size ?? 0
            if let name = planned.name { markSeen(albumID, asset.assetID, name) }
            tracker.emit(.fileFinished(albumID: albumID, path: displayPath(planned, in: job),
                                       outcome: planned.action == .update ? .updated(bytes: size) : .copied(bytes: size)))
        }
        return false
    }

    /// A folder that cannot be used: every planned file fails with its reason.
    private func failAll(_ job: AlbumJob, _ plan: [PlannedFile], _ folderError: String) {
        logger.error("cannot use album folder", metadata: ["album": "\(job.albumName)", "error": "\(folderError)"])
        for planned in plan {
            if let name = planned.name { markSeen(job.albumID, planned.candidate.asset.assetID, name) }
            tracker.emit(.fileFinished(albumID: job.albumID, path: job.folder + "/" + (planned.name ?? planned.candidate.asset.originalFileName),
                                       outcome: .failed(reason: folderError)))
        }
    }

    /// Stamping the folder's time must come after its last rename; otherwise the album's last
    /// copies land while the next album is applied.
    private func stampFolderTime(_ job: AlbumJob, _ plan: [PlannedFile]) async throws {
        try await land(leaving: 0)
        try await publishStaged(wait: true)
        guard !dryRun, let newest = plan.compactMap({ $0.name == nil ? nil : $0.candidate.targetMtime }).max() else { return }
        var times = FileSystem.times(newest)
        utimensat(AT_FDCWD, exportDir + "/" + job.folder, &times, 0)
    }

    private func displayPath(_ planned: PlannedFile, in job: AlbumJob) -> String {
        job.folder + "/" + (planned.name ?? NameSanitizer.fileName(planned.candidate.asset.originalFileName))
    }

    func markSeen(_ albumID: String, _ assetID: String, _ name: String) {
        manifest.albums[albumID]?.files.markSeen(assetID, ifNamed: name)
    }

    /// A file now under its final name: the manifest owns it, claimed by this run.
    func own(_ albumID: String, _ assetID: String, _ file: Manifest.OwnedFile) {
        var file = file
        file.seen = true
        manifest.albums[albumID]?.files[assetID] = file
    }
}
