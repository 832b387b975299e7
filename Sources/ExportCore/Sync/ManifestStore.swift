#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Keeps the manifest crash-safe in `export_dir/.immich-export/`: a snapshot (`manifest.tsv`,
/// replaced atomically at the end of a run once the journal has grown) plus a journal (`journal.tsv`) that gets a line
/// *before* each file is renamed into place and after each delete. Replaying the journal on
/// the next start means a crash can only ever make us forget a file we could re-adopt, never
/// claim one we did not write.
///
/// Lines are tab-separated; our names never contain tabs or newlines (the sanitizer replaces
/// control characters).
public final class ManifestStore: Sendable {
    public static let folderName = ".immich-export"
    static let header = "immich-export manifest 1"

    public let directory: String
    private struct Journal {
        /// -1 while closed.
        var fd: Int32 = -1
        /// Something changed since the snapshot (a journal line now or left by an earlier run):
        /// a run that changed nothing skips rewriting the whole snapshot.
        var changed = false
    }

    /// Appended to by the run's task, its copies and its batch jobs alike.
    private let journal = Mutex(Journal())

    public init(exportDir: String) {
        directory = exportDir + "/" + Self.folderName
    }

    private var snapshotPath: String { directory + "/manifest.tsv" }
    private var journalPath: String { directory + "/journal.tsv" }

    /// Reads snapshot + journal. A missing store is an empty manifest (first run).
    public func load() throws -> Manifest {
        var manifest = Manifest()
        try apply(snapshotPath, to: &manifest)
        try apply(journalPath, to: &manifest)
        for albumID in manifest.albums.keys { manifest.albums[albumID]!.files.trim() }
        var st = stat()
        let journalSize = stat(journalPath, &st) == 0 ? Int64(st.st_size) : 0
        journal.withLock { $0.changed = $0.changed || journalSize > 0 }
        return manifest
    }

    private func apply(_ source: String, to manifest: inout Manifest) throws {
        switch ManifestStorage.selected {
        case .packed: try applyPacked(source, to: &manifest)
        case .plain: try applyPlain(source, to: &manifest)
        }
        // Albums whose folder line was lost keep files we cannot place: drop them (never delete blind).
        manifest.albums = manifest.albums.filter { !$0.value.folder.isEmpty }
    }

    /// The plain loader: each line a String, split at its tabs.
    private func applyPlain(_ source: String, to manifest: inout Manifest) throws {
        var lineNumber = 0
        _ = try FileSystem.forEachLine(source) { bytes in
            lineNumber += 1
            let fields = String(validating: bytes, as: UTF8.self)?.split(separator: "\t", omittingEmptySubsequences: false)
            guard let fields, Self.apply(record: fields.map(String.init), to: &manifest) else {
                // A torn last line from a crash mid-append is expected; anything else is not.
                if source == journalPath { return }
                throw ManifestError.corrupt(path: source, line: lineNumber)
            }
        }
    }

    /// The packed loader (`LineParser`): lines parsed from their bytes into sized columns.
    private func applyPacked(_ source: String, to manifest: inout Manifest) throws {
        var lineNumber = 0
        var parser = LineParser()
        // A first, cheap pass sizes each album's columns: grown by doubling instead, they would
        // briefly need twice their final memory, the largest single step of a run's peak.
        if source == snapshotPath { parser.sizes = Self.albumSizes(source) }
        _ = try FileSystem.forEachLine(source) { bytes in
            lineNumber += 1
            guard parser.apply(bytes, to: &manifest) else {
                // A torn last line from a crash mid-append is expected; anything else is not.
                if source == journalPath { return }
                parser.finish(&manifest)
                throw ManifestError.corrupt(path: source, line: lineNumber)
            }
        }
        parser.finish(&manifest)
    }

    /// Rows and name bytes of each album's "+" lines (album id bytes → sizes).
    private static func albumSizes(_ path: String) -> [[UInt8]: (rows: Int, nameBytes: Int)] {
        var sizes: [[UInt8]: (rows: Int, nameBytes: Int)] = [:]
        var current: [UInt8] = []
        var rows = 0, nameBytes = 0
        _ = FileSystem.forEachLine(path) { line in
            guard line.count > 2, line[0] == UInt8(ascii: "+"), line[1] == UInt8(ascii: "\t"),
                  let albumEnd = line[2...].firstIndex(of: UInt8(ascii: "\t")),
                  let nameStart = line.lastIndex(of: UInt8(ascii: "\t")) else { return }
            let album = UnsafeRawBufferPointer(rebasing: line[2..<albumEnd])
            if !Bytes.equal(current, album) {
                if rows > 0 { sizes[current, default: (0, 0)].rows += rows; sizes[current]!.nameBytes += nameBytes }
                current = Array(album)
                rows = 0
                nameBytes = 0
            }
            rows += 1
            nameBytes += line.count - nameStart - 1
        }
        if rows > 0 { sizes[current, default: (0, 0)].rows += rows; sizes[current]!.nameBytes += nameBytes }
        return sizes
    }

