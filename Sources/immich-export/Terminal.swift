#if canImport(Glibc)
import Glibc
#endif
import ExportCore
import Foundation
import Logging
import Synchronization

/// Owns the terminal's last line so log lines and the live progress bar never garble each other.
final class TerminalLine: Sendable {
    static let shared = TerminalLine()
    let isInteractive = isatty(STDERR_FILENO) == 1
    /// Whether the bar is on screen; held while writing, so lines never interleave.
    private let barVisible = Mutex(false)

    func print(_ line: String, toError: Bool) {
        barVisible.withLock { visible in
            if visible { put("\r\u{1B}[2K", STDERR_FILENO); visible = false }
            put(line + "\n", toError ? STDERR_FILENO : STDOUT_FILENO)
        }
    }

    func showBar(_ text: String) {
        barVisible.withLock { visible in
            put("\r\u{1B}[2K" + text, STDERR_FILENO)
            visible = true
        }
    }

    func clearBar() {
        barVisible.withLock { visible in
            if visible { put("\r\u{1B}[2K", STDERR_FILENO); visible = false }
        }
    }

    /// Unbuffered write of the whole string (no stdio buffers shared between threads).
    private func put(_ text: String, _ fd: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}

/// swift-log handler writing through `TerminalLine` ("2026-01-02T03:04:05+01:00 info: message key=value").
struct TerminalLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = "\(Timestamp.iso8601(Date())) \(event.level): \(event.message)" + (fields.isEmpty ? "" : " " + fields)
        TerminalLine.shared.print(text, toError: true)
    }
}

enum LogSetup {
    private static let done = Atomic(false)

    static func bootstrap(level: Logger.Level) {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        LoggingSystem.bootstrap { label in TerminalLogHandler(logLevel: level, label: label) }
    }
}

/// The live progress bar shown by `run` on a terminal.
struct TerminalProgressBar: Sendable {
    func run(_ tracker: ProgressTracker) async {
        guard TerminalLine.shared.isInteractive else { return }
        while !Task.isCancelled {
            let s = tracker.snapshot()
            if s.running { TerminalLine.shared.showBar(Self.render(s)) }
            try? await Task.sleep(for: .milliseconds(200))
        }
        TerminalLine.shared.clearBar()
    }

    static func render(_ s: ProgressSnapshot) -> String {
        let width = 24
        let filled = Int((s.percentCopied / 100 * Double(width)).rounded())
        let bar = String(repeating: "█", count: min(filled, width)) + String(repeating: "░", count: max(0, width - filled))
        let done = s.copied + s.skipped + s.failed
        var parts = ["\(bar) \(String(format: "%5.1f", s.percentCopied))%", "\(done)/\(s.total) files",
                     ByteFormat.string(s.bytesCopied), String(format: "%.1f files/s", s.filesPerSecond)]
        if let eta = s.estimatedRemaining { parts.append("ETA \(DurationFormat.string(eta))") }
        if let album = s.currentAlbum { parts.append(String(album.prefix(30))) }
        return parts.joined(separator: " · ")
    }
}

enum ByteFormat {
    static func string(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}

enum DurationFormat {
    static func string(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s" }
        return "\(seconds / 3600)h\(String(format: "%02d", seconds % 3600 / 60))m"
    }
}
