import Foundation
import Logging

extension ExportSession {
    /// Removes files whose asset left its album (or whose album is gone), then album folders this
    /// tool created that are now empty. Only manifest files are candidates, and only while they
    /// still have the size and mtime we gave them: a file someone changed is left alone.
    func cleanup() async throws {
        var candidates: [Cleanup.Candidate] = []
        for (albumID, entry) in manifest.albums {
            for (assetID, file) in entry.files.unseen {
                candidates.append(.init(albumID: albumID, folder: entry.folder, assetID: assetID, file: file))
            }
        }
        let work = Cleanup(exportDir: exportDir, dryRun: dryRun, store: store, tracker: tracker, logger: logger)
        let candidateList = candidates
        // Each removal is a directory update in the kernel: many of them are spread over lanes.
        let removed: [Cleanup.Candidate] = try await BlockingIO.run {
            Lanes.map(candidateList, lanes: work.dryRun ? 1 : Lanes.updateCount(for: candidateList.count), work.remove)
                .compactMap { $0 }
        }
        guard !dryRun else { return }

        for r in removed where manifest.albums[r.albumID]?.folder == r.folder {
            manifest.albums[r.albumID]?.files[r.assetID] = nil
        }
        // Albums no longer exported: forget them once their files are gone.
        for albumID in manifest.albums.keys where folders[albumID] == nil && manifest.albums[albumID]!.files.isEmpty {
            manifest.albums[albumID] = nil
            try store.recordAlbumRemoved(albumID)
        }
        try removeEmptyFolders()
    }

    /// Folders this tool created that no album lives in or below any more, deepest first.
    private func removeEmptyFolders() throws {
        // A folder is in use when an album lives in it or below it (templates nest folders).
        var inUse: Set<String> = []
        for folder in manifest.albums.values.map(\.folder) {
            var path = ""
            for component in folder.split(separator: "/") {
                path += (path.isEmpty ? "" : "/") + component
                inUse.insert(path)
            }
        }
        // Deepest first, so a parent is empty by the time its turn comes.
        let removable = manifest.createdFolders.filter { !inUse.contains($0) }
            .sorted { $0.split(separator: "/").count > $1.split(separator: "/").count }
        for folder in removable {
            if FileSystem.removeEmptyDirectory(exportDir + "/" + folder) || !FileSystem.exists(exportDir + "/" + folder) {
                manifest.createdFolders.remove(folder)
                try store.recordFolderRemoved(folder)
            }
        }
    }
}

/// The cleanup's blocking part: one file at a time, from any lane.
struct Cleanup: Sendable {
    struct Candidate: Sendable {
        var albumID: String
        var folder: String
        var assetID: String
        var file: Manifest.OwnedFile
    }

    var exportDir: String
    var dryRun: Bool
    var store: ManifestStore
    var tracker: ProgressTracker
    var logger: Logger

    /// One candidate: gone already, changed by someone (forgotten, kept), or deleted now. nil when
    /// it could not be deleted (it stays on record).
    func remove(_ c: Candidate) -> Candidate? {
        let relative = c.folder + "/" + c.file.name
        let path = exportDir + "/" + relative
        guard let st = try? FileSystem.lstatPath(path) else {
            if !dryRun { try? store.recordRemoval(albumID: c.albumID, assetID: c.assetID) }
            return c   // already gone: just forget it
        }
        guard st.isRegularFile || st.isSymlink, st.size == c.file.size, st.mtime == c.file.mtime else {
            logger.notice("leaving a file that was changed since we wrote it", metadata: ["file": "\(relative)"])
            if !dryRun { try? store.recordRemoval(albumID: c.albumID, assetID: c.assetID) }
            return c
        }
        if !dryRun {
            do {
                try FileSystem.removeFile(path)
                try store.recordRemoval(albumID: c.albumID, assetID: c.assetID)
            } catch {
                logger.warning("could not delete", metadata: ["file": "\(relative)", "error": "\(error)"])
                return nil
            }
        }
        tracker.emit(.deleted(albumID: c.albumID, path: relative))
        return c
    }
}