    /// Applies lines straight from their bytes: a 100k-entry manifest is 100k "+" lines, so
    /// those make no String and no array: fields are found in place, the name's bytes go
    /// straight into the album's columns, and the album being filled is held aside (one
    /// dictionary lookup per album, not per line). Call `finish` after the last line.
    private struct LineParser {
        private var albumBytes: [UInt8] = []
        /// The album the current run of "+" lines fills, taken out of the manifest meanwhile.
        private var filling: (albumID: String, files: OwnedFiles)?
        private var fields: [Range<Int>] = []
        /// From `albumSizes`, used as each album's first file line arrives.
        var sizes: [[UInt8]: (rows: Int, nameBytes: Int)] = [:]

        init() { fields.reserveCapacity(8) }

        /// Puts the album being filled back.
        mutating func finish(_ manifest: inout Manifest) {
            guard let (albumID, files) = filling else { return }
            filling = nil
            manifest.albums[albumID, default: .init(folder: "", base: "")].files = files
        }

        /// False for a line that is not a valid record.
        mutating func apply(_ line: UnsafeRawBufferPointer, to manifest: inout Manifest) -> Bool {
            fields.removeAll(keepingCapacity: true)
            guard let base = line.baseAddress, line.count >= 1 else { return false }
            var start = 0
            while start < line.count, let hit = memchr(base + start, 0x09, line.count - start) {
                let i = base.distance(to: UnsafeRawPointer(hit))
                fields.append(start..<i)
                start = i + 1
            }
            fields.append(start..<line.count)
            guard line[0] == UInt8(ascii: "+"), fields.count == 6, fields[0].count == 1 else {
                finish(&manifest)   // other records may touch the album being filled
                guard let line = String(validating: line, as: UTF8.self) else { return false }
                return ManifestStore.apply(record: line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init), to: &manifest)
            }
            let album = UnsafeRawBufferPointer(rebasing: line[fields[1]])
            let asset = UnsafeRawBufferPointer(rebasing: line[fields[2]])
            let name = UnsafeRawBufferPointer(rebasing: line[fields[5]])
            guard let size = Self.number(UnsafeRawBufferPointer(rebasing: line[fields[3]])),
                  let mtime = Self.number(UnsafeRawBufferPointer(rebasing: line[fields[4]])),
                  Self.isUTF8(name) else { return false }
            let id = OwnedFiles.PackedID(bytes: asset)
            if case .other = id, !Self.isUTF8(asset) { return false }
            if filling == nil || !Bytes.equal(albumBytes, album) {
                guard let albumID = String(validating: album, as: UTF8.self) else { return false }
                finish(&manifest)
                albumBytes = Array(album)
                // Taken out, so appending never copies columns the manifest still shares.
                var files = manifest.albums[albumID]?.files ?? [:]
                manifest.albums[albumID, default: .init(folder: "", base: "")].files = [:]
                if let size = sizes.removeValue(forKey: albumBytes) { files.reserve(rows: size.rows, nameBytes: size.nameBytes) }
                filling = (albumID, files)
            }
            filling!.files.load(id, nameBytes: name, size: size, mtime: mtime)
            return true
        }

        private static func number(_ b: UnsafeRawBufferPointer) -> Int64? {
            guard !b.isEmpty, b.count <= 19 else { return nil }
            var value: Int64 = 0
            var negative = false
            for (k, byte) in b.enumerated() {
                if k == 0 && byte == UInt8(ascii: "-") && b.count > 1 { negative = true; continue }
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return negative ? -value : value
        }

        /// ASCII is checked byte by byte; anything else is decoded once to be sure.
        private static func isUTF8(_ b: UnsafeRawBufferPointer) -> Bool {
            if b.allSatisfy({ $0 < 0x80 }) { return true }
            return String(validating: b, as: UTF8.self) != nil
        }
    }

    /// One record as Strings: what the plain loader does with every line, and the packed one
    /// with every line but a file's (rare: one per album or folder).
    fileprivate static func apply(record f: [String], to manifest: inout Manifest) -> Bool {
        switch f.first {
        case ManifestStore.header where f.count == 1:
            return true
        case "A" where f.count == 4:
            // A new folder for the album starts empty: its old files were parked under their own key.
            let existing = manifest.albums[f[1]]
            let files = existing.map { $0.folder == f[2] || $0.folder.isEmpty ? $0.files : [:] } ?? [:]
            manifest.albums[f[1]] = .init(folder: f[2], base: f[3], files: files)
        case "M" where f.count == 4:
            var entry = manifest.albums[f[1]] ?? .init(folder: f[2], base: f[3])
            entry.folder = f[2]
            entry.base = f[3]
            manifest.albums[f[1]] = entry
        case "+" where f.count == 6:
            guard let size = Int64(f[3]), let mtime = Int64(f[4]) else { return false }
            manifest.albums[f[1], default: .init(folder: "", base: "")].files[f[2]] = .init(name: f[5], size: size, mtime: mtime)
        case "-" where f.count == 3:
            manifest.albums[f[1]]?.files[f[2]] = nil
        case "X" where f.count == 2:
            manifest.albums[f[1]] = nil
        case "D" where f.count == 2:
            manifest.createdFolders.insert(f[1])
        case "d" where f.count == 2:
            manifest.createdFolders.remove(f[1])
        default:
            return false
        }
        return true
    }

