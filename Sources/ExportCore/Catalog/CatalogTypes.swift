/// An Immich album as the exporter sees it.
public struct CatalogAlbum: Sendable, Equatable {
    public var id: String
    public var name: String
    public var ownerID: String?
    /// Exportable album×asset entries (same filters as the asset stream).
    public var assetCount: Int
    /// For `{owner}` in folder_template.
    public var ownerName: String?
    /// Year of the album's first asset, for `{year}`.
    public var firstYear: Int?
    /// Immich's recorded size of those assets (progress total); nil when the schema has none.
    public var bytes: Int64?

    public init(id: String, name: String, ownerID: String?, assetCount: Int,
                ownerName: String? = nil, firstYear: Int? = nil, bytes: Int64? = nil) {
        self.id = id
        self.name = name
        self.ownerID = ownerID
        self.assetCount = assetCount
        self.ownerName = ownerName
        self.firstYear = firstYear
        self.bytes = bytes
    }
}

/// One asset in one album. An asset in three albums appears three times.
///
/// A run holds one album's worth of these several times over (rows, candidates, plan), so the
/// layout is kept small: optional numbers are stored with a sentinel, and the rarely present
/// extras (checksum, live-photo video, sidecar) live in one shared box.
public struct CatalogAsset: Sendable, Equatable {
    public var albumID: String
    public var assetID: String {
        didSet { ownedKey = OwnedFiles.PackedID(assetID) }
    }
    /// `assetID` packed once, as the manifest looks files up by it (a re-run looks up every
    /// asset several times).
    private(set) var ownedKey: OwnedFiles.PackedID
    /// As stored by Immich: a path inside the Immich container.
    public var originalPath: String
    public var originalFileName: String
    /// `fileModifiedAt` in microseconds since 1970; becomes the exported file's mtime.
    @CompactOptional public var modifiedMicros: Int64? = nil
    /// Capture time (local wall time stored as UTC) in microseconds, for `{date:…}`.
    @CompactOptional public var capturedMicros: Int64? = nil
    /// `fileCreatedAt` in microseconds, for the order within an album.
    @CompactOptional public var createdMicros: Int64? = nil
    private var extras: Extras?

    /// An album's assets in export order: oldest first (so the oldest keeps the plain name when
    /// two share one), then by id; unknown creation times last.
    public static func exportOrder(_ a: CatalogAsset, _ b: CatalogAsset) -> Bool {
        switch (a.createdMicros, b.createdMicros) {
        case let (x?, y?) where x != y: return x < y
        case (nil, _?): return false
        case (_?, nil): return true
        default: return a.assetID < b.assetID
        }
    }

    /// Puts an album's rows in `exportOrder`, in place. Sorts small (time, index) keys and then
    /// moves each row once: sorting the rows themselves copied them (retaining every string)
    /// and was a visible part of a re-run.
    public static func sortForExport(_ rows: inout [CatalogAsset]) {
        let n = rows.count
        guard n > 1 else { return }
        var keys: [(unknown: Bool, micros: Int64, index: Int32)] = []
        keys.reserveCapacity(n)
        for i in 0..<n {
            let created = rows[i].createdMicros
            keys.append((created == nil, created ?? 0, Int32(i)))
        }
        var sorted: [CatalogAsset] = []
        rows.withUnsafeMutableBufferPointer { source in
            keys.sort { a, b in
                if a.unknown != b.unknown { return !a.unknown }
                if a.micros != b.micros { return a.micros < b.micros }
                return source[Int(a.index)].assetID < source[Int(b.index)].assetID
            }
            let base = source.baseAddress!
            sorted = [CatalogAsset](unsafeUninitializedCapacity: n) { target, count in
                for (k, key) in keys.enumerated() { (target.baseAddress! + k).initialize(to: (base + Int(key.index)).move()) }
                count = n
            }
            // Every slot was moved out: refill it with a value that owns nothing.
            base.initialize(repeating: .placeholder, count: n)
        }
        rows = sorted
    }

    /// A value that owns nothing, for array slots whose row was moved out.
    static let placeholder = CatalogAsset(albumID: "", assetID: "", originalPath: "", originalFileName: "", modifiedMicros: nil)

    /// Hex SHA-1 of the content when the algorithm is plain sha1.
    public var checksumHex: String? {
        get { extras?.values.checksumHex }
        set { updateExtras { $0.checksumHex = newValue } }
    }
    /// The motion part of a live photo (only read with include_live_photos).
    public var livePhoto: Companion? {
        get { extras?.values.livePhoto }
        set { updateExtras { $0.livePhoto = newValue } }
    }
    /// The XMP sidecar's stored path (only read with include_sidecars).
    public var sidecarPath: String? {
        get { extras?.values.sidecarPath }
        set { updateExtras { $0.sidecarPath = newValue } }
    }

    /// A second file exported next to the asset.
    public struct Companion: Sendable, Equatable {
        public var originalPath: String
        public var originalFileName: String
        public var modifiedMicros: Int64?
        public init(originalPath: String, originalFileName: String, modifiedMicros: Int64?) {
            self.originalPath = originalPath
            self.originalFileName = originalFileName
            self.modifiedMicros = modifiedMicros
        }
    }

    private struct ExtraValues {
        var checksumHex: String?
        var livePhoto: Companion?
        var sidecarPath: String?
    }

    /// Immutable once made: copies of an asset share it, a change makes a new one.
    private final class Extras: Sendable {
        let values: ExtraValues
        init(_ values: ExtraValues) { self.values = values }
    }

    private mutating func updateExtras(_ change: (inout ExtraValues) -> Void) {
        var values = extras?.values ?? ExtraValues()
        change(&values)
        extras = values.checksumHex == nil && values.livePhoto == nil && values.sidecarPath == nil ? nil : Extras(values)
    }

    public init(albumID: String, assetID: String, originalPath: String, originalFileName: String,
                modifiedMicros: Int64?, checksumHex: String? = nil) {
        self.albumID = albumID
        self.assetID = assetID
        self.ownedKey = OwnedFiles.PackedID(assetID)
        self.originalPath = originalPath
        self.originalFileName = originalFileName
        self.modifiedMicros = modifiedMicros
        if checksumHex != nil { self.checksumHex = checksumHex }
    }

    public static func == (a: CatalogAsset, b: CatalogAsset) -> Bool {
        a.albumID == b.albumID && a.assetID == b.assetID && a.originalPath == b.originalPath
            && a.originalFileName == b.originalFileName && a.modifiedMicros == b.modifiedMicros
            && a.capturedMicros == b.capturedMicros && a.createdMicros == b.createdMicros && a.checksumHex == b.checksumHex
            && a.livePhoto == b.livePhoto && a.sidecarPath == b.sidecarPath
    }
}

/// An optional Int64 in 8 bytes instead of 9 (16 with padding): `Int64.min`, a value no
/// timestamp or size can have, stands for nil.
@propertyWrapper
public struct CompactOptional: Sendable, Equatable {
    private var raw: Int64 = .min
    public init(wrappedValue: Int64?) { raw = wrappedValue ?? .min }
    public var wrappedValue: Int64? {
        get { raw == .min ? nil : raw }
        set { raw = newValue ?? .min }
    }
}
