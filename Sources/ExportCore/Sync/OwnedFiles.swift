import Algorithms

/// The files one album owns, by asset id: the part of the manifest that grows with the library,
/// so it is kept compact. Entries loaded from the snapshot (written sorted) sit in a sorted
/// column store: the UUID as two words and a companion tag, size, mtime, and the name's bytes in
/// one shared buffer, about 40 bytes plus the name per file instead of the ~180 a
/// `[String: OwnedFile]` entry costs. Lookups are a binary search. What changes during a run
/// (new files, renamed ones, ids that are not UUIDs) goes to a small dictionary beside it.
public struct OwnedFiles: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Key = String
    public typealias Value = Manifest.OwnedFile

    private var base = SortedColumns()
    /// Everything not in `base`. A key is live in at most one of the two.
    private var overlay: [PackedID: Manifest.OwnedFile] = [:]

    public init() {}

    /// With `ManifestStorage.plain`, every entry lives in the dictionary and the columns stay empty.
    private static let packs = ManifestStorage.selected == .packed

    public init(dictionaryLiteral elements: (String, Manifest.OwnedFile)...) {
        for (assetID, file) in elements { self[assetID] = file }
    }

    public subscript(assetID: String) -> Manifest.OwnedFile? {
        get { self[packed: PackedID(assetID)] }
        set { self[packed: PackedID(assetID)] = newValue }
    }

    subscript(packed id: PackedID) -> Manifest.OwnedFile? {
        get {
            if let row = base.row(of: id) { return base.file(at: row) }
            return overlay.isEmpty ? nil : overlay[id]
        }
        set {
            if let row = base.row(of: id) {
                guard let newValue else { base.remove(row); return }
                if base.hasName(newValue.name, at: row) {
                    base.update(row, newValue)   // same name: fixed-size fields change in place
                    return
                }
                base.remove(row)
            }
            overlay[id] = newValue
        }
    }

    /// Whether the asset has a file (no name is decoded).
    public func contains(_ assetID: String) -> Bool {
        let id = PackedID(assetID)
        return base.row(of: id) != nil || (!overlay.isEmpty && overlay[id] != nil)
    }

    /// Adds an entry while loading the snapshot: appended to the sorted columns when it sorts
    /// after the last one (the snapshot's order), else set like any other.
    mutating func load(_ id: PackedID, _ file: Manifest.OwnedFile) {
        if Self.packs, overlay.isEmpty || overlay[id] == nil, base.append(id, file) { return }
        self[packed: id] = file
    }

    /// `load` from a name's bytes (valid UTF-8): a name that goes straight into the columns
    /// never becomes a String.
    mutating func load(_ id: PackedID, nameBytes: UnsafeRawBufferPointer, size: Int64, mtime: Int64) {
        if Self.packs, overlay.isEmpty || overlay[id] == nil, base.append(id, nameBytes: nameBytes, size: size, mtime: mtime, seen: false) { return }
        self[packed: id] = .init(name: String(decoding: nameBytes, as: UTF8.self), size: size, mtime: mtime)
    }

    /// Room for `rows` more loaded entries with `nameBytes` of names in all.
    mutating func reserve(rows: Int, nameBytes: Int) { base.reserve(rows: rows, nameBytes: nameBytes) }

    /// Moves what a run added (an album's first export puts every file here) into the sorted
    /// columns, so a library exported for the first time ends as compact as a loaded one.
    mutating func consolidate() {
        guard Self.packs else { return }
        let added = overlay.filter { if case .uuid = $0.key { true } else { false } }
        guard added.count >= 64 else { return }
        var rows = base.liveRows.map { (id: base.id(at: $0), file: base.file(at: $0)) }
        rows.reserveCapacity(rows.count + added.count)
        for (id, file) in added { rows.append((id: id, file: file)) }
        rows.sort { $0.id.order < $1.id.order }
        var fresh = SortedColumns()
        fresh.reserve(rows: rows.count, nameBytes: rows.reduce(0) { $0 + $1.file.name.utf8.count })
        for row in rows { _ = fresh.append(row.id, row.file) }
        base = fresh
        overlay = overlay.filter { if case .other = $0.key { true } else { false } }
    }

    /// Gives back the columns' spare capacity once loading is done.
    mutating func trim() { base.trim() }

    /// Claims an asset's file for this run (one lookup; the name must still match).
    mutating func markSeen(_ assetID: String, ifNamed name: String) { markSeen(key: PackedID(assetID), ifNamed: name) }

    /// `markSeen(key:ifNamed:)` for many entries in one access.
    mutating func markSeen(_ entries: some Sequence<(PackedID, String)>) {
        for (id, name) in entries { markSeen(key: id, ifNamed: name) }
    }

    mutating func markSeen(key id: PackedID, ifNamed name: String) {
        if let row = base.row(of: id) {
            if base.hasName(name, at: row) { base.markSeen(row) }
            return
        }
        guard !overlay.isEmpty, let index = overlay.index(forKey: id), overlay.values[index].name == name else { return }
        overlay.values[index].seen = true
    }

    /// Entries no asset claimed in this run (what the cleanup weighs), without decoding the
    /// names of all the others.
    public var unseen: [(assetID: String, file: Manifest.OwnedFile)] {
        var result = base.unseenRows.map { (assetID: base.id(at: $0).assetID, file: base.file(at: $0)) }
        for (id, file) in overlay where !file.seen { result.append((id.assetID, file)) }
        return result
    }

    /// The ids of `unseen`, nothing decoded.
    var unseenIDs: [PackedID] {
        base.unseenRows.map { base.id(at: $0) } + overlay.compactMap { $0.value.seen ? nil : $0.key }
    }

    public var count: Int { base.liveCount + overlay.count }
    public var isEmpty: Bool { count == 0 }

    /// Asset ids in a stable order (the snapshot is written sorted, so it diffs well).
    public var sortedAssetIDs: [String] { map(\.assetID).sorted() }

    public func makeIterator() -> some IteratorProtocol<(assetID: String, file: Manifest.OwnedFile)> {
        let base = self.base
        let fromBase = base.liveRows.lazy.map { (assetID: base.id(at: $0).assetID, file: base.file(at: $0)) }
        let fromOverlay = overlay.lazy.map { (assetID: $0.key.assetID, file: $0.value) }
        return chain(fromBase, fromOverlay).makeIterator()
    }

    public static func == (a: OwnedFiles, b: OwnedFiles) -> Bool {
        guard a.count == b.count else { return false }
        return a.allSatisfy { b[$0.assetID] == $0.file }
    }

    /// An asset id: a lowercase canonical UUID, optionally with a companion suffix ("#live",
    /// "#xmp"), packed into 17 bytes; anything else verbatim.
    enum PackedID: Hashable, Sendable {
        case uuid(UInt64, UInt64, companion: UInt8)
        case other(String)

        static let companions = ["", "#live", "#xmp"]

        /// Sort key of a packed id (ids that are not UUIDs never reach the sorted columns).
        var order: (UInt64, UInt64, UInt8) {
            if case let .uuid(high, low, companion) = self { return (high, low, companion) }
            return (.max, .max, .max)
        }

        init(_ id: String) {
            self = Self.pack(id) ?? .other(id)
        }

        var assetID: String {
            switch self {
            case let .other(id): return id
            case let .uuid(high, low, companion):
                return Self.format(high, low) + Self.companions[Int(companion)]
            }
        }

        private static func pack(_ id: String) -> PackedID? {
            var id = id
            return id.withUTF8 { pack(UnsafeRawBufferPointer($0)) }
        }

        /// Straight from manifest bytes, without making a String first.
        init(bytes: UnsafeRawBufferPointer) {
            self = Self.pack(bytes) ?? .other(String(decoding: bytes, as: UTF8.self))
        }

        private static func pack(_ bytes: UnsafeRawBufferPointer) -> PackedID? {
            let length = bytes.count
            guard length >= 36 else { return nil }
            var companion: UInt8 = 0
            if length > 36 {
                let suffix = UnsafeRawBufferPointer(rebasing: bytes[36...])
                guard let tag = companions.indices.dropFirst().first(where: { suffix.elementsEqual(companions[$0].utf8) }) else { return nil }
                companion = UInt8(tag)
            }
            // 8-4-4-4-12 lowercase hex digits; anything else (upper case included, which would
            // not round-trip) is kept verbatim by the caller.
            let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            guard p[8] == 0x2D, p[13] == 0x2D, p[18] == 0x2D, p[23] == 0x2D else { return nil }
            // Branch-free: random hex digits made the digit-or-letter branch mispredict about
            // half the time, and every manifest line and catalog row packs an id.
            var high: UInt64 = 0, low: UInt64 = 0
            var bad: UInt8 = 0
            @inline(__always) func digits(_ range: Range<Int>, into value: inout UInt64) {
                for i in range {
                    let c = p[i]
                    let ok = (c &- 0x30) < 10 || (c &- 0x61) < 6   // "0"..."9", "a"..."f"
                    bad |= ok ? 0 : 1
                    value = value << 4 | UInt64((c & 0x0F) &+ 9 &* (c >> 6))
                }
            }
            digits(0..<8, into: &high); digits(9..<13, into: &high); digits(14..<18, into: &high)
            digits(19..<23, into: &low); digits(24..<36, into: &low)
            guard bad == 0 else { return nil }
            return .uuid(high, low, companion: companion)
        }

        private static func format(_ high: UInt64, _ low: UInt64) -> String {
            let digits = Array("0123456789abcdef".utf8)
            return String(unsafeUninitializedCapacity: 36) { buffer in
                var i = 0
                for nibble in 0..<32 {
                    if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 {
                        buffer[i] = UInt8(ascii: "-"); i += 1
                    }
                    let word = nibble < 16 ? high : low
                    let shift = UInt64((15 - nibble % 16) * 4)
                    buffer[i] = digits[Int((word >> shift) & 0xF)]; i += 1
                }
                return i
            }
        }
    }
}

