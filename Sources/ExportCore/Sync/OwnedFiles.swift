/// The files one album owns, by asset id: the part of the manifest that grows with the library,
/// so it is kept compact. Immich's ids are UUIDs; held as their 16 bytes (plus a companion tag)
/// instead of 36-character heap strings, an entry costs about a third of a `[String: OwnedFile]`
/// one. Any other id (tests, future formats) is kept as it is.
public struct OwnedFiles: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    private var storage: [PackedID: Manifest.OwnedFile] = [:]
    public typealias Key = String
    public typealias Value = Manifest.OwnedFile

    public init() {}

    public init(dictionaryLiteral elements: (String, Manifest.OwnedFile)...) {
        for (assetID, file) in elements { self[assetID] = file }
    }

    public subscript(assetID: String) -> Manifest.OwnedFile? {
        get { storage[PackedID(assetID)] }
        set { storage[PackedID(assetID)] = newValue }
    }

    subscript(packed id: PackedID) -> Manifest.OwnedFile? {
        get { storage[id] }
        set { storage[id] = newValue }
    }

    /// Claims an asset's file for this run (one lookup; the name must still match).
    mutating func markSeen(_ assetID: String, ifNamed name: String) {
        let key = PackedID(assetID)
        guard let index = storage.index(forKey: key), storage.values[index].name == name else { return }
        storage.values[index].seen = true
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// Asset ids in a stable order (the snapshot is written sorted, so it diffs well).
    public var sortedAssetIDs: [String] { storage.keys.map(\.assetID).sorted() }

    public func makeIterator() -> some IteratorProtocol<(assetID: String, file: Manifest.OwnedFile)> {
        storage.lazy.map { (assetID: $0.key.assetID, file: $0.value) }.makeIterator()
    }

    /// An asset id: a lowercase canonical UUID, optionally with a companion suffix ("#live",
    /// "#xmp"), packed into 17 bytes; anything else verbatim.
    enum PackedID: Hashable, Sendable {
        case uuid(UInt64, UInt64, companion: UInt8)
        case other(String)

        static let companions = ["", "#live", "#xmp"]

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
            var high: UInt64 = 0, low: UInt64 = 0
            var valid = true
            @inline(__always) func digits(_ from: Int, _ count: Int, into value: inout UInt64) {
                for i in from..<(from + count) {
                    let c = p[i]
                    let d = c &- 0x30          // "0"..."9"
                    let h = c &- 0x61          // "a"..."f"
                    let nibble: UInt8 = d < 10 ? d : (h < 6 ? h &+ 10 : 0xFF)
                    valid = valid && nibble != 0xFF
                    value = value << 4 | UInt64(nibble & 0xF)
                }
            }
            digits(0, 8, into: &high); digits(9, 4, into: &high); digits(14, 4, into: &high)
            digits(19, 4, into: &low); digits(24, 12, into: &low)
            guard valid else { return nil }
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
