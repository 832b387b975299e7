import Foundation

/// Album folders listed ahead, while the database connects and works on its first answer. On a
/// re-run that wait had nothing to do, and listing the folders with each entry's lstat is about
/// half of a re-run's work (docs/benchmarks.md, "Read ahead while the database connects").
///
/// The folders are those the manifest knows, in the order their albums will come (by album id, as
/// the asset stream is sorted), up to `budget` entries by the manifest's count, so memory stays
/// bounded (the first folder whatever its size: its album's preparation holds the same listing
/// moments later). Listings wait packed (`PackedListing`, a quarter of the memory) and are unpacked
/// by the preparation that takes them. An album's preparation takes its folder's listing, waits for
/// it while it is being listed, or, if the prefetch has not got to it, claims it and lists the
/// folder itself.
final class FolderPrefetch: @unchecked Sendable {
    private enum State {
        case waiting
        case listing
        /// nil: the folder could not be listed; the preparation tries again and reports why.
        case listed(PackedListing?)
        case claimed
    }

    private struct Folder {
        var albumID: String
        var path: String
        var state: State
    }

    private let condition = NSCondition()
    private var folders: [Folder]
    private var index: [String: Int]
    private var stopped = false

    /// `budget`: entries listed at most (the manifest's file counts).
    init(manifest: Manifest, exportDir: String, budget: Int) {
        var folders: [Folder] = []
        var entries = 0
        for (albumID, album) in manifest.albums.sorted(by: { $0.key < $1.key }) where !albumID.hasPrefix("parked:") {
            entries += album.files.count
            if entries > budget && !folders.isEmpty { break }
            folders.append(Folder(albumID: albumID, path: exportDir + "/" + album.folder, state: .waiting))
        }
        self.folders = folders
        index = Dictionary(folders.indices.map { (folders[$0].albumID, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Lists the folders in the background, one after another, each over two threads.
    func start() {
        guard !folders.isEmpty else { return }
        Task { try? await BlockingIO.run { self.listAll() } }
    }

    /// No more folders are started (the run is over); one being listed finishes.
    func stop() {
        condition.lock()
        stopped = true
        condition.unlock()
    }

    /// The listing of `albumID`'s folder when it was listed as `folderPath` (the album may have
    /// another folder now), waiting while it is being listed; nil when the caller must list it.
    func take(albumID: String, folderPath: String) -> [String: TargetEntry]? {
        claim(albumID: albumID, folderPath: folderPath)?.unpacked()   // outside the lock
    }

    private func claim(albumID: String, folderPath: String) -> PackedListing? {
        condition.lock()
        defer { condition.unlock() }
        guard let i = index[albumID] else { return nil }
        guard folders[i].path == folderPath else {
            // The album has another folder now: the old listing is of no use to anyone.
            if case .listing = folders[i].state {} else { folders[i].state = .claimed }
            return nil
        }
        while case .listing = folders[i].state { condition.wait() }
        let state = folders[i].state
        folders[i].state = .claimed
        if case let .listed(listing) = state { return listing }
        return nil
    }

    /// The listing job (blocking); internal so a test can run it to the end first.
    func listAll() {
        for i in folders.indices {
            condition.lock()
            guard !stopped, case .waiting = folders[i].state else {
                let stop = stopped
                condition.unlock()
                if stop { return }
                continue
            }
            folders[i].state = .listing
            let path = folders[i].path
            condition.unlock()

            let listing = try? FileSystem.listPacked(path)
            condition.lock()
            folders[i].state = .listed(listing)
            condition.broadcast()
            condition.unlock()
        }
    }
}
