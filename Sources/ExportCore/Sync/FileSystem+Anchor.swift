#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

extension FileSystem {
    /// Stats the library's files through open descriptors of its folders, so the kernel walks
    /// only the last components of each path. A source sits 4–5 levels below `assets_root`
    /// (`upload/<user>/ab/cd/<uuid>.jpg`), and those lookups were the largest part of a re-run's
    /// kernel time: the folder two levels above each file (`upload/<user>/ab`, 256 per user) is
    /// opened once and kept for the run. One anchor serves a whole run, from several threads.
    final class Anchor: Sendable {
        /// The directory with a trailing "/", as `PathMapper` hands it out.
        private let prefix: String
        private let rootFD: Int32
        private let folders: Mutex<FolderDescriptors>
        /// Descriptors kept at most: a fraction of the process's file limit (copies, sockets and
        /// the database need the rest).
        private let capacity: Int

        /// O_PATH: a descriptor to look names up through, without opening the folder for reading
        /// (the Glibc module does not export the constant; its value is the same on every Linux
        /// architecture Swift runs on).
        #if os(Linux)
        private static let searchOnly: Int32 = 0o10000000
        #else
        private static let searchOnly: Int32 = O_RDONLY
        #endif

        /// `keepFolders`: how many folder descriptors to keep (default: by the file limit).
        init?(_ directory: String, keepFolders: Int? = nil) {
            rootFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard rootFD >= 0 else { return nil }
            prefix = directory.hasSuffix("/") ? directory : directory + "/"
            capacity = keepFolders ?? Self.defaultCapacity
            folders = Mutex(FolderDescriptors())
        }

        /// Folder descriptors an anchor keeps by default: a quarter of the file limit, at most 4096.
        static var defaultCapacity: Int { max(0, min(4096, openFileLimit / 4)) }

        /// The process's soft limit on open files.
        static var openFileLimit: Int {
            var limit = rlimit()
            #if os(Linux)
            let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
            #else
            let resource = RLIMIT_NOFILE
            #endif
            return getrlimit(resource, &limit) == 0 ? Int(clamping: limit.rlim_cur) : 1024
        }

        /// Folder descriptors held now.
        var keptFolders: Int { folders.withLock { $0.count } }

        deinit {
            folders.withLock { $0.closeAll() }
            close(rootFD)
        }

        /// Like `statPath` (follows symlinks); paths outside the anchor are looked up whole.
        func stat(_ path: String) throws(SystemError) -> Stat {
            let utf8 = path.utf8
            guard utf8.count > prefix.utf8.count, utf8.starts(with: prefix.utf8) else { return try statPath(path) }
            return try stat(target: "", rest: Substring(utf8.dropFirst(prefix.utf8.count)), path: { path })
        }

        /// Stats `target + rest` (a `PathMapper.resolve` result) without joining the two when
        /// `target` is this anchor's directory; `path` names the file in an error.
        func stat(target: String, rest: Substring, path: () -> String) throws(SystemError) -> Stat {
            let below: Substring
            if target.isEmpty || target == prefix {
                below = rest
            } else if target.utf8.count >= prefix.utf8.count, target.utf8.starts(with: prefix.utf8) {
                below = Substring(String(decoding: target.utf8.dropFirst(prefix.utf8.count), as: UTF8.self) + rest)
            } else {
                return try statPath(target + rest)
            }
            var st = Glibc.stat()
            // A NUL-terminated copy on the stack (the rest of a stored path is not terminated).
            func statBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
                withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { cPath in
                    bytes.withMemoryRebound(to: CChar.self) { _ = cPath.initialize(fromContentsOf: $0) }
                    cPath[bytes.count] = 0
                    return statBelow(cPath.baseAddress!, length: bytes.count, into: &st)
                }
            }
            let ok = below.utf8.withContiguousStorageIfAvailable(statBytes) ?? Array(below.utf8).withUnsafeBufferPointer(statBytes)
            guard ok else { throw SystemError("stat", path()) }
            return makeStat(st)
        }

        /// `relative` (NUL-terminated, no leading "/"): through the descriptor of the folder two
        /// levels up when it has one (or can open it), else relative to the root.
        private func statBelow(_ relative: UnsafeMutablePointer<CChar>, length: Int, into st: inout Glibc.stat) -> Bool {
            var slashes = 0
            var split = -1
            var i = length - 1
            while i > 0 {
                if relative[i] == 0x2F { slashes += 1; if slashes == 2 { split = i; break } }
                i -= 1
            }
            if split > 0, capacity > 0, let fd = folder(relative, length: split) {
                return fstatat(fd, relative + split + 1, &st, 0) == 0
            }
            return fstatat(rootFD, relative, &st, 0) == 0
        }

        private func folder(_ relative: UnsafeMutablePointer<CChar>, length: Int) -> Int32? {
            let key = UnsafeRawBufferPointer(start: relative, count: length)
            var hasher = Hasher()
            hasher.combine(bytes: key)
            let hash = hasher.finalize()
            if let fd = folders.withLock({ $0.find(hash, key) }) { return fd }
            let saved = relative[length]
            relative[length] = 0
            let fd = openat(rootFD, relative, Self.searchOnly | O_DIRECTORY | O_CLOEXEC)
            relative[length] = saved
            guard fd >= 0 else { return nil }   // the full lookup reports the failure
            let kept = folders.withLock { table -> Int32? in
                if let existing = table.find(hash, key) { return existing }   // another thread was first
                guard table.count < capacity else { return nil }
                table.insert(hash, Array(key), fd)
                return fd
            }
            if kept != fd { close(fd) }
            return kept
        }
    }

    /// Grows the process's descriptor table, once, to hold an anchor's folders and the run's other
    /// files. Call it at start-up, while the process has one thread.
    ///
    /// Linux grows the table in powers of two as descriptors are opened (64, 128, 256, …), and in
    /// a process with threads each growth waits for an RCU grace period, with the thread opening
    /// the file (and any other opening one) blocked meanwhile. An anchor opening its first few
    /// hundred folders stalled the run, with both CPUs idle (docs/benchmarks.md, "Scanning").
    /// With one thread the kernel grows the table without
    /// waiting. Nothing is left open and no open descriptor is touched: a standard descriptor is
    /// duplicated to the first free number at or above the top of the range and closed again.
    public static func reserveDescriptorTable() {
        let top = min(Anchor.openFileLimit - 1, Anchor.defaultCapacity + 512)
        guard top > 64 else { return }
        for existing: Int32 in [2, 1, 0] {
            let probe = fcntl(existing, F_DUPFD_CLOEXEC, Int32(top))
            if probe >= 0 { close(probe); return }
        }
    }

    /// Open folder descriptors by the folder's path bytes (found by hash, confirmed by bytes).
    struct FolderDescriptors: ~Copyable {
        private var byHash: [Int: [(path: [UInt8], fd: Int32)]] = [:]
        private(set) var count = 0

        func find(_ hash: Int, _ path: UnsafeRawBufferPointer) -> Int32? {
            byHash[hash]?.first(where: { Bytes.equal($0.path, path) })?.fd
        }

        mutating func insert(_ hash: Int, _ path: [UInt8], _ fd: Int32) {
            byHash[hash, default: []].append((path, fd))
            count += 1
        }

        mutating func closeAll() {
            for entries in byHash.values { for entry in entries { close(entry.fd) } }
            byHash = [:]
            count = 0
        }
    }
}
