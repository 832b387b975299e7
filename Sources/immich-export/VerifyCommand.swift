import ArgumentParser
import ExportCore
import Foundation
import Logging

/// Re-hashes the whole export and compares every file with Immich's SHA-1. Changes nothing.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-check every exported file against Immich's SHA-1 checksum; change nothing.",
        discussion: "Exit codes: 0 every checked file matches, 1 mismatched or missing files (or the check failed), 2 bad configuration.")

    @OptionGroup var options: ConfigOption

    @Option(help: "How many mismatched or missing files to list.")
    var list = 50

    func run() async throws {
        let config = try loadConfigOrExit(options.config)
        let logger = Logger(label: "immich-export")
        let control = RunControl()
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM]) { _ in control.cancel() }
        defer { signals.stop() }

        let started = Date()
        let report: VerifyReport
        do {
            report = try await ExportVerifier(config: config, logger: logger, maxListed: max(0, list),
                                              shouldStop: { control.isCancelled }).verify()
        } catch {
            Console.error("verify failed: \(error)")
            throw Exit.failed
        }
        VerifySummary.print(report, exportDir: config.exportDir, seconds: Date().timeIntervalSince(started))
        if !report.isClean { throw Exit.failed }
        if report.ownedFiles == 0 && report.notExported > 0 {
            Console.error("no exported files are recorded in \(config.exportDir): run `immich-export run` first")
            throw Exit.failed
        }
    }
}

enum VerifySummary {
    static func print(_ r: VerifyReport, exportDir: String, seconds: Double) {
        let verdict = r.cancelled ? "cancelled" : r.isClean ? "ok" : "FAILED"
        Console.out("verify \(verdict): checked \(r.checked) (\(ByteFormat.string(r.bytesHashed))), matched \(r.matched), mismatched \(r.mismatched), missing \(r.missing), skipped (no sha1 checksum) \(r.skippedNoChecksum), not exported \(r.notExported)"
                    + String(format: " in %.1fs", seconds))
        for p in r.mismatches {
            Console.out("  mismatch: \(exportDir)/\(p.path): expected \(p.expected), got \(p.actual ?? "?")")
        }
        if r.mismatched > r.mismatches.count { Console.out("  … and \(r.mismatched - r.mismatches.count) more mismatches") }
        for p in r.missingFiles {
            Console.out("  missing: \(exportDir)/\(p.path): \(p.reason ?? "unreadable")")
        }
        if r.missing > r.missingFiles.count { Console.out("  … and \(r.missing - r.missingFiles.count) more missing") }
    }
}
