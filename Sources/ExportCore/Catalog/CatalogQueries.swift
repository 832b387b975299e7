/// The SQL for one schema generation. Pure text building, so every generation's query can be
/// read and tested without a database. Optional columns only add filters when they exist.
struct CatalogQueries: Sendable {
    let schema: SchemaInfo
    let ownerFilter: Bool
    var selection = Selection()
    /// Immich's SHA-1 per row only when something compares it (verify): saves a hex string per row.
    var checksums = true

    private var t: SchemaTables { schema.generation.tables }

    /// Tables and their columns, straight from pg_catalog (information_schema's views are slow);
    /// an enum-typed column comes once per label.
    static func columnsQuery() -> String {
        """
        SELECT c.relname::text, a.attname::text, e.enumlabel::text
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_enum e ON e.enumtypid = a.atttypid
        WHERE n.nspname = ANY (current_schemas(false)) AND c.relname = ANY ($1::text[])
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
        """
    }

    // MARK: - Comparing a column with text labels
    //
    // Immich's status, visibility and role columns are enums in some generations and text in
    // others. An enum is compared as itself: a cast to text per row (`enum_out`) was most of the
    // cost of scanning the asset table (docs/benchmarks.md, "Database"). A label the enum
    // does not have cannot match, and is left out (the server would reject it as a literal).

    /// `alias.column` is none of `labels`; a NULL is none too only where `nullMatches` is set
    /// (`IS DISTINCT FROM`), as NOT IN leaves NULL out.
    func isNone(of labels: [String], _ alias: String, _ table: String, _ column: String, nullMatches: Bool = false) -> String {
        let (expression, known) = compared(alias, table, column)
        let kept = known.map { known in labels.filter(known.contains) } ?? labels
        if kept.isEmpty { return nullMatches ? "TRUE" : "\(expression) IS NOT NULL" }
        if nullMatches { return kept.map { "\(expression) IS DISTINCT FROM \(Self.literal($0))" }.joined(separator: " AND ") }
        return "\(expression) NOT IN (\(kept.map(Self.literal).joined(separator: ", ")))"
    }

    /// `alias.column` is `label`.
    func isEqual(to label: String, _ alias: String, _ table: String, _ column: String) -> String {
        let (expression, known) = compared(alias, table, column)
        if let known, !known.contains(label) { return "FALSE" }
        return "\(expression) = \(Self.literal(label))"
    }

    /// The column as compared, and the labels it can hold (nil: any text).
    private func compared(_ alias: String, _ table: String, _ column: String) -> (String, Set<String>?) {
        let quoted = #"\#(alias)."\#(column)""#
        if let labels = schema.enumLabels[table + "." + column] { return (quoted, labels) }
        return (quoted + "::text", nil)
    }

    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// Settings of the session that streams the assets, in one round trip:
    /// - The cursor is always read to the end: plan it for all rows (hash joins and one sort), not
    ///   for the first 10 % (`cursor_tuple_fraction`'s default, which picks per-row index lookups).
    /// - That sort and its hash join get `streamWorkMemory`. At PostgreSQL's default of 4 MB the
    ///   sort of 100k rows went to temporary files (on a Raspberry Pi, its SD card) and the join
    ///   ran in two batches (docs/benchmarks.md, "Database"). A library much larger than that
    ///   still spills, in fewer passes. A larger setting the server already has is kept.
    static let streamSessionSetup = """
        SELECT set_config('cursor_tuple_fraction', '1.0', false),
               set_config('work_mem', CASE WHEN pg_size_bytes(current_setting('work_mem')) < pg_size_bytes('\(streamWorkMemory)')
                                           THEN '\(streamWorkMemory)' ELSE current_setting('work_mem') END, false)
        """
    static let streamWorkMemory = "32MB"

    static let versionQuery = #"SELECT version FROM version_history ORDER BY "createdAt" DESC, id DESC LIMIT 1"#

    /// Expression for an album's owner id (text), per generation (with `ownerJoin`).
    private var ownerExpression: String {
        schema.generation.ownerIsMemberRole ? "o.owner_id" : #"al."ownerId"::text"#
    }

