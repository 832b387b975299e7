import Foundation

extension ExportSession {
    /// Puts one album's record at its assigned folder. A folder that changes owner or name is
    /// moved along when possible; else its old files are parked (the cleanup removes them).
    func settleFolder(of albumID: String, at assignment: FolderPlanner.Assignment) throws {
        guard let previous = manifest.albums[albumID] else {
            return try record(albumID, at: assignment)
        }
        if previous.folder == assignment.folder {
            if previous.base != assignment.base {
                manifest.albums[albumID]!.base = assignment.base
                if !dryRun { try store.recordAlbum(albumID, folder: assignment.folder, base: assignment.base) }
            }
            return
        }
        // Renamed in Immich: move our folder instead of copying everything again.
        if canMove(previous.folder, to: assignment.folder) {
            if dryRun {
                dryRunListing[assignment.folder] = previous.folder   // still at the old place
            } else {
                try moveFolder(previous.folder, to: assignment.folder)
                try store.recordAlbumMoved(albumID, folder: assignment.folder, base: assignment.base)
            }
            manifest.albums[albumID]!.folder = assignment.folder
            manifest.albums[albumID]!.base = assignment.base
            tracker.emit(.folderMoved(from: previous.folder, to: assignment.folder))
            logger.info("album renamed: folder moved", metadata: ["from": "\(previous.folder)", "to": "\(assignment.folder)"])
            return
        }
        // The old folder's files stay on record under a parked key: the cleanup removes them,
        // or a later run does if the guard holds now.
        let parked = "parked:" + albumID + ":" + previous.folder
        manifest.albums[parked] = previous
        if !dryRun {
            try store.recordAlbum(parked, folder: previous.folder, base: previous.base)
            for (assetID, file) in previous.files { try store.recordFile(albumID: parked, assetID: assetID, file) }
        }
        try record(albumID, at: assignment)
    }

    /// A new record for the album at its folder (no files yet).
    private func record(_ albumID: String, at assignment: FolderPlanner.Assignment) throws {
        manifest.albums[albumID] = .init(folder: assignment.folder, base: assignment.base)
        if !dryRun { try store.recordAlbum(albumID, folder: assignment.folder, base: assignment.base) }
    }

    /// A folder may move with its album when we created it, nobody else is assigned to it, and the
    /// new name is free on disk.
    private func canMove(_ old: String, to new: String) -> Bool {
        guard manifest.createdFolders.contains(old), old != new,
              !assignedFolders.contains(old),
              !new.hasPrefix(old + "/"), !old.hasPrefix(new + "/") else { return false }
        guard let st = try? FileSystem.lstatPath(exportDir + "/" + old), st.isDirectory else { return false }
        return !FileSystem.exists(exportDir + "/" + new)
    }

    private func moveFolder(_ old: String, to new: String) throws {
        // Parents of a nested target ("{owner}/{album}") first.
        let parent = new.split(separator: "/").dropLast().joined(separator: "/")
        for created in try FileSystem.makeDirectories(parent, under: exportDir) {
            manifest.createdFolders.insert(created)
            try store.recordFolderCreated(created)
        }
        try FileSystem.rename(exportDir + "/" + old, exportDir + "/" + new)
        manifest.createdFolders.remove(old)
        manifest.createdFolders.insert(new)
        try store.recordFolderCreated(new)
        try store.recordFolderRemoved(old)
    }
}
