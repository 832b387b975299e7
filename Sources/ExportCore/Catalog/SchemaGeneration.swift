/// The shapes of Immich's database the exporter understands (see docs/immich-schema in README).
public enum SchemaGeneration: String, Sendable, CaseIterable, Codable {
    /// ≤ v1.132: plural tables, `isArchived`/`isVisible`.
    case a1 = "A1"
    /// v1.133–v1.135: plural tables plus `visibility`.
    case a2 = "A2"
    /// v1.136–v2.2: singular tables, join columns "albumsId"/"assetsId".
    case b = "B"
    /// v2.3–v2.7: join columns "albumId"/"assetId".
    case c = "C"
    /// v3.0+: the album owner is the `album_user` row with role 'owner'.
    case d = "D"

    var tables: SchemaTables {
        switch self {
        case .a1, .a2:
            return SchemaTables(album: "albums", asset: "assets", join: "albums_assets_assets",
                                joinAlbum: "albumsId", joinAsset: "assetsId", members: "albums_shared_users_users",
                                memberAlbum: "albumsId", memberUser: "usersId", exif: "exif")
        case .b:
            return SchemaTables(album: "album", asset: "asset", join: "album_asset",
                                joinAlbum: "albumsId", joinAsset: "assetsId", members: "album_user",
                                memberAlbum: "albumsId", memberUser: "usersId", exif: "asset_exif")
        case .c, .d:
            return SchemaTables(album: "album", asset: "asset", join: "album_asset",
                                joinAlbum: "albumId", joinAsset: "assetId", members: "album_user",
                                memberAlbum: "albumId", memberUser: "userId", exif: "asset_exif")
        }
    }

    /// Album ownership lives on the album row until D moved it into `album_user`.
    var ownerIsMemberRole: Bool { self == .d }
}

struct SchemaTables: Sendable {
    var album, asset, join, joinAlbum, joinAsset, members, memberAlbum, memberUser, exif: String
}

/// What was found in the live database.
public struct SchemaInfo: Sendable, Equatable {
    public var generation: SchemaGeneration
    /// Latest `version_history` entry, if the table exists.
    public var immichVersion: String?
    /// Column names per table, for the optional filters (`status`, `isOffline`, …).
    var columns: [String: Set<String>]
    /// The labels of enum-typed columns, keyed "table.column" (`asset.status`, `asset.visibility`, …).
    var enumLabels: [String: Set<String>] = [:]

    func has(_ table: String, _ column: String) -> Bool { columns[table]?.contains(column) == true }
    func has(_ table: String, all wanted: Set<String>) -> Bool { columns[table]?.isSuperset(of: wanted) == true }
}
