import ArgumentParser
import ExportCore
import Foundation
import Logging

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one export now and exit (0 done, 1 failed, 2 bad configuration).")

    @OptionGroup var options: ConfigOption

    @Flag(help: "Show what would be copied, updated and deleted; change nothing but progress.json.")
    var dryRun = false

    func run() async throws {
        let config = try loadConfigOrExit(options.config)
        let logger = Logger(label: "immich-export")
        let tracker = ProgressTracker()
        let control = RunControl()
        let sink = ProgressFileSink(exportDir: config.exportDir, logger: logger)

        // SIGINT/SIGTERM cancel at the next file boundary; nothing is deleted.
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM]) { signal in
            logger.notice("signal \(signal) received: cancelling at the next file boundary")
            control.cancel()
        }
        defer { signals.stop() }

        let following = sink.follow(tracker)
        let barTask = Task { await TerminalProgressBar().run(tracker) }
        let result = await ExportRun(config: config, dryRun: dryRun, tracker: tracker, control: control, logger: logger).run()
        barTask.cancel()
        await barTask.value
        await following.finish(with: result.snapshot)

        Summary.print(result.snapshot)
        if result.status == .failed { throw Exit.failed }
    }
}

enum Summary {
    static func print(_ s: ProgressSnapshot) {
        let verb = s.dryRun ? "would copy" : "copied"
        var line = "\(s.status.rawValue): \(verb) \(s.copied) (\(s.updated) updated, \(ByteFormat.string(s.bytesCopied))), skipped \(s.skipped), failed \(s.failed), \(s.dryRun ? "would delete" : "deleted") \(s.deleted), total \(s.total)"
        if let d = s.durationSeconds { line += String(format: " in %.1fs", d) }
        Console.out(line)
        if let g = s.guardReason { Console.out("deletion guard: \(g)") }
        if let e = s.error { Console.out("error: \(e)") }
        for f in s.failures.prefix(10) { Console.out("  failed: \(f.path): \(f.reason)") }
        if s.failed > 10 { Console.out("  … \(s.failed - 10) more failures in progress.json") }
        if s.dryRun {
            for (title, list) in [("copy", s.preview.copy), ("update", s.preview.update), ("delete", s.preview.delete), ("move folder", s.preview.move)] where list.count > 0 {
                Console.out("would \(title) \(list.count):")
                for p in list.paths.prefix(20) { Console.out("  \(p)") }
                if list.count > 20 { Console.out("  … and \(list.count - 20) more") }
            }
        }
    }
}
