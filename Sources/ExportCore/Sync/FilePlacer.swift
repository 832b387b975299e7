#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Puts one asset into its album folder the way `export_mode` asks, always through a hidden temp
/// name and a rename, so a final name never shows a half-made file:
/// - copy: `FileCopier` (copy_file_range, flushed, mtime = asset's); the album sync batches the
///   flush of plain copies itself (`FileCopier.stage` / `makeDurable` / `publish`).
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
            let temp = FileCopier.tempPath(in: folder)
            if link(source, temp) == 0 {
                return try publish(temp, as: folder + "/" + name, size: sourceState.size, mtime: sourceState.mtime, beforeRename)
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
            let temp = FileCopier.tempPath(in: folder)
            guard symlink(target, temp) == 0 else { throw SystemError("link", folder + "/" + name) }
            var times = FileSystem.times(assetMtime)
            guard utimensat(AT_FDCWD, temp, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
                let failure = SystemError("set time", temp)
                unlink(temp)
                throw failure
            }
            return try publish(temp, as: folder + "/" + name, size: Int64(target.utf8.count), mtime: assetMtime, beforeRename)
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
        let temp = FileCopier.tempPath(in: folder)
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw SystemError("create", temp) }
        let ficlone: UInt = 0x4004_9409   // _IOW(0x94, 9, int)
        var times = FileSystem.times(mtime)
        let cloned = ioctl(output, ficlone, input) == 0
        let stamped = cloned && futimens(output, &times) == 0 && fsync(output) == 0
        let failure = cloned && !stamped ? SystemError("write", temp) : nil
        close(output)
        guard stamped else {
            unlink(temp)
            if let failure { throw failure }
            return nil
        }
        return try publish(temp, as: folder + "/" + name, size: Int64(st.st_size), mtime: mtime, beforeRename)
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
        let temp = FileCopier.tempPath(in: folder)
        guard link(donor.path, temp) == 0 else { return nil }
        return try publish(temp, as: folder + "/" + name, size: donor.size, mtime: donor.mtime, beforeRename)
    }

    /// Puts a finished temp entry under its final name: the manifest line first, then the rename.
    /// On failure the temp entry goes, so nothing half-made stays behind.
    private static func publish(
        _ temp: String, as final: String, size: Int64, mtime: Int64,
        _ beforeRename: (Int64, Int64) throws(SystemError) -> Void
    ) throws(SystemError) -> Placed {
        do throws(SystemError) {
            try beforeRename(size, mtime)
            try FileSystem.rename(temp, final)
        } catch {
            unlink(temp)
            throw error
        }
        return Placed(bytesWritten: 0, size: size, mtime: mtime)
    }

    /// Where a symlink points, or nil for anything else.
    public static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
