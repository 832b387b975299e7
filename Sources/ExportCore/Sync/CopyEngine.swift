#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// How a copy's bytes get from the source file into its temp file. The export's decisions (what
/// to copy, under which name, when it is durable) do not depend on it.
///
/// - `plain`: read and write through one buffer the size of the file (at most 1 MiB), the way
///   anyone would write it. Always correct; the reference the tuned engine is measured against.
/// - `tuned`: what the benchmark kept (docs/benchmarks.md, "Decisions that still shape the code"):
///   large files on local disks written past the page cache (`writesDirectly`), everything else
///   through copy_file_range (in-kernel; shared blocks or a server-side copy where the filesystem
///   can), and the plain loop for whatever those two cannot do.
///
/// `Tuning` picks one for the process (`IMMICH_EXPORT_PLAIN=copy` selects the plain one).
public enum CopyEngine: Sendable {
    case plain
    case tuned

    public static var selected: CopyEngine { Tuning.uses(.copy) ? .tuned : .plain }

    /// Copies the rest of `input` (`size` bytes expected) to `output`. `shouldStop` is polled
    /// between chunks so a cancel does not wait for a large video.
    func transfer(from input: Int32, to output: Int32, size: Int64, sourceDevice: UInt64, source: String,
                  target: String, shouldStop: () -> Bool) throws(SystemError) {
        switch self {
        case .plain:
            try Self.readAndWrite(from: input, to: output, size: size, source: source, target: target, shouldStop: shouldStop)
        case .tuned:
            try FileCopier.transferTuned(from: input, to: output, size: size, sourceDevice: sourceDevice, source: source,
                                         target: target, shouldStop: shouldStop)
        }
    }

    /// The plain copy: read a buffer, write it all, until the source ends.
    static func readAndWrite(from input: Int32, to output: Int32, size: Int64, source: String, target: String,
                             shouldStop: () -> Bool) throws(SystemError) {
        var buffer = [UInt8](repeating: 0, count: Int(min(max(size, 4096), 1 << 20)))
        while true {
            if shouldStop() { throw SystemError("copy", target, code: ECANCELED) }
            let count = buffer.count
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, count) }
            if n == 0 { return }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", source)
            }
            try FileSystem.writeAll(output, buffer, count: n, path: target)
        }
    }
}

/// The engine's measured tricks, each with a plain path beside it. All are used unless the
/// environment names some in `IMMICH_EXPORT_PLAIN` (comma separated, or `all`): for the
/// benchmark, which measures what each is worth (docs/benchmarks.md), and for ruling a trick out
/// when something goes wrong.
public enum Tuning {
    public enum Trick: String, CaseIterable, Sendable {
        /// `CopyEngine.tuned` instead of `.plain`.
        case copy
        /// The packed manifest record and its byte-level loader (`ManifestStorage.packed`).
        case manifest
        /// Process settings: the allocator's, the descriptor table's, code pages handed back.
        case process
        /// The progress document written directly (`ProgressJSON`) instead of by `JSONEncoder`.
        case progressJSON = "progress"
    }

    public static let plain: Set<Trick> = parse(ProcessInfo.processInfo.environment["IMMICH_EXPORT_PLAIN"])

    public static func uses(_ trick: Trick) -> Bool { !plain.contains(trick) }

    static func parse(_ value: String?) -> Set<Trick> {
        let names = (value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if names.contains("all") { return Set(Trick.allCases) }
        return Set(names.compactMap(Trick.init(rawValue:)))
    }
}
