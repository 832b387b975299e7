#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A failed system call, with errno kept so callers can tell "disk full" from "missing".
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32
    /// Replaces the errno text in `reason` when the failure is not a syscall's (e.g. a checksum mismatch).
    public var detail: String?

    public init(_ operation: String, _ path: String, code: Int32 = errno, detail: String? = nil) {
        self.operation = operation
        self.path = path
        self.code = code
        self.detail = detail
    }

    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }
    public var isMissing: Bool { code == ENOENT || code == ENOTDIR }

    public var reason: String {
        if let detail { return detail }
        switch code {
        case ENOENT: return "not found"
        case EACCES, EPERM: return "permission denied"
        case ENOSPC: return "no space left on device"
        case EDQUOT: return "disk quota exceeded"
        case EROFS: return "read-only file system"
        case EIO: return "I/O error"
        case ENAMETOOLONG: return "name too long"
        default: return String(cString: strerror(code))
        }
    }

    public var description: String { "\(operation) \(path): \(reason)" }
}

/// Small, direct wrappers over the syscalls the sync needs; no Foundation file APIs on the hot path.
public enum FileSystem {
    public struct Stat: Sendable, Equatable {
        public var size: Int64
        public var mtime: Int64
        public var isRegularFile: Bool
        public var isDirectory: Bool
        public var isSymlink: Bool
    }

