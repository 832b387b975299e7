import Foundation

/// The progress document: `export_dir/progress.json`, the MQTT state and the page all show this.
/// Keys of the add-on this replaces keep their names and meaning; the rest are additions.
public struct ProgressSnapshot: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case idle, starting, running, complete, failed, cancelled
        /// A finished dry run: nothing was changed.
        case dryRun = "dry_run"
    }

    public enum Phase: String, Codable, Sendable {
        case idle, connecting, scanning, copying, cleanup, finished
    }

    public struct AlbumProgress: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var folder: String
        public var total: Int
        public var copied = 0
        public var skipped = 0
        public var failed = 0
        public var deleted = 0
        /// "pending" | "running" | "done"
        public var state = "pending"

        public init(id: String, name: String, folder: String, total: Int) {
            self.id = id
            self.name = name
            self.folder = folder
            self.total = total
        }

        /// Pure: how each album is named to a person (`current_album`, the page): its name, or,
        /// when another album of the list looks the same by name (two "Holiday" albums get the
        /// folders "Holiday" and "Holiday+1"), the name with its folder: "Holiday (folder Holiday+1)".
        public static func labels(_ albums: [AlbumProgress]) -> [String] {
            let keys = albums.map { NameSanitizer.trimmingBlanks(Substring($0.name)).lowercased() }
            var counts: [String: Int] = [:]
            counts.reserveCapacity(keys.count)
            for key in keys { counts[key, default: 0] += 1 }
            return zip(albums, keys).map { album, key in
                counts[key, default: 0] > 1 && !album.folder.isEmpty ? "\(album.name) (folder \(album.folder))" : album.name
            }
        }
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var path: String
        public var reason: String
    }

    /// Dry-run results (and, after a real run, what was done): counts plus the first paths per kind.
    public struct Preview: Codable, Sendable, Equatable {
        public var copy = PathList()
        public var update = PathList()
        public var delete = PathList()
        /// Album folders renamed with their album ("old → new").
        public var move = PathList()

        public init() {}

        /// Tolerates documents written before a kind existed.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            copy = try c.decodeIfPresent(PathList.self, forKey: .copy) ?? PathList()
            update = try c.decodeIfPresent(PathList.self, forKey: .update) ?? PathList()
            delete = try c.decodeIfPresent(PathList.self, forKey: .delete) ?? PathList()
            move = try c.decodeIfPresent(PathList.self, forKey: .move) ?? PathList()
        }
    }

    public struct PathList: Codable, Sendable, Equatable {
        public static let limit = 50
        public var count = 0
        public var paths: [String] = []
        mutating func add(_ path: String) {
            count += 1
            if paths.count < Self.limit { paths.append(path) }
        }
    }

    // Keys of the add-on this replaces.
    public var status: Status = .idle
    public var copied = 0
    public var skipped = 0
    public var failed = 0
    public var deleted = 0
    public var total = 0
    public var currentAlbum: String?
    public var currentFile: String?
    public var filesPerSecond: Double = 0
    public var estimatedRemaining: Int?
    public var lastRun: String?
    public var guardReason: String?
    public var error: String?

    // Additions.
    public var percentCopied: Double = 0
    public var running = false
    public var runID: String?
    public var dryRun = false
    public var phase: Phase = .idle
    public var startedAt: String?
    public var finishedAt: String?
    public var durationSeconds: Double?
    /// Files copied because their source changed (also counted in `copied`).
    public var updated = 0
    public var bytesCopied: Int64 = 0
    public var bytesTotal: Int64 = 0
    public var albumsTotal = 0
    public var schema: String?
    public var immichVersion: String?
    public var albums: [AlbumProgress] = []
    public var failures: [Failure] = []
    public var preview = Preview()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case status, copied, skipped, failed, deleted, total
        case currentAlbum = "current_album"
        case currentFile = "current_file"
        case filesPerSecond = "files_per_second"
        case estimatedRemaining = "estimated_remaining"
        case lastRun = "last_run"
        case guardReason = "guard"
        case error
        case percentCopied = "percent_copied"
        case running
        case runID = "run_id"
        case dryRun = "dry_run"
        case phase
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case durationSeconds = "duration_seconds"
        case updated
        case bytesCopied = "bytes_copied"
        case bytesTotal = "bytes_total"
        case albumsTotal = "albums_total"
        case schema
        case immichVersion = "immich_version"
        case albums, failures, preview
    }

    /// Explicit nulls: consumers of the old add-on read `guard`/`error` and expect the key.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
        try c.encode(copied, forKey: .copied)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(failed, forKey: .failed)
        try c.encode(deleted, forKey: .deleted)
        try c.encode(total, forKey: .total)
        try c.encode(currentAlbum, forKey: .currentAlbum)
        try c.encode(currentFile, forKey: .currentFile)
        try c.encode(Self.tenths(filesPerSecond), forKey: .filesPerSecond)
        try c.encode(estimatedRemaining, forKey: .estimatedRemaining)
        try c.encode(lastRun, forKey: .lastRun)
        try c.encode(guardReason, forKey: .guardReason)
        try c.encode(error, forKey: .error)
        try c.encode(Self.tenths(percentCopied), forKey: .percentCopied)
        try c.encode(running, forKey: .running)
        try c.encode(runID, forKey: .runID)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(phase, forKey: .phase)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(durationSeconds.map(Self.tenths), forKey: .durationSeconds)
        try c.encode(updated, forKey: .updated)
        try c.encode(bytesCopied, forKey: .bytesCopied)
        try c.encode(bytesTotal, forKey: .bytesTotal)
        try c.encode(albumsTotal, forKey: .albumsTotal)
        try c.encode(schema, forKey: .schema)
        try c.encode(immichVersion, forKey: .immichVersion)
        try c.encode(albums, forKey: .albums)
        try c.encode(failures, forKey: .failures)
        try c.encode(preview, forKey: .preview)
    }

    /// Rates, percentages and durations are shown to a tenth.
    static func tenths(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    /// The document as progress.json (pretty) or for the page and its API (compact).
    public func jsonData(pretty: Bool = true) -> Data {
        Tuning.uses(.progressJSON) ? ProgressJSON.data(self, pretty: pretty) : encodedData(pretty: pretty)
    }

    /// The plain path beside `ProgressJSON`: the same document through `JSONEncoder`.
    func encodedData(pretty: Bool) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}
