import Foundation
import Logging
import Synchronization

/// What `ExportVerifier` found. `checked` = files hashed (`matched` + `mismatched`).
public struct VerifyReport: Sendable, Equatable {
    public struct Problem: Sendable, Equatable {
        /// Relative to export_dir.
        public var path: String
        /// Immich's checksum (hex SHA-1).
        public var expected: String
        /// The file's SHA-1, or nil when it could not be read.
        public var actual: String?
        /// Why it could not be read (missing / unreadable), nil for a mismatch.
        public var reason: String?
    }

    public var checked = 0
    public var matched = 0
    public var mismatched = 0
    /// Owned files that are gone or unreadable.
    public var missing = 0
    /// Exported files whose asset has no plain-sha1 checksum in Immich.
    public var skippedNoChecksum = 0
    /// Catalog entries with no exported file recorded (e.g. a copy that failed); informational.
    public var notExported = 0
    /// Files recorded in the manifest (any album), to tell "nothing exported yet" apart.
    public var ownedFiles = 0
    public var bytesHashed: Int64 = 0
    /// The first `maxListed` mismatches and missing files, in catalog order.
    public var mismatches: [Problem] = []
    public var missingFiles: [Problem] = []
    public var cancelled = false

    public var isClean: Bool { mismatched == 0 && missing == 0 && !cancelled }

    public init() {}
}

/// Re-checks an export against Immich: every exported file whose asset has a plain SHA-1 checksum
/// is hashed and compared. Read-only everywhere: the database (like every catalog session), the
/// manifest (loaded, never compacted, no journal opened) and the files.
public struct ExportVerifier: Sendable {
    public let config: ExportConfig
    public let logger: Logger
    /// How many mismatches / missing files are listed in the report.
    public var maxListed: Int
    public var shouldStop: @Sendable () -> Bool

    public init(config: ExportConfig, logger: Logger, maxListed: Int = 50, shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.config = config
        self.logger = logger
        self.maxListed = maxListed
        self.shouldStop = shouldStop
    }

    public func verify() async throws -> VerifyReport {
        let store = ManifestStore(exportDir: config.exportDir)
        let manifest = try await BlockingIO.run { try store.load() }
        var report = VerifyReport()
        report.ownedFiles = manifest.fileCount

        let catalog = try await Catalog.open(
            database: config.database, maxRetries: config.dbMaxRetries, userID: config.immichUserID, logger: logger)
        do {
            for try await batch in catalog.assets() {
                var jobs: [Job] = []
                for asset in batch {
                    guard let entry = manifest.albums[asset.albumID], let file = entry.files[asset.assetID] else {
                        report.notExported += 1
                        continue
                    }
                    guard let expected = asset.checksumHex?.lowercased(), Self.isSHA1Hex(expected) else {
                        report.skippedNoChecksum += 1
                        continue
                    }
                    jobs.append(Job(relativePath: entry.folder + "/" + file.name, expected: expected))
                }
                try await check(jobs, into: &report)
                if shouldStop() { report.cancelled = true; break }
            }
        } catch {
            await catalog.close()
            throw error
        }
        await catalog.close()
        logger.info("verify finished", metadata: [
            "checked": "\(report.checked)", "matched": "\(report.matched)", "mismatched": "\(report.mismatched)",
            "missing": "\(report.missing)", "skipped_no_checksum": "\(report.skippedNoChecksum)",
        ])
        return report
    }

    struct Job: Sendable {
        var relativePath: String
        var expected: String
    }

    enum Outcome: Sendable {
        case hashed(hex: String, bytes: Int64)
        case unreadable(String)
        case cancelled
    }

    /// Hashes `jobs` with `copy_concurrency` workers off the cooperative pool, then tallies in order.
    private func check(_ jobs: [Job], into report: inout VerifyReport) async throws {
        guard !jobs.isEmpty else { return }
        let workers = min(max(1, config.copyConcurrency), jobs.count)
        let next = JobCounter()
        let exportDir = config.exportDir
        let shouldStop = self.shouldStop
        let outcomes = try await withThrowingTaskGroup(of: [(Int, Outcome)].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    try await BlockingIO.run { () -> [(Int, Outcome)] in
                        let hasher = SHA1.FileHasher()
                        var done: [(Int, Outcome)] = []
                        while true {
                            let i = next.value.wrappingAdd(1, ordering: .relaxed).oldValue
                            if i >= jobs.count { break }
                            if shouldStop() { done.append((i, .cancelled)); continue }
                            do throws(SystemError) {
                                let r = try hasher.hash(path: exportDir + "/" + jobs[i].relativePath, shouldStop: shouldStop)
                                done.append((i, .hashed(hex: r.hex, bytes: r.bytes)))
                            } catch {
                                done.append((i, error.code == ECANCELED ? .cancelled : .unreadable(error.reason)))
                            }
                        }
                        return done
                    }
                }
            }
            var all = [Outcome?](repeating: nil, count: jobs.count)
            for try await part in group { for (i, o) in part { all[i] = o } }
            return all
        }
        for (job, outcome) in zip(jobs, outcomes) {
            switch outcome {
            case let .hashed(hex, bytes)?:
                report.checked += 1
                report.bytesHashed += bytes
                if hex == job.expected {
                    report.matched += 1
                } else {
                    report.mismatched += 1
                    if report.mismatches.count < maxListed {
                        report.mismatches.append(.init(path: job.relativePath, expected: job.expected, actual: hex, reason: nil))
                    }
                    logger.warning("checksum mismatch", metadata: ["file": "\(job.relativePath)", "expected": "\(job.expected)", "got": "\(hex)"])
                }
            case let .unreadable(reason)?:
                report.missing += 1
                if report.missingFiles.count < maxListed {
                    report.missingFiles.append(.init(path: job.relativePath, expected: job.expected, actual: nil, reason: reason))
                }
            case .cancelled?, nil:
                report.cancelled = true
            }
        }
    }

    private final class JobCounter: Sendable {
        let value = Atomic<Int>(0)
    }

    static func isSHA1Hex(_ s: String) -> Bool {
        s.utf8.count == 40 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
