#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Puts one asset into its album folder the way `export_mode` asks, always through a hidden temp
/// name and a rename, so a final name never shows a half-made file:
/// - copy: `FileCopier` (copy_file_range, fsync, mtime = asset's).
/// - reflink: a copy-on-write clone (FICLONE) where the filesystem can, else a copy.
/// - hardlink: a second name for the library's file — no bytes written; across filesystems a copy
///   (stamped with the source's mtime, so it compares like a link next time).
/// - symlink: a relative link to the library's file, stamped with the asset's mtime.
public enum FilePlacer {
    public struct Placed: Sendable, Equatable {
        /// Data written to the export disk (0 for links).
        public var bytesWritten: Int64
        /// Size and mtime as lstat will see them: what the manifest records.
        public var size: Int64
        public var mtime: Int64
        /// The mode could not be used here and a copy was made instead.
        public var fellBackToCopy = false
    }

    public static func place(
        mode: ExportMode, source: String, sourceState: SourceState, folder: String, name: String, assetMtime: Int64,
        expectedSHA1: String? = nil, movedFrom donor: Donor? = nil,
        beforeRename: (_ size: Int64, _ mtime: Int64) throws(SystemError) -> Void,
        shouldStop: @escaping () -> Bool
    ) throws(SystemError) -> Placed {
        if let donor, let placed = try relink(donor, sourceState: sourceState, folder: folder, name: name,
                                              mtime: assetMtime, beforeRename) {
            return placed
        }
        switch mode {
        case .copy:
            return try copy(source, folder, name, mtime: assetMtime, expectedSHA1, beforeRename, shouldStop)
        case .reflink:
            if let placed = try clone(source, folder, name, mtime: assetMtime, beforeRename) { return placed }
            var placed = try copy(source, folder, name, mtime: assetMtime, expectedSHA1, beforeRename, shouldStop)
            placed.fellBackToCopy = true
            return placed
        case .hardlink:
            let temp = tempPath(folder)
            if link(source, temp) == 0 {
                do throws(SystemError) {
                    try beforeRename(sourceState.size, sourceState.mtime)
                    try FileSystem.rename(temp, folder + "/" + name)
                } catch {
                    unlink(temp)
                    throw error
                }
                return Placed(bytesWritten: 0, size: sourceState.size, mtime: sourceState.mtime)
            }
            let code = errno
            guard code == EXDEV || code == EPERM || code == EMLINK || code == EOPNOTSUPP else {
                throw SystemError("link", folder + "/" + name, code: code)
            }
            var placed = try copy(source, folder, name, mtime: sourceState.mtime, expectedSHA1, beforeRename, shouldStop)
            placed.fellBackToCopy = true
            return placed
        case .symlink:
            let target = relativePath(from: folder, to: source)
            let temp = tempPath(folder)
            guard symlink(target, temp) == 0 else { throw SystemError("link", folder + "/" + name) }
            do throws(SystemError) {
                var times = [timespec(tv_sec: time_t(assetMtime), tv_nsec: 0), timespec(tv_sec: time_t(assetMtime), tv_nsec: 0)]
                guard utimensat(AT_FDCWD, temp, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw SystemError("set time", temp) }
                try beforeRename(Int64(target.utf8.count), assetMtime)
                try FileSystem.rename(temp, folder + "/" + name)
            } catch {
                unlink(temp)
                throw error
            }
            return Placed(bytesWritten: 0, size: Int64(target.utf8.count), mtime: assetMtime)
        }
    }

    private static func copy(
        _ source: String, _ folder: String, _ name: String, mtime: Int64, _ expectedSHA1: String?,
        _ beforeRename: (Int64, Int64) throws(SystemError) -> Void, _ shouldStop: @escaping () -> Bool
    ) throws(SystemError) -> Placed {
        let bytes = try FileCopier.copy(
            from: source, toFolder: folder, name: name, mtime: mtime, expectedSHA1: expectedSHA1,
            beforeRename: { size throws(SystemError) in try beforeRename(size, mtime) }, shouldStop: shouldStop)
        return Placed(bytesWritten: bytes, size: bytes, mtime: mtime)
    }

