/// An Immich album as the exporter sees it.
public struct CatalogAlbum: Sendable, Equatable {
    public var id: String
    public var name: String
    public var ownerID: String?
    /// Exportable album×asset entries (same filters as the asset stream).
    public var assetCount: Int
    /// Sum of Immich's recorded file sizes (exif); 0 when unknown.
    public var knownBytes: Int64
    /// For `{owner}` in folder_template.
    public var ownerName: String?
    /// Year of the album's first asset, for `{year}`.
    public var firstYear: Int?

    public init(id: String, name: String, ownerID: String?, assetCount: Int, knownBytes: Int64 = 0,
                ownerName: String? = nil, firstYear: Int? = nil) {
        self.id = id
        self.name = name
        self.ownerID = ownerID
        self.assetCount = assetCount
        self.knownBytes = knownBytes
        self.ownerName = ownerName
        self.firstYear = firstYear
    }
}

/// One asset in one album. An asset in three albums appears three times.
public struct CatalogAsset: Sendable, Equatable {
    public var albumID: String
    public var assetID: String
    /// As stored by Immich: a path inside the Immich container.
    public var originalPath: String
    public var originalFileName: String
    /// `fileModifiedAt` in microseconds since 1970; becomes the exported file's mtime.
    public var modifiedMicros: Int64?
    /// exif `fileSizeInByte`, when Immich knows it.
    public var fileSize: Int64?
    /// Hex SHA-1 of the content when the algorithm is plain sha1.
    public var checksumHex: String?
    /// Capture time (local wall time stored as UTC) in microseconds, for `{date:…}`.
    public var capturedMicros: Int64?
    /// The motion part of a live photo (only read with include_live_photos).
    public var livePhoto: Companion?
    /// The XMP sidecar's stored path (only read with include_sidecars).
    public var sidecarPath: String?

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

    public init(albumID: String, assetID: String, originalPath: String, originalFileName: String,
                modifiedMicros: Int64?, fileSize: Int64?, checksumHex: String? = nil) {
        self.albumID = albumID
        self.assetID = assetID
        self.originalPath = originalPath
        self.originalFileName = originalFileName
        self.modifiedMicros = modifiedMicros
        self.fileSize = fileSize
        self.checksumHex = checksumHex
    }
}
