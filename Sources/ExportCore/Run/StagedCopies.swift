import Foundation
import Logging

/// Copies written under their temp names whose data is not flushed yet. They get their final
/// names in batches, after one filesystem sync for the whole batch: one sync per 64 files, 256 MB
/// or second instead of one per file (most of a small-file export's time), and across albums, so
/// a run that changes a few files in many albums does not pay a sync per album. Progress counts a
/// file once it has its final name. Used from the run's own task only.
final class StagedCopies {
    struct Entry {
        var albumID: String
        var assetID: String
        var name: String
        /// The album folder, relative to export_dir.
        var folder: String
        var isUpdate: Bool
        var copy: FileCopier.Staged
    }

    private(set) var entries: [Entry] = []
    private var bytes: Int64 = 0
    private var oldest = ContinuousClock.now

    var isEmpty: Bool { entries.isEmpty }

    var isDue: Bool {
        !entries.isEmpty && (entries.count >= 64 || bytes >= 256 << 20 || ContinuousClock.now - oldest >= .seconds(1))
    }

    func add(_ entry: Entry) {
        if entries.isEmpty { oldest = .now }
        entries.append(entry)
        bytes += entry.copy.size
    }

    func take() -> [Entry] {
        defer {
            entries = []
            bytes = 0
        }
        return entries
    }
}

extension ExportRun {
    /// Makes every staged copy durable (one sync per filesystem involved, normally one), then
    /// gives each its final name: journal line first, then the rename. Settles each file in the
    /// manifest and the progress. Returns the run-stopping error (disk full), if any.
    func publish(_ staged: StagedCopies, manifest: inout Manifest, store: ManifestStore,
                 changedFolders: inout Set<String>, logger: Logger) async throws -> String? {
        guard !staged.isEmpty else { return nil }
        let batch = staged.take()
        let results = try await BlockingIO.run { () -> [Result<Void, SystemError>] in
            var synced: Set<UInt64> = []
            for folder in Set(batch.map { ($0.copy.finalPath as NSString).deletingLastPathComponent }) {
                var st = stat()
                guard stat(folder, &st) != 0 || synced.insert(UInt64(st.st_dev)).inserted else { continue }
                do throws(SystemError) {
                    try FileCopier.makeDurable(folder: folder)
                } catch {
                    batch.forEach { FileCopier.discard($0.copy) }
                    return batch.map { _ in .failure(error) }
                }
            }
            return batch.map { entry in
                Result { () throws(SystemError) in
                    try FileCopier.publish(entry.copy) { size throws(SystemError) in
                        try store.recordFile(albumID: entry.albumID, assetID: entry.assetID,
                                             .init(name: entry.name, size: size, mtime: entry.copy.mtime))
                    }
                }
            }
        }
        var fatal: String?
        for (entry, result) in zip(batch, results) {
            let path = entry.folder + "/" + entry.name
            switch result {
            case .success:
                var file = Manifest.OwnedFile(name: entry.name, size: entry.copy.size, mtime: entry.copy.mtime)
                file.seen = true
                manifest.albums[entry.albumID]?.files[entry.assetID] = file
                changedFolders.insert(entry.folder)
                let bytes = entry.copy.size
                tracker.emit(.fileFinished(albumID: entry.albumID, path: path,
                                           outcome: entry.isUpdate ? .updated(bytes: bytes) : .copied(bytes: bytes)))
            case let .failure(error):
                manifest.albums[entry.albumID]?.files.markSeen(entry.assetID, ifNamed: entry.name)
                if error.isDiskFull { fatal = RunError.diskFull(error.description).description }
                logger.warning("copy failed", metadata: ["file": "\(path)", "error": "\(error.reason)"])
                tracker.emit(.fileFinished(albumID: entry.albumID, path: path, outcome: .failed(reason: error.description)))
            }
        }
        return fatal
    }
}