    /// Where the album's owner is a member with the owner role: the owners, joined to the
    /// albums in one pass. A lookup per album was a third of the albums query at 2,000 albums
    /// (docs/benchmarks.md, "Database").
    private var ownerJoin: String {
        guard schema.generation.ownerIsMemberRole else { return "" }
        return #"""
        LEFT JOIN (SELECT DISTINCT ON (m."\#(t.memberAlbum)") m."\#(t.memberAlbum)" AS album_id, m."\#(t.memberUser)"::text AS owner_id
                   FROM "\#(t.members)" m WHERE \#(isEqual(to: "owner", "m", t.members, "role"))
                   ORDER BY m."\#(t.memberAlbum)") o ON o.album_id = al.id
        """#
    }

    private var albumWhere: String {
        var parts: [String] = []
        if schema.has(t.album, "deletedAt") { parts.append(#"al."deletedAt" IS NULL"#) }
        if ownerFilter {
            if selection.includeSharedAlbums {
                parts.append(#"(\#(ownerExpression) = $1 OR EXISTS (SELECT 1 FROM "\#(t.members)" m2 WHERE m2."\#(t.memberAlbum)" = al.id AND m2."\#(t.memberUser)"::text = $1))"#)
            } else {
                parts.append("\(ownerExpression) = $1")
            }
        }
        return parts.isEmpty ? "TRUE" : parts.joined(separator: " AND ")
    }

    /// Trashed, deleted, offline and locked-folder assets are never exported; archived ones are.
    private var assetWhere: String {
        var parts: [String] = []
        if schema.has(t.asset, "deletedAt") { parts.append(#"a."deletedAt" IS NULL"#) }
        if schema.has(t.asset, "status") { parts.append(isNone(of: ["trashed", "deleted"], "a", t.asset, "status")) }
        if schema.has(t.asset, "isOffline") { parts.append(#"a."isOffline" IS NOT TRUE"#) }
        if schema.has(t.asset, "visibility") { parts.append(isNone(of: ["locked"], "a", t.asset, "visibility", nullMatches: true)) }
        if !selection.includeArchived {
            if schema.has(t.asset, "visibility") { parts.append(isNone(of: ["archive"], "a", t.asset, "visibility", nullMatches: true)) }
            if schema.has(t.asset, "isArchived") { parts.append(#"a."isArchived" IS NOT TRUE"#) }
        }
        return parts.isEmpty ? "TRUE" : parts.joined(separator: " AND ")
    }

    private var fromAlbumAssets: String {
        #"""
        FROM "\#(t.album)" al
        \#(ownerFilter ? ownerJoin : "")
        JOIN "\#(t.join)" j ON j."\#(t.joinAlbum)" = al.id
        JOIN "\#(t.asset)" a ON a.id = j."\#(t.joinAsset)"
        """#
    }

    /// Every exportable album with the number, first year and recorded bytes (exif) of its
    /// exportable assets: one grouped pass over the album×asset join. Sizes used to be a query of
    /// their own, read while the export ran; a second pass over the same join cost more CPU than
    /// the exif lookup adds here (measured: re-run 7 % faster at 100k assets on two cores).
    var albums: String {
        let year = capturedExpression.map { "extract(year FROM min(\($0)))::int" } ?? "NULL::int"
        let sizes = hasSizes
        return #"""
        WITH stats AS (
            SELECT j."\#(t.joinAlbum)" AS album_id, count(*) AS entries, \#(year) AS first_year,
                   \#(sizes ? #"sum(e."fileSizeInByte")::bigint"# : "NULL::bigint") AS bytes
            FROM "\#(t.join)" j JOIN "\#(t.asset)" a ON a.id = j."\#(t.joinAsset)"
            \#(sizes ? #"LEFT JOIN "\#(t.exif)" e ON e."assetId" = a.id"# : "")
            WHERE \#(assetWhere)
            GROUP BY j."\#(t.joinAlbum)"
        )
        SELECT al.id::text, al."albumName", \#(ownerExpression),
               coalesce(s.entries, 0), \#(ownerName.select), s.first_year, s.bytes
        FROM "\#(t.album)" al
        \#(ownerJoin)
        \#(ownerName.join)
        LEFT JOIN stats s ON s.album_id = al.id
        WHERE \#(albumWhere)
        ORDER BY \#(schema.has(t.album, "createdAt") ? #"al."createdAt", "# : "")al.id
        """#
    }

    /// Immich records each original's size in the exif table (not in every generation).
    private var hasSizes: Bool {
        schema.has(t.exif, all: ["assetId", "fileSizeInByte"])
    }

    private var userTable: String { schema.generation == .a1 || schema.generation == .a2 ? "users" : "user" }

    /// The owner's display name, joined by id (for the `{owner}` folder template).
    private var ownerName: (select: String, join: String) {
        guard schema.columns[userTable]?.contains("name") == true else { return ("NULL::text", "") }
        return ("u.name", #"LEFT JOIN "\#(userTable)" u ON u.id::text = \#(ownerExpression)"#)
    }

    /// Capture time: Immich's local wall time when it has one, else the file's creation time.
    private var capturedExpression: String? {
        let local = schema.has(t.asset, "localDateTime"), created = schema.has(t.asset, "fileCreatedAt")
        switch (local, created) {
        case (true, true): return #"coalesce(a."localDateTime", a."fileCreatedAt")"#
        case (true, false): return #"a."localDateTime""#
        case (false, true): return #"a."fileCreatedAt""#
        default: return nil
        }
    }


    private var liveColumns: (select: String, join: String) {
        guard selection.includeLivePhotos, schema.has(t.asset, "livePhotoVideoId") else {
            return ("NULL::text, NULL::text, NULL::timestamptz", "")
        }
        let modified = schema.has(t.asset, "fileModifiedAt") ? #"lv."fileModifiedAt"::timestamptz"# : "NULL::timestamptz"
        return (#"lv."originalPath", lv."originalFileName", \#(modified)"#,
                #"LEFT JOIN "\#(t.asset)" lv ON lv.id = a."livePhotoVideoId""#)
    }

    /// Sidecars moved from asset."sidecarPath" to asset_file (type 'sidecar') in v2.4.
    private var sidecarColumn: String {
        guard selection.includeSidecars else { return "NULL::text" }
        if schema.has(t.asset, "sidecarPath") { return #"nullif(a."sidecarPath", '')"# }
        if schema.has("asset_file", all: ["assetId", "type", "path"]) {
            return #"(SELECT f.path FROM asset_file f WHERE f."assetId" = a.id AND \#(isEqual(to: "sidecar", "f", "asset_file", "type")) LIMIT 1)"#
        }
        return "NULL::text"
    }


    /// Album×asset rows, grouped by album, for a binary cursor: times go out as raw timestamps
    /// (formatting them as text or epoch numbers was a third of the server's time per row), and
    /// ids as raw uuids (cast to text they were formatted per row and sorted at 37 bytes instead
    /// of 16; docs/benchmarks.md, "Database").
    /// Only the album order is asked of the server (its index gives it): sorting 100k wide rows
    /// by creation time as well kept the first row back for half a second. The export orders
    /// each album itself (`CatalogAsset.exportOrder`). Sizes come from the albums query; per
    /// row nothing needs them, so the exif table is not joined here.
    var assets: String {
        let checksum = checksums && schema.has(t.asset, "checksum")
            ? (schema.has(t.asset, "checksumAlgorithm")
                ? #"CASE WHEN \#(isEqual(to: "sha1", "a", t.asset, "checksumAlgorithm")) THEN encode(a.checksum, 'hex') END"#
                : "encode(a.checksum, 'hex')")
            : "NULL::text"
        func time(_ column: String) -> String {
            schema.has(t.asset, column) ? #"a."\#(column)"::timestamptz"# : "NULL::timestamptz"
        }
        let captured = capturedExpression.map { "(\($0))::timestamptz" } ?? "NULL::timestamptz"
        let live = liveColumns
        return #"""
        SELECT al.id, a.id, a."originalPath", a."originalFileName", \#(time("fileModifiedAt")), \#(checksum),
               \#(captured), \#(live.select), \#(sidecarColumn), \#(time("fileCreatedAt"))
        \#(fromAlbumAssets)
        \#(live.join)
        WHERE \#(albumWhere) AND \#(assetWhere)
        ORDER BY j."\#(t.joinAlbum)"
        """#
    }
}
