import ExportCore
import Foundation

/// The last runs' summaries, kept across restarts in `export_dir/.immich-export/runs.json`.
public actor RunHistory {
    public struct Entry: Codable, Sendable, Equatable {
        public var runID: String?
        public var trigger: String
        public var dryRun: Bool
        public var status: String
        public var startedAt: String?
        public var finishedAt: String?
        public var durationSeconds: Double?
        public var copied, updated, skipped, failed, deleted, total: Int
        public var bytesCopied: Int64
        public var guardReason: String?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case runID = "run_id", trigger, dryRun = "dry_run", status, startedAt = "started_at", finishedAt = "finished_at"
            case durationSeconds = "duration_seconds", copied, updated, skipped, failed, deleted, total
            case bytesCopied = "bytes_copied", guardReason = "guard", error
        }

        public init(trigger: String, snapshot s: ProgressSnapshot) {
            runID = s.runID
            self.trigger = trigger
            dryRun = s.dryRun
            status = s.status.rawValue
            startedAt = s.startedAt
            finishedAt = s.finishedAt
            durationSeconds = s.durationSeconds.map { ($0 * 10).rounded() / 10 }
            copied = s.copied; updated = s.updated; skipped = s.skipped; failed = s.failed; deleted = s.deleted; total = s.total
            bytesCopied = s.bytesCopied
            guardReason = s.guardReason
            error = s.error
        }
    }

    public static let limit = 20
    private let path: String?
    private var entries: [Entry]

    /// `path` nil keeps the history in memory only.
    public init(path: String?) {
        self.path = path
        if let path, let data = FileManager.default.contents(atPath: path),
           let saved = try? JSONDecoder().decode([Entry].self, from: data) {
            entries = Array(saved.prefix(Self.limit))
        } else {
            entries = []
        }
    }

    public static func defaultPath(exportDir: String) -> String {
        exportDir + "/" + ManifestStore.folderName + "/runs.json"
    }

    /// Newest first.
    public func list() -> [Entry] { entries }

    public func record(_ entry: Entry) {
        entries.insert(entry, at: 0)
        if entries.count > Self.limit { entries.removeLast(entries.count - Self.limit) }
        guard let path else { return }
        let directory = (path as NSString).deletingLastPathComponent
        guard FileSystem.exists(directory) || (try? FileSystem.makeDirectory(directory)) != nil else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(entries) { try? FileSystem.writeAtomically(data, to: path) }
    }
}
