#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Copies one file the safe way: into a hidden temp name in the target folder, flushed to disk,
/// stamped with the asset's mtime, then renamed over the final name. A crash or cancel leaves at
/// most a temp file (removed by the next run), never a partial file under a final name.
public enum FileCopier {
    /// Prefix of our temp files; anything in an album folder starting with it is ours to remove.
    public static let tempPrefix = ".immich-export-"
    public static let tempSuffix = ".part"

    public static func isTempName(_ name: String) -> Bool { name.hasPrefix(tempPrefix) && name.hasSuffix(tempSuffix) }

    /// A fresh hidden temp name in `folder`: this process's random tag and a counter. (A UUID per
    /// file read /dev/urandom with three system calls per copy.) Names are unique within the run;
    /// a leftover of an earlier process would need the same 64-bit tag, and O_EXCL refuses it anyway.
    static func tempPath(in folder: String) -> String {
        let n = tempCounter.wrappingAdd(1, ordering: .relaxed).oldValue
        return folder + "/" + tempPrefix + tempTag + "-" + String(n, radix: 16) + tempSuffix
    }

    private static let tempTag = String(UInt64.random(in: .min ... .max), radix: 16)
    private static let tempCounter = Atomic<Int>(0)


    /// A copy written under its temp name, not yet under its final one.
    public struct Staged: Sendable {
        public let tempPath: String
        public let finalPath: String
        public let size: Int64
        public let mtime: Int64
    }

    /// - Returns: bytes copied.
    /// - Parameters:
    ///   - beforeRename: runs after the data is durable and before it appears under its final
    ///     name (the manifest journal line goes here).
    ///   - shouldStop: polled between chunks so a cancel does not wait for a large video.
    ///   - expectedSHA1: Immich's checksum (hex); when set, the temp file is read back and hashed
    ///     before `beforeRename`, and a different digest fails the copy (temp removed, nothing renamed).
    public static func copy(
        from source: String, toFolder folder: String, name: String, mtime: Int64, expectedSHA1: String? = nil,
        beforeRename: (Int64) throws(SystemError) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) throws(SystemError) -> Int64 {
        let staged = try stage(from: source, toFolder: folder, name: name, mtime: mtime, expectedSHA1: expectedSHA1,
                               flushNow: true, shouldStop: shouldStop)
        try publish(staged, beforeRename: beforeRename)
        return staged.size
    }

    /// Writes the temp file (stamped, and verified when asked). With `flushNow` false its data is
    /// not flushed yet: the caller makes a whole batch durable at once (`makeDurable`, one
    /// filesystem sync instead of one per file) and only then publishes.
    public static func stage(
        from source: String, toFolder folder: String, name: String, mtime: Int64, expectedSHA1: String? = nil,
        flushNow: Bool, shouldStop: () -> Bool = { false }
    ) throws(SystemError) -> Staged {
        let finalPath = folder + "/" + name
        let tempPath = tempPath(in: folder)

        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw SystemError("read", source) }
        defer { close(input) }
        var st = stat()
        guard fstat(input, &st) == 0 else { throw SystemError("stat", source) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw SystemError("read", source, code: EISDIR) }
        let size = Int64(st.st_size)

