import Foundation
import TestSupport

/// One timed child process: wall time, the child's peak RSS and its peak anonymous memory (both
/// sampled from /proc): RSS also counts the program's own mapped code and libraries (shared,
/// clean, dropped first under memory pressure), which do not grow with the library; the
/// anonymous part is what the export allocates.
///
/// Peak RSS is the child's own high-water mark (`VmHWM`), not wait4's `ru_maxrss`: Linux folds
/// the spawning process's peak into the child's at exec, so `ru_maxrss` of a child of this
/// harness was never below the harness's own peak (45 MiB and more with a 100k library).
struct Sample {
    var seconds: Double
    var maxRSSKiB: Int
    var peakAnonKiB: Int = 0
    /// User + system CPU time of the child (wait4's rusage).
    var cpuSeconds: Double = 0
}

enum Measure {
    /// Runs a program to completion, timing it; output goes to `log` (appended). Throws on failure.
    static func run(_ executable: String, _ arguments: [String], log: String) throws -> Sample {
        let start = DispatchTime.now().uptimeNanoseconds
        let pid = try Shell.spawn(executable, arguments, outputPath: log)
        let sampler = MemorySampler(pid: pid)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let (peakAnon, peakRSS) = sampler.stop()
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard code == 0 else {
            let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").suffix(2000)
            throw BenchError("`\(([executable] + arguments).joined(separator: " "))` exited \(code):\n\(tail)")
        }
        // A child too short-lived to be sampled falls back to ru_maxrss (an upper bound).
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return Sample(seconds: seconds, maxRSSKiB: peakRSS > 0 ? peakRSS : Int(usage.ru_maxrss), peakAnonKiB: peakAnon, cpuSeconds: cpu)
    }

    /// Times an in-process block.
    static func time<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try await body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Flushes dirty pages so one repetition's writeback does not land in the next one's time.
    static func settle() { sync() }

    /// `rm -rf` (much faster than Foundation's removeItem on big trees).
    static func removeTree(_ path: String) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        _ = try? Shell.run("/bin/rm", ["-rf", path])
    }
}

/// Reads a child's `RssAnon` and `VmHWM` from /proc every 2 ms until stopped. `VmHWM` is the
/// kernel's own high-water mark of the child's resident memory since its exec, so only growth in
/// the child's last 2 ms can be missed; the `RssAnon` peak is a lower bound (a spike shorter than
/// the interval can be missed).
///
/// Each sample is one `pread` of the status file, kept open, searched by hand: it runs beside
/// every timed program, and read through Foundation (a String per read, split into lines) it took
/// 5 % of a CPU (2 % now), which on two CPUs was taken from whichever side of a comparison used
/// both.
final class MemorySampler: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var peakAnon = 0
    private var peakRSS = 0
    private let done = DispatchSemaphore(value: 0)

    init(pid: pid_t) {
        let fd = open("/proc/\(pid)/status", O_RDONLY | O_CLOEXEC)
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 8192)
            while lock.withLock({ running }) {
                let (anon, rss) = buffer.withUnsafeMutableBytes { bytes -> (Int?, Int?) in
                    let count = fd < 0 ? -1 : pread(fd, bytes.baseAddress, bytes.count, 0)
                    guard count > 0 else { return (nil, nil) }
                    let text = UnsafeRawBufferPointer(rebasing: bytes[..<count])
                    return (Self.kib(text, Self.anonKey), Self.kib(text, Self.peakKey))
                }
                lock.withLock {
                    peakAnon = max(peakAnon, anon ?? 0)
                    peakRSS = max(peakRSS, rss ?? 0)
                }
                usleep(2000)
            }
            if fd >= 0 { close(fd) }
            done.signal()
        }
    }

    private static let anonKey = Array("\nRssAnon:".utf8)
    private static let peakKey = Array("\nVmHWM:".utf8)

    /// The number after `key` (a line start, with its newline) in a status text, in KiB. Searched
    /// by hand over the raw bytes: a generic `firstRange(of:)` (Foundation's, for byte
    /// collections) allocated per step and cost as much as the String it replaced.
    static func kib(_ status: UnsafeRawBufferPointer, _ key: [UInt8]) -> Int? {
        guard let first = key.first, status.count >= key.count else { return nil }
        var start: Int?
        var i = 0
        while i <= status.count - key.count {
            if status[i] == first && (1..<key.count).allSatisfy({ status[i + $0] == key[$0] }) {
                start = i + key.count
                break
            }
            i += 1
        }
        guard let start else { return nil }
        var value: Int?
        for byte in status[start...] {
            if byte == 0x20 || byte == 0x09 { if value == nil { continue } else { break } }
            guard (0x30...0x39).contains(byte) else { break }
            value = (value ?? 0) * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// Stops sampling; the peaks in KiB.
    func stop() -> (anon: Int, rss: Int) {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { (peakAnon, peakRSS) }
    }
}

/// min / median of repeated measurements.
struct Stats {
    var values: [Double]
    var min: Double { values.min() ?? .nan }
    var median: Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// Facts about the machine for the report.
enum Machine {
    static func describe(workDir: String) -> [(String, String)] {
        var facts: [(String, String)] = []
        facts.append(("date", ISO8601DateFormatter().string(from: Date())))
        facts.append(("cpus (nproc)", "\(ProcessInfo.processInfo.activeProcessorCount)"))
        if let cpu = firstLine(of: "/proc/cpuinfo", prefix: "model name") {
            facts.append(("cpu", cpu.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? cpu))
        }
        facts.append(("memory", String(format: "%.1f GiB", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824)))
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: u.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        facts.append(("kernel", "Linux \(release)"))
        if let df = try? Shell.run("/bin/df", ["-PT", workDir]) {
            let lines = df.split(separator: "\n")
            if lines.count > 1 {
                let f = lines[1].split(separator: " ", omittingEmptySubsequences: true)
                if f.count >= 7 { facts.append(("disk / filesystem", "\(f[1]) (the work dir's filesystem)")) }
            }
        }
        if let cp = try? Shell.run("/usr/bin/cp", ["--version"]) { facts.append(("cp", String(cp.split(separator: "\n").first ?? ""))) }
        if let rsync = try? Shell.run(Shell.which("rsync") ?? "/usr/bin/rsync", ["--version"]) {
            facts.append(("rsync", String(rsync.split(separator: "\n").first ?? "")))
        }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        facts.append(("load average at start", load))
        return facts
    }

    private static func firstLine(of file: String, prefix: String) -> String? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init)
    }
}
