/// Lookups across albums, built once per run: asked per album (or per copy) by scanning every
/// album, they made the cost of a run grow with the square of the album count.
extension Manifest {
    /// Which albums keep files in each folder, as `owners(ofFolder:)` answers it. Built once the
    /// run has assigned its folders (they do not change while albums are synced).
    struct FolderOwners: Sendable {
        private var albumIDs: [String: [String]] = [:]

        init(_ manifest: Manifest) {
            for (albumID, entry) in manifest.albums { albumIDs[entry.folder, default: []].append(albumID) }
        }

        func albumIDs(inFolder folder: String) -> [String] { albumIDs[folder] ?? [] }
    }

    /// The albums whose files live in `folder`, found through `index` (cheap: their file tables
    /// are shared, not copied).
    func owners(ofFolder folder: String, index: FolderOwners) -> [(albumID: String, files: OwnedFiles)] {
        index.albumIDs(inFolder: folder).compactMap { albumID in
            guard let entry = albums[albumID], entry.folder == folder else { return nil }
            return (albumID, entry.files)
        }
    }

    /// Files a new copy may be made from instead (`ExportRun.movedFrom`): those no asset claimed
    /// in albums that are settled for this run, by asset. An album joins once it is settled (its
    /// sync is done, or it has no folder this run), with the files it left unclaimed then; whether
    /// a file is still unclaimed is asked of the manifest at the time of the copy.
    struct Donors: Sendable {
        private var albumIDs: [OwnedFiles.PackedID: [String]] = [:]

        init() {}

        mutating func addUnclaimed(of albumID: String, in manifest: Manifest) {
            guard let files = manifest.albums[albumID]?.files else { return }
            for id in files.unseenIDs { albumIDs[id, default: []].append(albumID) }
        }

        func albumIDs(holding asset: OwnedFiles.PackedID) -> [String] { albumIDs[asset] ?? [] }
    }
}