    /// lstat: symlinks are reported as such, never followed.
    public static func lstatPath(_ path: String) throws(SystemError) -> Stat {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw SystemError("stat", path) }
        return makeStat(st)
    }

    /// stat: follows symlinks (sources may legitimately be links inside the library).
    public static func statPath(_ path: String) throws(SystemError) -> Stat {
        var st = stat()
        guard stat(path, &st) == 0 else { throw SystemError("stat", path) }
        return makeStat(st)
    }

    static func makeStat(_ st: stat) -> Stat {
        let type = st.st_mode & S_IFMT
        return Stat(size: Int64(st.st_size), mtime: Int64(st.st_mtim.tv_sec),
                    isRegularFile: type == S_IFREG, isDirectory: type == S_IFDIR, isSymlink: type == S_IFLNK)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Entries of a directory with lstat data, "." and ".." excluded. Missing directory → empty.
    /// A large folder is stat'ed over two threads.
    public static func list(_ directory: String) throws(SystemError) -> [String: TargetEntry] {
        FolderReader.listing(try entries(directory))
    }

    /// Names in `directory` that are not real directories (files, symlinks, anything else), by the
    /// type readdir reports; an lstat only where the filesystem reports none. Missing → empty.
    static func nonDirectories(in directory: String) throws(SystemError) -> [String] {
        let reader = try FolderReader(directory)
        return reader.names.indices.compactMap { i in
            switch reader.types[i] {
            case UInt8(DT_DIR): return nil
            case UInt8(DT_UNKNOWN): return reader.entry(i).flatMap { $0.isDirectory ? nil : $0.name }
            default: return reader.names[i]
            }
        }
    }

    /// `list`, held compactly (`PackedListing`) for later use.
    static func listPacked(_ directory: String) throws(SystemError) -> PackedListing {
        PackedListing(try entries(directory))
    }

    /// Each entry in readdir order; nil for one gone since.
    private static func entries(_ directory: String) throws(SystemError) -> [TargetEntry?] {
        let reader = try FolderReader(directory)
        let n = reader.names.count
        let lanes = Lanes.count(for: n, from: 512)
        let parts = Lanes.collect(lanes) { lane in Lanes.share(lane, of: lanes, n).map { reader.entry($0) } }
        return parts.flatMap { $0 }
    }

    /// Calls `body` with each non-empty line of the file (without its newline), reading in
    /// chunks: memory stays at one chunk plus one line, whatever the file's size (a manifest of
    /// 100k lines, /proc files). Returns false when the file does not exist or cannot be read.
    static func forEachLine(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { buffer.deallocate() }
        var carry: [UInt8] = []   // a line split across two reads
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            if n == 0 { break }
            var start = 0
            // memchr, not a byte loop: this runs over every byte of a 100k-line manifest.
            while let hit = memchr(buffer.baseAddress! + start, 0x0A, n - start) {
                let i = buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(hit))
                if carry.isEmpty {
                    if i > start { try body(UnsafeRawBufferPointer(rebasing: buffer[start..<i])) }
                } else {
                    carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<i]))
                    try carry.withUnsafeBytes { try body($0) }
                    carry.removeAll(keepingCapacity: true)
                }
                start = i + 1
            }
            if start < n { carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<n])) }
        }
        if !carry.isEmpty { try carry.withUnsafeBytes { try body($0) } }
        return true
    }

    /// A folder's entries in two steps: its names (one pass of readdir), then each name's lstat,
    /// which a caller can spread over threads (each is a lookup in the kernel). A missing folder
    /// has no names.
    final class FolderReader: @unchecked Sendable {
        private let dir: OpaquePointer?
        let names: [String]
        /// Each name's `d_type` (`DT_UNKNOWN` where the filesystem does not say).
        let types: [UInt8]

        init(_ directory: String) throws(SystemError) {
            guard let dir = opendir(directory) else {
                if errno == ENOENT { self.dir = nil; names = []; types = []; return }
                throw SystemError("open folder", directory)
            }
            self.dir = dir
            var names: [String] = []
            var types: [UInt8] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String? in
                    let cName = raw.bindMemory(to: CChar.self).baseAddress!
                    if cName[0] == 0x2E && (cName[1] == 0 || (cName[1] == 0x2E && cName[2] == 0)) { return nil }  // "." / ".."
                    return String(cString: cName)
                }
                if let name {
                    names.append(name)
                    types.append(entry.pointee.d_type)
                }
            }
            self.names = names
            self.types = types
        }

        deinit { if let dir { closedir(dir) } }

        /// Entries by name (those that went away between readdir and lstat are left out).
        static func listing(_ entries: [TargetEntry?]) -> [String: TargetEntry] {
            var result: [String: TargetEntry] = [:]
            result.reserveCapacity(entries.count)
            for case let entry? in entries { result[entry.name] = entry }
            return result
        }

        /// The entry for `names[index]` (lstat relative to the open folder); nil if it has gone.
        func entry(_ index: Int) -> TargetEntry? {
            guard let dir else { return nil }
            var st = stat()
            let name = names[index]
            guard fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
            let s = makeStat(st)
            return TargetEntry(name: name, size: s.size, mtime: s.mtime, isRegularFile: s.isRegularFile, isDirectory: s.isDirectory)
        }
    }

    /// Creates one directory level; true when this call created it.
    @discardableResult
    public static func makeDirectory(_ path: String) throws(SystemError) -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        let code = errno
        if code == EEXIST {
            let st = try lstatPath(path)
            if st.isDirectory { return false }
            throw SystemError("create folder", path, code: EEXIST)
        }
        throw SystemError("create folder", path, code: code)
    }

    /// Creates each missing level of `relative` (e.g. "Owner/Album") below `root`; returns the
    /// relative paths this call created, outermost first.
    public static func makeDirectories(_ relative: String, under root: String) throws(SystemError) -> [String] {
        var created: [String] = []
        var path = ""
        for component in relative.split(separator: "/") {
            path += (path.isEmpty ? "" : "/") + component
            if try makeDirectory(root + "/" + path) { created.append(path) }
        }
        return created
    }

    /// Access and modification time both set to `seconds`, as futimens/utimensat want them.
    static func times(_ seconds: Int64) -> [timespec] {
        [timespec(tv_sec: time_t(seconds), tv_nsec: 0), timespec(tv_sec: time_t(seconds), tv_nsec: 0)]
    }

    public static func removeFile(_ path: String) throws(SystemError) {
        guard unlink(path) == 0 else { throw SystemError("delete", path) }
    }

    /// Removes an empty directory; false when it is not empty.
    public static func removeEmptyDirectory(_ path: String) -> Bool { rmdir(path) == 0 }

    public static func rename(_ from: String, _ to: String) throws(SystemError) {
        guard Glibc.rename(from, to) == 0 else { throw SystemError("rename", to) }
    }

    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Writes the first `count` bytes of `bytes` (all by default) to `fd`: a write may take fewer,
    /// an interrupted one is retried. `path` names the file in an error.
    public static func writeAll(_ fd: Int32, _ bytes: some ContiguousBytes, count: Int? = nil, path: String) throws(SystemError) {
        let failure: Int32? = bytes.withUnsafeBytes { raw in
            let end = min(count ?? raw.count, raw.count)
            var offset = 0
            while offset < end {
                let n = write(fd, raw.baseAddress! + offset, end - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
        if let failure { throw SystemError("write", path, code: failure) }
    }

    /// Writes `data` to `path` atomically: temp file in the same folder, then rename.
    public static func writeAtomically(_ data: Data, to path: String, durable: Bool = false) throws(SystemError) {
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw SystemError("write", temp) }
        var failure: SystemError?
        do throws(SystemError) { try writeAll(fd, data, path: temp) } catch { failure = error }
        if failure == nil && durable && fsync(fd) != 0 { failure = SystemError("sync", temp) }
        close(fd)
        if let failure {
            unlink(temp)
            throw failure
        }
        try rename(temp, path)
    }
}