        let output = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw SystemError("create", tempPath) }
        var closed = false
        do throws(SystemError) {
            if let code = WriteFaults.check(finalPath) { throw SystemError("write", finalPath, code: code) }
            try CopyEngine.selected.transfer(from: input, to: output, size: size, sourceDevice: UInt64(st.st_dev), source: source,
                                             target: finalPath, shouldStop: shouldStop)
            if flushNow { guard fsync(output) == 0 else { throw SystemError("sync", finalPath) } }
            var times = FileSystem.times(mtime)
            guard futimens(output, &times) == 0 else { throw SystemError("set time", finalPath) }
            closed = true
            guard close(output) == 0 else { throw SystemError("write", finalPath) }
            if shouldStop() { throw SystemError("copy", finalPath, code: ECANCELED) }
            if let expectedSHA1 { try verifyCopy(tempPath, finalPath: finalPath, expected: expectedSHA1, shouldStop: shouldStop) }
        } catch {
            if !closed { close(output) }
            unlink(tempPath)
            throw error
        }
        return Staged(tempPath: tempPath, finalPath: finalPath, size: size, mtime: mtime)
    }

    /// The journal line (`beforeRename`), then the final name. On failure the temp file goes.
    public static func publish(_ staged: Staged, beforeRename: (Int64) throws(SystemError) -> Void) throws(SystemError) {
        do throws(SystemError) {
            try beforeRename(staged.size)
            try FileSystem.rename(staged.tempPath, staged.finalPath)
        } catch {
            unlink(staged.tempPath)
            throw error
        }
    }

    /// Drops a staged copy that will not be published.
    public static func discard(_ staged: Staged) { unlink(staged.tempPath) }

    /// Flushes everything written to the filesystem holding `folder` (syncfs): after it returns,
    /// the staged copies in that folder are on disk and may get their final names.
    public static func makeDurable(folder: String) throws(SystemError) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("sync", folder) }
        defer { close(fd) }
        let result = syncFileSystem.map { $0(fd) } ?? { sync(); return 0 }()
        guard result == 0 else { throw SystemError("sync", folder) }
    }

    /// Hashes the written temp file; a digest other than Immich's fails the copy.
    private static func verifyCopy(_ tempPath: String, finalPath: String, expected: String,
                                   shouldStop: () -> Bool) throws(SystemError) {
        let expected = expected.lowercased()
        guard ExportVerifier.isSHA1Hex(expected) else { return }   // not a SHA-1: nothing to compare with
        let actual: String
        do throws(SystemError) {
            actual = try SHA1.FileHasher().hash(path: tempPath, shouldStop: shouldStop).hex
        } catch {
            throw error.code == ECANCELED ? SystemError("copy", finalPath, code: ECANCELED) : SystemError("verify", finalPath, code: error.code)
        }
        if actual != expected {
            throw SystemError("verify", finalPath, code: EIO, detail: "checksum mismatch: expected \(expected), got \(actual)")
        }
    }

    /// The tuned copy (`CopyEngine.tuned`): direct writes where they pay (`writesDirectly`); else
    /// copy_file_range (in-kernel, reflinks on filesystems that can), then read/write.
    static func transferTuned(from input: Int32, to output: Int32, size: Int64, sourceDevice: UInt64, source: String,
                                 target: String, shouldStop: () -> Bool) throws(SystemError) {
        if writesDirectly(size: size, sourceDevice: sourceDevice, output: output) {
            return try transferThroughBuffer(from: input, to: output, direct: true, source: source, target: target,
                                             shouldStop: shouldStop)
        }
        var remaining = size
        let chunk: Int64 = 32 << 20
        if let cfr = copyFileRange {
            while remaining > 0 {
                if shouldStop() { throw SystemError("copy", target, code: ECANCELED) }
                let n = cfr(input, nil, output, nil, Int(min(remaining, chunk)), 0)
                if n > 0 { remaining -= Int64(n); continue }
                if n == 0 { break }  // source shrank under us; finish with what the read path sees
                let code = errno
                if code == EINTR { continue }
                if code == EXDEV || code == EINVAL || code == ENOSYS || code == EOPNOTSUPP || code == EBADF { break }
                throw SystemError(code == ENOSPC || code == EDQUOT ? "write" : "copy", target, code: code)
            }
            if remaining == 0 { return }
        }
        // Whatever copy_file_range did not do, the plain loop finishes.
        try CopyEngine.readAndWrite(from: input, to: output, size: remaining, source: source, target: target, shouldStop: shouldStop)
    }

    /// `makeDurable` once per filesystem holding any of `folders` (normally one sync in all).
    /// Folders that no longer exist are skipped; every filesystem is tried, the first failure is
    /// thrown.
    public static func makeDurable(folders: some Sequence<String>) throws(SystemError) {
        var devices: Set<UInt64> = []
        var failure: SystemError?
        for folder in folders {
            var st = stat()
            guard stat(folder, &st) == 0, devices.insert(UInt64(st.st_dev)).inserted else { continue }
            do throws(SystemError) { try makeDurable(folder: folder) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    private typealias SyncFS = @convention(c) (Int32) -> Int32
    /// syncfs(2), looked up like copy_file_range (not exported by Swift's Glibc module).
    private static let syncFileSystem: SyncFS? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: SyncFS.self)
    }()

    private typealias CopyFileRange = @convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int
    /// Swift's Glibc module does not export copy_file_range; look it up once in libc.
    private static let copyFileRange: CopyFileRange? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "copy_file_range") else { return nil }
        return unsafeBitCast(symbol, to: CopyFileRange.self)
    }()
}