    /// FICLONE; nil when the filesystem cannot clone (the caller copies instead).
    private static func clone(
        _ source: String, _ folder: String, _ name: String, mtime: Int64,
        _ beforeRename: (Int64, Int64) throws(SystemError) -> Void
    ) throws(SystemError) -> Placed? {
        guard let ioctl = ioctlFunction else { return nil }
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw SystemError("read", source) }
        defer { close(input) }
        var st = stat()
        guard fstat(input, &st) == 0 else { throw SystemError("stat", source) }
        let temp = tempPath(folder)
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw SystemError("create", temp) }
        let ficlone: UInt = 0x4004_9409   // _IOW(0x94, 9, int)
        if ioctl(output, ficlone, input) != 0 {
            close(output)
            unlink(temp)
            return nil
        }
        do throws(SystemError) {
            var times = [timespec(tv_sec: time_t(mtime), tv_nsec: 0), timespec(tv_sec: time_t(mtime), tv_nsec: 0)]
            guard futimens(output, &times) == 0, fsync(output) == 0 else { throw SystemError("write", temp) }
            close(output)
            try beforeRename(Int64(st.st_size), mtime)
            try FileSystem.rename(temp, folder + "/" + name)
        } catch {
            close(output)
            unlink(temp)
            throw error
        }
        return Placed(bytesWritten: 0, size: Int64(st.st_size), mtime: mtime)
    }

    /// A file we exported earlier for the same asset, recorded with this size and mtime.
    public struct Donor: Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var mtime: Int64
    }

    /// Asset moved between albums: give our earlier export a second name (it loses the old one in
    /// cleanup) — nothing is read from the library again. nil when the donor no longer fits.
    private static func relink(
        _ donor: Donor, sourceState: SourceState, folder: String, name: String, mtime: Int64,
        _ beforeRename: (Int64, Int64) throws(SystemError) -> Void
    ) throws(SystemError) -> Placed? {
        guard donor.size == sourceState.size, donor.mtime == mtime,
              let st = try? FileSystem.lstatPath(donor.path), st.isRegularFile, st.size == donor.size, st.mtime == donor.mtime
        else { return nil }
        let temp = tempPath(folder)
        guard link(donor.path, temp) == 0 else { return nil }
        do throws(SystemError) {
            try beforeRename(donor.size, donor.mtime)
            try FileSystem.rename(temp, folder + "/" + name)
        } catch {
            unlink(temp)
            throw error
        }
        return Placed(bytesWritten: 0, size: donor.size, mtime: donor.mtime)
    }

    /// Where a symlink points, or nil for anything else.
    public static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func tempPath(_ folder: String) -> String {
        folder + "/" + FileCopier.tempPrefix + UUID().uuidString.prefix(8).lowercased() + FileCopier.tempSuffix
    }

    /// "../../immich/upload/x.jpg" from `folder` to `target` (both absolute).
    public static func relativePath(from folder: String, to target: String) -> String {
        let from = folder.split(separator: "/").map(String.init)
        let to = target.split(separator: "/").map(String.init)
        var common = 0
        while common < from.count && common < to.count - 1 && from[common] == to[common] { common += 1 }
        return (Array(repeating: "..", count: from.count - common) + to[common...]).joined(separator: "/")
    }

    /// ioctl is variadic in C, so Swift cannot call it directly; FICLONE takes one int argument.
    private typealias IoctlInt = @convention(c) (Int32, UInt, Int32) -> Int32
    private static let ioctlFunction: IoctlInt? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "ioctl") else { return nil }
        return unsafeBitCast(symbol, to: IoctlInt.self)
    }()
}
