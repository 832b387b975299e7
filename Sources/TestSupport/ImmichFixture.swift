import ExportCore
import Foundation

/// An Immich-shaped library: users, albums, assets and their files, loadable into any schema
/// generation. Written from the published table/column facts; real installs have more columns.
public struct ImmichFixture: Sendable {
    public struct User: Sendable {
        public var id: String
        public var name: String
        public init(id: String = UUID().uuidString.lowercased(), name: String) {
            self.id = id
            self.name = name
        }
    }

    public struct Album: Sendable {
        public var id: String
        public var name: String
        public var ownerID: String
        public var deleted = false
        public var createdAt: Date
        public init(id: String = UUID().uuidString.lowercased(), name: String, ownerID: String, deleted: Bool = false,
                    createdAt: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
            self.id = id
            self.name = name
            self.ownerID = ownerID
            self.deleted = deleted
            self.createdAt = createdAt
        }
    }

    public enum Visibility: String, Sendable { case timeline, archive, hidden, locked }

    public struct Asset: Sendable {
        public var id: String
        public var ownerID: String
        public var originalFileName: String
        public var content: Data
        public var modified: Date
        public var created: Date
        public var visibility: Visibility = .timeline
        public var trashed = false
        public var offline = false
        public var exifSize = true
        /// The size Immich recorded (exif `fileSizeInByte`) when it differs from the file's (a
        /// stale record); nil = the real size.
        public var recordedSize: Int?
        /// Where the file lives under assets_root, e.g. "upload/<user>/ab/cd/<uuid>.jpg".
        public var relativeLocation: String
        /// What Immich stored; nil = the default form of the generation.
        public var storedPathOverride: String?
        /// The motion video of a live photo (another asset of this fixture, usually hidden and in no album).
        public var livePhotoVideoID: String?
        /// An XMP sidecar written next to the original (`<location>.xmp`).
        public var sidecarContent: Data?
        /// Immich's `checksumAlgorithm` (generation D only), e.g. "sha1-path" for an external
        /// asset whose checksum is of its path; nil = "sha1".
        public var checksumAlgorithm: String?
        /// What Immich stored as `checksum` (hex); nil = the real SHA-1 of `content`.
        public var checksumOverride: String?

        public init(id: String = UUID().uuidString.lowercased(), ownerID: String, originalFileName: String, content: Data,
                    modified: Date = Date(timeIntervalSince1970: 1_600_000_000), created: Date? = nil) {
            self.id = id
            self.ownerID = ownerID
            self.originalFileName = originalFileName
            self.content = content
            self.modified = modified
            self.created = created ?? modified
            let ext = (originalFileName as NSString).pathExtension.lowercased()
            let hex = id.replacingOccurrences(of: "-", with: "")
            let a = hex.prefix(2), b = hex.dropFirst(2).prefix(2)
            relativeLocation = "upload/\(ownerID)/\(a)/\(b)/\(id)\(ext.isEmpty ? "" : "." + ext)"
        }
    }

    public var users: [User] = []
    public var albums: [Album] = []
    public var assets: [Asset] = []
    /// (albumID, assetID)
    public var memberships: [(String, String)] = []

    public init() {}

    // MARK: Building

    @discardableResult
    public mutating func addUser(_ name: String) -> User {
        let u = User(name: name)
        users.append(u)
        return u
    }

    @discardableResult
    public mutating func addAlbum(_ name: String, owner: User, createdAt: Date? = nil) -> Album {
        let a = Album(name: name, ownerID: owner.id,
                      createdAt: createdAt ?? Date(timeIntervalSince1970: 1_700_000_000 + Double(albums.count)))
        albums.append(a)
        return a
    }

    @discardableResult
    public mutating func addAsset(_ fileName: String, owner: User, content: String? = nil, in albumsToJoin: [Album] = [],
                                  modified: Date? = nil) -> Asset {
        let stamp = modified ?? Date(timeIntervalSince1970: 1_600_000_000 + Double(assets.count) * 60)
        let a = Asset(ownerID: owner.id, originalFileName: fileName,
                      content: Data((content ?? "content of \(fileName) #\(assets.count)").utf8), modified: stamp)
        assets.append(a)
        for album in albumsToJoin { memberships.append((album.id, a.id)) }
        return a
    }

    public mutating func add(_ asset: Asset, to album: Album) { memberships.append((album.id, asset.id)) }

    public mutating func remove(assetID: String, fromAlbum albumID: String) {
        memberships.removeAll { $0.0 == albumID && $0.1 == assetID }
    }

    public mutating func update(_ assetID: String, _ change: (inout Asset) -> Void) {
        if let i = assets.firstIndex(where: { $0.id == assetID }) { change(&assets[i]) }
    }

    // MARK: Paths

    /// The `originalPath` Immich of that generation would store.
    public func storedPath(_ asset: Asset, generation: SchemaGeneration) -> String {
        if let o = asset.storedPathOverride { return o }
        switch generation {
        case .a1, .a2: return "upload/" + asset.relativeLocation          // relative to /usr/src/app
        case .b: return "/usr/src/app/upload/" + asset.relativeLocation
        case .c, .d: return "/data/" + asset.relativeLocation
        }
    }

