import Foundation
import Logging
import Synchronization

/// Copies written under their temp names whose data is not flushed yet. They get their final
/// names in batches, after one filesystem sync for the whole batch: one sync per 64 files, 256 MB
/// or second (or 25 ms while no batch is being synced) instead of one per file (most of a
/// small-file export's time), and across albums, so a run that changes a few files in many albums
/// does not pay a sync per album. A batch is synced and renamed in the background while the next
/// one is written, so the disk and the copying work side by side. Progress counts a file once it
/// has its final name. Owned by the run's `ExportSession`, used from its task.
final class StagedCopies {
    struct Entry: Sendable {
        var target: CopyTarget
        var copy: FileCopier.Staged
    }

    private(set) var entries: [Entry] = []
    /// The batch being synced and renamed, with each file's result.
    fileprivate var inFlight: Task<[(Entry, Result<Void, SystemError>)], Error>?
    private var bytes: Int64 = 0
    private var oldest = ContinuousClock.now
    /// No batch is being synced and named (set by the background job that does it).
    fileprivate let diskIdle = Flag()

    fileprivate final class Flag: Sendable {
        private let value = Atomic<Bool>(true)
        var isSet: Bool { value.load(ordering: .acquiring) }
        func set(_ on: Bool) { value.store(on, ordering: .releasing) }
    }

    var isEmpty: Bool { entries.isEmpty }

    var isDue: Bool {
        guard let first = entries.first else { return false }
        if let testSize = WriteFaults.batchSize(for: first.copy.finalPath) { return entries.count >= testSize }
        let age = ContinuousClock.now - oldest
        return entries.count >= 64 || bytes >= 256 << 20 || age >= .seconds(1)
            // Nothing is being synced: a few copies need not wait for 64 more. A re-run that
            // changed a few files across the library otherwise synced and named them all at its
            // end, on the run's critical path.
            || (age >= .milliseconds(25) && diskIdle.isSet)
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

extension ExportSession {
    /// Hands the staged batch to the background (sync, then journal line and rename per file)
    /// after settling the batch before it; with `wait`, also settles this one before returning
    /// (the end of a run, or of an album whose folder time is stamped next). A full disk stops
    /// the run.
    func publishStaged(wait: Bool) async throws {
        try await settleInFlight()
        if !staged.isEmpty {
            let batch = staged.take()
            let diskIdle = staged.diskIdle
            let (run, store, logger) = (self.run, self.store, self.logger)
            diskIdle.set(false)
            staged.inFlight = Task {
                try await BlockingIO.write {
                    defer { diskIdle.set(true) }
                    return StagedCopies.syncAndName(batch, store: store, reporting: run, logger: logger)
                }
            }
        }
        if wait { try await settleInFlight() }
    }

    /// Waits for the batch in the background, then records each of its files in the manifest.
    func settleInFlight() async throws {
        guard let task = staged.inFlight else { return }
        staged.inFlight = nil
        for (entry, result) in try await task.value {
            let target = entry.target
            switch result {
            case .success:
                own(target.albumID, target.assetID, .init(name: target.name, size: entry.copy.size, mtime: entry.copy.mtime))
                changedFolders.insert(target.folder)
            case let .failure(error):
                markSeen(target.albumID, target.assetID, target.name)
                stop(ExportRun.stoppingError(error))
            }
        }
    }
}

extension StagedCopies {
    /// Blocking: one sync per filesystem involved (normally one), then each file's journal line
    /// and rename, in order, reported to the progress as it lands.
    fileprivate static func syncAndName(_ batch: [Entry], store: ManifestStore, reporting run: ExportRun,
                                        logger: Logger) -> [(Entry, Result<Void, SystemError>)] {
        let results = syncAndName(batch, store: store)
        for (entry, result) in results {
            let target = entry.target
            switch result {
            case .success: run.reportPlaced(albumID: target.albumID, path: target.path, isUpdate: target.isUpdate, bytes: entry.copy.size)
            case let .failure(error): run.reportFailed(albumID: target.albumID, path: target.path, error, logger: logger)
            }
        }
        return results
    }

    private static func syncAndName(_ batch: [Entry], store: ManifestStore) -> [(Entry, Result<Void, SystemError>)] {
        do throws(SystemError) {
            try FileCopier.makeDurable(folders: Set(batch.map { ($0.copy.finalPath as NSString).deletingLastPathComponent }))
        } catch {
            batch.forEach { FileCopier.discard($0.copy) }
            return batch.map { ($0, .failure(error)) }
        }
        // The renames are directory updates (an update's frees the old file), spread over lanes.
        return Lanes.map(batch, lanes: Lanes.updateCount(for: batch.count)) { entry in
            (entry, Result { () throws(SystemError) in
                try FileCopier.publish(entry.copy) { size throws(SystemError) in
                    try store.recordFile(albumID: entry.target.albumID, assetID: entry.target.assetID,
                                         .init(name: entry.target.name, size: size, mtime: entry.copy.mtime))
                }
            })
        }
    }
}
