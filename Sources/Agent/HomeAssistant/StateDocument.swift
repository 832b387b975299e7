import ExportCore
import Foundation

/// The JSON on `<topic_prefix>/state` that every sensor reads with its value_template.
/// Built from the progress snapshot; pure. Keys missing from the snapshot are sent as null
/// so templates never hit an undefined key.
public struct HAStateDocument: Encodable, Equatable, Sendable {
    /// Home Assistant rejects states longer than 255 characters.
    public static let stateLimit = 255

    public var status: String
    public var running: Bool
    public var dryRun: Bool
    public var phase: String
    public var copied: Int
    public var skipped: Int
    public var failed: Int
    public var deleted: Int
    public var total: Int
    public var percentCopied: Double
    public var filesPerSecond: Double
    public var bytesCopied: Int64
    public var albumsTotal: Int
    public var durationSeconds: Double?
    public var lastRun: String?
    public var nextRun: String?
    public var guardReason: String?
    public var error: String?
    public var schema: String?
    public var immichVersion: String?

    public init(snapshot s: ProgressSnapshot, nextRun: Date?, timeZone: TimeZone = .current) {
        status = s.status.rawValue
        running = s.running
        dryRun = s.dryRun
        phase = s.phase.rawValue
        copied = s.copied
        skipped = s.skipped
        failed = s.failed
        deleted = s.deleted
        total = s.total
        percentCopied = Self.round(s.percentCopied)
        filesPerSecond = Self.round(s.filesPerSecond)
        bytesCopied = s.bytesCopied
        albumsTotal = s.albumsTotal
        durationSeconds = s.durationSeconds.map(Self.round)
        lastRun = s.lastRun
        self.nextRun = nextRun.map { Timestamp.iso8601($0, timeZone: timeZone) }
        guardReason = s.guardReason.map(Self.stateText)
        error = s.error.map(Self.stateText)
        schema = s.schema
        immichVersion = s.immichVersion
    }

    /// Shortens text to fit a state; the full text is in the attributes document.
    public static func stateText(_ text: String) -> String {
        let oneLine = text.replacingOccurrences(of: "\n", with: " ")
        guard oneLine.count > stateLimit else { return oneLine }
        return String(oneLine.prefix(stateLimit - 1)) + "…"
    }

    private static func round(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    enum CodingKeys: String, CodingKey {
        case status, running, phase, copied, skipped, failed, deleted, total, error, schema
        case dryRun = "dry_run"
        case percentCopied = "percent_copied"
        case filesPerSecond = "files_per_second"
        case bytesCopied = "bytes_copied"
        case albumsTotal = "albums_total"
        case durationSeconds = "duration_seconds"
        case lastRun = "last_run"
        case nextRun = "next_run"
        case guardReason = "guard"
        case immichVersion = "immich_version"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
        try c.encode(running, forKey: .running)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(phase, forKey: .phase)
        try c.encode(copied, forKey: .copied)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(failed, forKey: .failed)
        try c.encode(deleted, forKey: .deleted)
        try c.encode(total, forKey: .total)
        try c.encode(percentCopied, forKey: .percentCopied)
        try c.encode(filesPerSecond, forKey: .filesPerSecond)
        try c.encode(bytesCopied, forKey: .bytesCopied)
        try c.encode(albumsTotal, forKey: .albumsTotal)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(lastRun, forKey: .lastRun)
        try c.encode(nextRun, forKey: .nextRun)
        try c.encode(guardReason, forKey: .guardReason)
        try c.encode(error, forKey: .error)
        try c.encode(schema, forKey: .schema)
        try c.encode(immichVersion, forKey: .immichVersion)
    }
}

/// The JSON on `<topic_prefix>/attributes`: one object per entity that has details, read by
/// that entity's json_attributes_template. Holds the full texts the states had to shorten.
public struct HAAttributesDocument: Encodable, Equatable, Sendable {
    public struct ErrorDetails: Encodable, Equatable, Sendable {
        public var message: String?
        public var failedFiles: Int
        public var failures: [ProgressSnapshot.Failure]
        public var runID: String?
        enum CodingKeys: String, CodingKey {
            case message, failures
            case failedFiles = "failed_files"
            case runID = "run_id"
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message, forKey: .message)
            try c.encode(failedFiles, forKey: .failedFiles)
            try c.encode(failures, forKey: .failures)
            try c.encode(runID, forKey: .runID)
        }
    }

    public struct GuardDetails: Encodable, Equatable, Sendable {
        public var reason: String?
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(reason, forKey: .reason)
        }
        enum CodingKeys: String, CodingKey { case reason }
    }

    /// Failures listed in the attributes (the rest are in progress.json).
    static let failureLimit = 10

    public var error: ErrorDetails
    public var `guard`: GuardDetails

    public init(snapshot s: ProgressSnapshot) {
        error = ErrorDetails(message: s.error, failedFiles: s.failed, failures: Array(s.failures.prefix(Self.failureLimit)),
                             runID: s.runID)
        self.guard = GuardDetails(reason: s.guardReason)
    }
}

/// Payload of the event entity: `event_type` plus the summary as event attributes.
public struct HAEventPayload: Encodable, Equatable, Sendable {
    public var eventType: String
    public var trigger: String
    public var dryRun: Bool
    public var status: String?
    public var reason: String?
    public var copied: Int?
    public var skipped: Int?
    public var failed: Int?
    public var deleted: Int?
    public var total: Int?
    public var bytesCopied: Int64?
    public var durationSeconds: Double?
    public var error: String?
    public var runID: String?

    enum CodingKeys: String, CodingKey {
        case trigger, status, reason, copied, skipped, failed, deleted, total, error
        case eventType = "event_type"
        case dryRun = "dry_run"
        case bytesCopied = "bytes_copied"
        case durationSeconds = "duration_seconds"
        case runID = "run_id"
    }

    public static func from(_ event: Runner.Event) -> HAEventPayload {
        switch event {
        case let .started(run):
            return HAEventPayload(eventType: HAEventType.runStarted.rawValue, trigger: run.trigger.rawValue, dryRun: run.dryRun)
        case let .refused(trigger, dryRun, reason):
            return HAEventPayload(eventType: HAEventType.runRefused.rawValue, trigger: trigger.rawValue, dryRun: dryRun,
                                  reason: HAStateDocument.stateText(reason))
        case let .finished(completion):
            let s = completion.result.snapshot
            return HAEventPayload(
                eventType: HAEventType.runFinished.rawValue, trigger: completion.trigger.rawValue, dryRun: completion.dryRun,
                status: completion.result.status.rawValue, copied: s.copied, skipped: s.skipped, failed: s.failed,
                deleted: s.deleted, total: s.total, bytesCopied: s.bytesCopied,
                durationSeconds: s.durationSeconds.map { ($0 * 10).rounded() / 10 },
                error: completion.result.error.map(HAStateDocument.stateText), runID: s.runID)
        }
    }
}

enum CompactJSON {
    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }
}