    /// Writes every asset's file under `assetsRoot` with its modification time.
    public func writeFiles(assetsRoot: String) throws {
        let fm = FileManager.default
        for asset in assets {
            let path = assetsRoot + "/" + asset.relativeLocation
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try asset.content.write(to: URL(fileURLWithPath: path))
            try fm.setAttributes([.modificationDate: asset.modified], ofItemAtPath: path)
            if let sidecar = asset.sidecarContent { try sidecar.write(to: URL(fileURLWithPath: path + ".xmp")) }
        }
    }

    // MARK: SQL

    public static func versionString(_ generation: SchemaGeneration) -> String {
        switch generation {
        case .a1: return "v1.132.3"
        case .a2: return "v1.135.3"
        case .b: return "v2.2.3"
        case .c: return "v2.6.3"
        case .d: return "v3.0.1"
        }
    }

    /// The rows of this library as INSERTs for `generation` (after `ImmichSchemaDDL.ddl`).
    public func insertSQL(_ generation: SchemaGeneration) -> String {
        let plural = generation == .a1 || generation == .a2
        let userT = plural ? "users" : "\"user\""
        let assetT = plural ? "assets" : "asset"
        let albumT = plural ? "albums" : "album"
        let joinT = plural ? "albums_assets_assets" : "album_asset"
        let (jAlbum, jAsset) = (generation == .c || generation == .d) ? ("albumId", "assetId") : ("albumsId", "assetsId")
        let exifT = plural ? "exif" : "asset_exif"
        let memberT = plural ? "albums_shared_users_users" : "album_user"
        let (mAlbum, mUser) = (generation == .c || generation == .d) ? ("albumId", "userId") : ("albumsId", "usersId")

        var sql = "INSERT INTO version_history (version) VALUES (\(q(Self.versionString(generation))));\n"
        for u in users {
            sql += "INSERT INTO \(userT) (id, email, name) VALUES (\(q(u.id)), \(q(u.name.lowercased() + "@example.test")), \(q(u.name)));\n"
        }
        for a in assets {
            var cols = ["id", "\"ownerId\"", "type", "\"originalPath\"", "\"originalFileName\"", "\"fileCreatedAt\"",
                        "\"fileModifiedAt\"", "\"localDateTime\"", "checksum", "\"isOffline\"", "\"deletedAt\"", "status"]
            var vals = [q(a.id), q(a.ownerID), q(a.originalFileName.lowercased().hasSuffix(".mp4") ? "VIDEO" : "IMAGE"),
                        q(storedPath(a, generation: generation)), q(a.originalFileName), ts(a.created), ts(a.modified), ts(a.created),
                        "decode(\(q(a.checksumOverride ?? SHA1.hex(of: a.content))), 'hex')", a.offline ? "true" : "false",
                        a.trashed ? ts(a.modified) : "NULL", q(a.trashed ? "trashed" : "active")]
            if generation == .a1 {
                cols += ["\"isArchived\"", "\"isVisible\""]
                vals += [a.visibility == .archive ? "true" : "false", a.visibility == .hidden ? "false" : "true"]
            } else {
                cols.append("visibility")
                vals.append(q(a.visibility.rawValue))
            }
            if let live = a.livePhotoVideoID {
                cols.append("\"livePhotoVideoId\"")
                vals.append(q(live))
            }
            let sidecarStored = a.sidecarContent == nil ? nil : storedPath(a, generation: generation) + ".xmp"
            if let sidecarStored, generation != .c, generation != .d {
                cols.append("\"sidecarPath\"")
                vals.append(q(sidecarStored))
            }
            if generation == .d {
                cols.append("\"checksumAlgorithm\"")
                vals.append(q(a.checksumAlgorithm ?? "sha1"))
            }
            sql += "INSERT INTO \(assetT) (\(cols.joined(separator: ", "))) VALUES (\(vals.joined(separator: ", ")));\n"
            if let sidecarStored, generation == .c || generation == .d {
                sql += "INSERT INTO asset_file (\"assetId\", type, path) VALUES (\(q(a.id)), 'sidecar', \(q(sidecarStored)));\n"
            }
            sql += "INSERT INTO \(exifT) (\"assetId\", \"fileSizeInByte\") VALUES (\(q(a.id)), \(a.exifSize ? String(a.recordedSize ?? a.content.count) : "NULL"));\n"
        }
        for al in albums {
            if generation == .d {
                sql += "INSERT INTO \(albumT) (id, \"albumName\", \"createdAt\", \"deletedAt\") VALUES (\(q(al.id)), \(q(al.name)), \(ts(al.createdAt)), \(al.deleted ? "now()" : "NULL"));\n"
                sql += "INSERT INTO \(memberT) (\"\(mAlbum)\", \"\(mUser)\", role) VALUES (\(q(al.id)), \(q(al.ownerID)), 'owner');\n"
            } else {
                sql += "INSERT INTO \(albumT) (id, \"ownerId\", \"albumName\", \"createdAt\", \"deletedAt\") VALUES (\(q(al.id)), \(q(al.ownerID)), \(q(al.name)), \(ts(al.createdAt)), \(al.deleted ? "now()" : "NULL"));\n"
            }
        }
        for (albumID, assetID) in memberships {
            sql += "INSERT INTO \(joinT) (\"\(jAlbum)\", \"\(jAsset)\") VALUES (\(q(albumID)), \(q(assetID)));\n"
        }
        return sql
    }

    func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }

    func ts(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return "'" + f.string(from: d) + "'"
    }
}