/// The sorted part of `OwnedFiles`, one array per field.
private struct SortedColumns: Sendable {
    private var high: [UInt64] = []
    private var low: [UInt64] = []
    private var companion: [UInt8] = []
    private var sizes: [Int64] = []
    private var mtimes: [Int64] = []
    /// Row i's name is `names[nameEnds[i-1]..<nameEnds[i]]` (UTF-8).
    private var nameEnds: [UInt32] = []
    private var names: [UInt8] = []
    private var flags: [UInt8] = []
    private(set) var liveCount = 0

    private static let seen: UInt8 = 1, removed: UInt8 = 2

    var liveRows: [Int] { high.indices.filter { flags[$0] & Self.removed == 0 } }
    var unseenRows: [Int] { high.indices.filter { flags[$0] & (Self.removed | Self.seen) == 0 } }

    /// The live row holding `id`, by binary search.
    func row(of id: OwnedFiles.PackedID) -> Int? {
        guard liveCount > 0, case let .uuid(h, l, c) = id else { return nil }
        var lo = 0, hi = high.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if (high[mid], low[mid], companion[mid]) < (h, l, c) { lo = mid + 1 } else { hi = mid }
        }
        guard lo < high.count, high[lo] == h, low[lo] == l, companion[lo] == c, flags[lo] & Self.removed == 0 else { return nil }
        return lo
    }

    /// Appends when `id` is a UUID sorting after the last row; false otherwise.
    mutating func append(_ id: OwnedFiles.PackedID, _ file: Manifest.OwnedFile) -> Bool {
        var name = file.name
        return name.withUTF8 { append(id, nameBytes: UnsafeRawBufferPointer($0), size: file.size, mtime: file.mtime, seen: file.seen) }
    }

    mutating func append(_ id: OwnedFiles.PackedID, nameBytes: UnsafeRawBufferPointer, size: Int64, mtime: Int64, seen: Bool) -> Bool {
        guard case let .uuid(h, l, c) = id else { return false }
        if let last = high.indices.last, (high[last], low[last], companion[last]) >= (h, l, c) { return false }
        let start = names.count
        names.append(contentsOf: nameBytes)
        guard names.count <= Int(UInt32.max) else { names.removeSubrange(start...); return false }
        high.append(h); low.append(l); companion.append(c)
        sizes.append(size); mtimes.append(mtime)
        nameEnds.append(UInt32(names.count))
        flags.append(seen ? Self.seen : 0)
        liveCount += 1
        return true
    }

    func id(at row: Int) -> OwnedFiles.PackedID { .uuid(high[row], low[row], companion: companion[row]) }

    private func nameRange(_ row: Int) -> Range<Int> { (row == 0 ? 0 : Int(nameEnds[row - 1]))..<Int(nameEnds[row]) }

    func file(at row: Int) -> Manifest.OwnedFile {
        let name = names.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[nameRange(row)]), as: UTF8.self) }
        var file = Manifest.OwnedFile(name: name, size: sizes[row], mtime: mtimes[row])
        file.seen = flags[row] & Self.seen != 0
        return file
    }

    func hasName(_ name: String, at row: Int) -> Bool {
        names.withUnsafeBytes { Bytes.equal(name, UnsafeRawBufferPointer(rebasing: $0[nameRange(row)])) }
    }

    mutating func update(_ row: Int, _ file: Manifest.OwnedFile) {
        sizes[row] = file.size
        mtimes[row] = file.mtime
        flags[row] = file.seen ? Self.seen : 0
    }

    mutating func markSeen(_ row: Int) { flags[row] |= Self.seen }

    mutating func remove(_ row: Int) {
        flags[row] = Self.removed
        liveCount -= 1
    }

    mutating func reserve(rows: Int, nameBytes: Int) {
        let n = high.count + rows
        high.reserveCapacity(n); low.reserveCapacity(n); companion.reserveCapacity(n)
        sizes.reserveCapacity(n); mtimes.reserveCapacity(n); nameEnds.reserveCapacity(n); flags.reserveCapacity(n)
        names.reserveCapacity(names.count + nameBytes)
    }

    mutating func trim() {
        func exact<T>(_ a: inout [T]) {
            guard a.capacity > a.count + a.count / 16 + 16 else { return }
            a = [T](unsafeUninitializedCapacity: a.count) { buffer, initialized in
                a.withUnsafeBufferPointer { source in _ = buffer.initialize(fromContentsOf: source) }
                initialized = a.count
            }
        }
        exact(&high); exact(&low); exact(&companion); exact(&sizes); exact(&mtimes)
        exact(&nameEnds); exact(&names); exact(&flags)
    }
}