    // MARK: Journal

    public func openJournal() throws(SystemError) {
        try FileSystem.makeDirectory(directory)
        let path = journalPath
        try journal.withLock { journal throws(SystemError) in
            if journal.fd >= 0 { return }
            journal.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if journal.fd < 0 { throw SystemError("open", path) }
        }
    }

    public func recordAlbum(_ albumID: String, folder: String, base: String) throws(SystemError) {
        try append("A\t\(albumID)\t\(folder)\t\(base)\n")
    }

    /// The album's folder was renamed along with it: its files stay on record under the new name.
    public func recordAlbumMoved(_ albumID: String, folder: String, base: String) throws(SystemError) {
        try append("M\t\(albumID)\t\(folder)\t\(base)\n")
    }

    public func recordFile(albumID: String, assetID: String, _ file: Manifest.OwnedFile) throws(SystemError) {
        try append("+\t\(albumID)\t\(assetID)\t\(file.size)\t\(file.mtime)\t\(file.name)\n")
    }

    public func recordRemoval(albumID: String, assetID: String) throws(SystemError) {
        try append("-\t\(albumID)\t\(assetID)\n")
    }

    public func recordFolderCreated(_ folder: String) throws(SystemError) { try append("D\t\(folder)\n") }
    public func recordFolderRemoved(_ folder: String) throws(SystemError) { try append("d\t\(folder)\n") }
    public func recordAlbumRemoved(_ albumID: String) throws(SystemError) { try append("X\t\(albumID)\n") }

    private func append(_ line: String) throws(SystemError) {
        let path = journalPath
        try journal.withLock { journal throws(SystemError) in
            guard journal.fd >= 0 else { throw SystemError("append", path, code: EBADF) }
            let bytes = Array(line.utf8)
            let n = bytes.withUnsafeBytes { write(journal.fd, $0.baseAddress, $0.count) }
            if n != bytes.count { throw SystemError("append", path) }
            journal.changed = true
        }
    }

    /// Writes the whole manifest as the new snapshot (durably), then empties the journal — once
    /// the journal has grown to an eighth of the snapshot (or 256 KiB): rewriting 100k lines
    /// after a run that changed a handful of files cost more than replaying those lines at the
    /// next start. `force` writes it regardless.
    public func compact(_ manifest: Manifest, force: Bool = false) throws(SystemError) {
        let hasChanges = journal.withLock { $0.changed }
        var st = stat()
        let snapshotBytes = stat(snapshotPath, &st) == 0 ? Int64(st.st_size) : -1
        let journalBytes = stat(journalPath, &st) == 0 ? Int64(st.st_size) : 0
        let needed = snapshotBytes < 0 || (hasChanges && (force || journalBytes > max(256 << 10, snapshotBytes / 8)))
        guard needed else { return }
        try FileSystem.makeDirectory(directory)
        let temp = snapshotPath + ".tmp"
        try writeSnapshot(manifest, to: temp)
        try FileSystem.rename(temp, snapshotPath)
        FileSystem.syncDirectory(directory)
        let path = journalPath
        journal.withLock { journal in
            journal.changed = false
            _ = journal.fd >= 0 ? ftruncate(journal.fd, 0) : truncate(path, 0)
        }
    }

    /// The whole manifest into `temp`, durably, streamed through a small buffer: the snapshot
    /// is never held in memory as a whole.
    private func writeSnapshot(_ manifest: Manifest, to temp: String) throws(SystemError) {
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw SystemError("write", temp) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        func flush() throws(SystemError) {
            try FileSystem.writeAll(fd, buffer, path: temp)
            buffer.removeAll(keepingCapacity: true)
        }
        func add(_ line: String) throws(SystemError) {
            buffer.append(contentsOf: line.utf8)
            if buffer.count >= 1 << 16 { try flush() }
        }
        do throws(SystemError) {
            try add(Self.header + "\n")
            for folder in manifest.createdFolders.sorted() { try add("D\t\(folder)\n") }
            for albumID in manifest.albums.keys.sorted() {
                let entry = manifest.albums[albumID]!
                try add("A\t\(albumID)\t\(entry.folder)\t\(entry.base)\n")
                for assetID in entry.files.sortedAssetIDs {
                    let file = entry.files[assetID]!
                    try add("+\t\(albumID)\t\(assetID)\t\(file.size)\t\(file.mtime)\t\(file.name)\n")
                }
            }
            try flush()
            if fsync(fd) != 0 { throw SystemError("sync", temp) }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
    }

    public func closeJournal() {
        journal.withLock { journal in
            if journal.fd >= 0 { close(journal.fd) }
            journal.fd = -1
        }
    }

    deinit { closeJournal() }
}

public enum ManifestError: Error, CustomStringConvertible {
    case corrupt(path: String, line: Int)
    public var description: String {
        switch self {
        case let .corrupt(path, line):
            return "the ownership record \(path) is damaged (line \(line)); nothing will be deleted until it is fixed — move it aside to start a fresh record (existing identical files are re-adopted)"
        }
    }
}
