/// A folder's listing held compactly until it is used: every name's bytes in one buffer and the
/// stat facts in columns, about 45 bytes an entry where a `[String: TargetEntry]` takes about 190
/// (a String, a struct with an optional link target, and a hash table). Listings made ahead of
/// time (`FolderPrefetch`) wait in this form, so four times as many fit in the same memory.
struct PackedListing: Sendable, Equatable {
    private var nameBytes: [UInt8] = []
    /// End of each name in `nameBytes`; a name starts where the one before it ends.
    private var nameEnds: [UInt32] = []
    private var sizes: [Int64] = []
    private var mtimes: [Int64] = []
    private var kinds: [Kind] = []

    private enum Kind: UInt8, Sendable { case other, regularFile, directory }

    var count: Int { nameEnds.count }

    /// Entries as `FileSystem.entries` reads them; nil ones (gone since readdir) are left out.
    /// Link targets are not kept: a listing never has them (symlink mode reads them later).
    init(_ entries: [TargetEntry?]) {
        let present = entries.lazy.compactMap { $0 }
        nameEnds.reserveCapacity(entries.count)
        sizes.reserveCapacity(entries.count)
        mtimes.reserveCapacity(entries.count)
        kinds.reserveCapacity(entries.count)
        nameBytes.reserveCapacity(present.reduce(0) { $0 + $1.name.utf8.count })
        for entry in present {
            nameBytes.append(contentsOf: entry.name.utf8)
            nameEnds.append(UInt32(nameBytes.count))
            sizes.append(entry.size)
            mtimes.append(entry.mtime)
            kinds.append(entry.isDirectory ? .directory : entry.isRegularFile ? .regularFile : .other)
        }
    }

    /// The listing as the planner takes it.
    func unpacked() -> [String: TargetEntry] {
        var result: [String: TargetEntry] = [:]
        result.reserveCapacity(count)
        nameBytes.withUnsafeBufferPointer { bytes in
            var start = 0
            for i in 0..<count {
                let end = Int(nameEnds[i])
                let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                start = end
                result[name] = TargetEntry(name: name, size: sizes[i], mtime: mtimes[i],
                                           isRegularFile: kinds[i] == .regularFile, isDirectory: kinds[i] == .directory)
            }
        }
        return result
    }
}
