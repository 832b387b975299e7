#if canImport(Glibc)
import Glibc
#endif

/// The process's mapped program code, as resident memory.
///
/// Resident memory counts every page of code the process has ever run, and start-up runs a lot
/// that a run never needs again: argument parsing, YAML, the TLS and password-exchange code of
/// the database library. Once a run has its catalog and manifest, those pages are handed back
/// (`MADV_DONTNEED` on the executable mappings of files): they stay in the page cache, and
/// the code the run still uses comes back on first touch (docs/benchmarks.md, "Memory, start
/// and end").
enum CodePages {
    /// Drops this process's resident pages of file-backed executable mappings (the program and
    /// its libraries). Only code that was never written to qualifies: read-only executable
    /// mappings of files, so every page reads back identical. Data and relocated pages (writable
    /// or read-only-after-relocation, never executable) are not touched. No-op off Linux.
    static func releaseResident() {
        #if os(Linux)
        forEachExecutableFileMapping { start, length in
            _ = madvise(start, length, MADV_DONTNEED)
        }
        #endif
    }

    /// Resident KiB of file-backed executable mappings (from /proc/self/smaps), for tests.
    static func residentKiB() -> Int? {
        #if os(Linux)
        var total = 0
        var inExecutableFile = false
        let read = FileSystem.forEachLine("/proc/self/smaps") { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            if let mapping = Mapping(line: text) {
                inExecutableFile = mapping.isExecutableFile
            } else if inExecutableFile, text.hasPrefix("Rss:") {
                total += Int(text.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
            }
        }
        return read ? total : nil
        #else
        return nil
        #endif
    }

    #if os(Linux)
    /// A /proc/self/maps line: "start-end perms offset dev inode [path]".
    private struct Mapping {
        var start: UInt
        var end: UInt
        var isExecutableFile: Bool

        init?(line: String) {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5, let dash = fields[0].firstIndex(of: "-"),
                  let start = UInt(fields[0][..<dash], radix: 16),
                  let end = UInt(fields[0][fields[0].index(after: dash)...], radix: 16) else { return nil }
            self.start = start
            self.end = end
            let path = fields.count == 6 ? fields[5].drop(while: { $0 == " " }) : ""
            // "r-xp": readable, executable, never writable, private. A path: a file, not the vdso
            // or an anonymous (generated) code mapping.
            isExecutableFile = fields[1] == "r-xp" && path.hasPrefix("/")
        }
    }

    private static func forEachExecutableFileMapping(_ body: (UnsafeMutableRawPointer, Int) -> Void) {
        _ = FileSystem.forEachLine("/proc/self/maps") { bytes in
            guard let mapping = Mapping(line: String(decoding: bytes, as: UTF8.self)), mapping.isExecutableFile, mapping.end > mapping.start,
                  let start = UnsafeMutableRawPointer(bitPattern: mapping.start) else { return }
            body(start, Int(mapping.end - mapping.start))
        }
    }
    #endif
}
