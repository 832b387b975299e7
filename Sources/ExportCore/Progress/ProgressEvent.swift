import Foundation

/// Everything a run reports, in the order it happens. Sinks never see these directly: the
/// tracker folds them into a `ProgressSnapshot`.
public enum ProgressEvent: Sendable {
    public enum Outcome: Sendable, Equatable {
        case copied(bytes: Int64)
        case updated(bytes: Int64)
        case skipped
        case failed(reason: String)
    }

    case started(runID: String, dryRun: Bool, at: Date)
    case phase(ProgressSnapshot.Phase)
    case schema(generation: String, immichVersion: String?)
    case catalog(albums: [ProgressSnapshot.AlbumProgress], bytesTotal: Int64)
    case albumStarted(albumID: String)
    case fileStarted(path: String)
    case fileFinished(albumID: String, path: String, outcome: Outcome)
    /// Files found already up to date (reported per album, not per file).
    case filesSkipped(albumID: String, count: Int)
    case albumFinished(albumID: String)
    /// Live-photo videos and sidecars found for an album: they add to the totals.
    case extraFiles(albumID: String, count: Int)
    /// An album's sources as found (stat), against the bytes Immich recorded for it (in the
    /// `catalog` total): the total follows the files, as recorded sizes can be missing or stale.
    case albumSized(recordedBytes: Int64, actualBytes: Int64)
    /// A file removed (or, in a dry run, that would be).
    case deleted(albumID: String?, path: String)
    /// An album folder renamed with its album (or, in a dry run, that would be).
    case folderMoved(from: String, to: String)
    case guardDecision(String?)
    case finished(status: ProgressSnapshot.Status, error: String?, at: Date)
}
