/// Decides the schema generation from the live table/column names — never from a version string.
/// Pure: the caller reads `information_schema.columns` and hands the result in.
public enum SchemaDetector {
    /// Tables whose columns matter for detection and for the optional filters.
    static let interestingTables = [
        "albums", "assets", "albums_assets_assets", "albums_shared_users_users", "exif",
        "album", "asset", "album_asset", "album_user", "asset_exif", "version_history", "users", "user", "asset_file",
    ]

    public static func detect(columns: [String: Set<String>]) -> Result<SchemaGeneration, CatalogError> {
        func has(_ table: String) -> Bool { columns[table] != nil }
        func has(_ table: String, _ column: String) -> Bool { columns[table]?.contains(column) == true }

        let generation: SchemaGeneration
        if has("album") && has("asset") && has("album_asset") {
            if has("album_asset", "albumsId") && has("album_asset", "assetsId") {
                generation = .b
            } else if has("album_asset", "albumId") && has("album_asset", "assetId") {
                if has("album", "ownerId") {
                    generation = .c
                } else if has("album_user", "role") && has("album_user", "albumId") && has("album_user", "userId") {
                    generation = .d
                } else {
                    return .failure(.unknownSchema(missing: ["album.\"ownerId\" or album_user.role"]))
                }
            } else {
                return .failure(.unknownSchema(missing: ["album_asset.\"albumId\"/\"assetId\" (or \"albumsId\"/\"assetsId\")"]))
            }
        } else if has("albums") && has("assets") && has("albums_assets_assets") {
            generation = has("assets", "visibility") ? .a2 : .a1
        } else {
            let missing = ["album", "asset", "album_asset"].filter { !has($0) }
            return .failure(.unknownSchema(missing: missing.map { "table \($0) (or its pre-1.136 form \($0 == "album_asset" ? "albums_assets_assets" : $0 + "s"))" }))
        }

        let t = generation.tables
        var missing: [String] = []
        for column in ["id", "albumName"] where !has(t.album, column) { missing.append("\(t.album).\"\(column)\"") }
        for column in ["id", "originalPath", "originalFileName"] where !has(t.asset, column) {
            missing.append("\(t.asset).\"\(column)\"")
        }
        if !missing.isEmpty { return .failure(.unknownSchema(missing: missing)) }
        return .success(generation)
    }
}
