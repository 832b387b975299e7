import ExportCore

/// Table definitions for each Immich schema generation, as far as the exporter cares (plus a few
/// neighbouring columns so queries meet realistic tables). Enum types mirror Immich's use of them.
public enum ImmichSchemaDDL {
    public static func ddl(_ generation: SchemaGeneration) -> String {
        switch generation {
        case .a1: return common + plural(visibility: false)
        case .a2: return common + plural(visibility: true)
        case .b: return common + singular(joinAlbum: "albumsId", joinAsset: "assetsId", memberUser: "usersId", ownerOnAlbum: true, assetFile: false)
        case .c: return common + singular(joinAlbum: "albumId", joinAsset: "assetId", memberUser: "userId", ownerOnAlbum: true, assetFile: true)
        case .d: return common + singular(joinAlbum: "albumId", joinAsset: "assetId", memberUser: "userId", ownerOnAlbum: false, assetFile: true)
        }
    }

    private static let common = """
        CREATE TABLE version_history (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            "createdAt" timestamptz NOT NULL DEFAULT now(),
            version varchar NOT NULL
        );
        CREATE TYPE assets_status_enum AS ENUM ('active', 'trashed', 'deleted');
        CREATE TYPE asset_visibility_enum AS ENUM ('archive', 'timeline', 'hidden', 'locked');

        """

    private static func assetColumns(visibility: Bool, archivedFlags: Bool, sidecar: Bool, checksumAlgorithm: Bool) -> String {
        var cols = """
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                "deviceAssetId" varchar NOT NULL DEFAULT 'device-asset',
                "ownerId" uuid NOT NULL,
                "deviceId" varchar NOT NULL DEFAULT 'device',
                type varchar NOT NULL,
                "originalPath" varchar NOT NULL,
                "fileCreatedAt" timestamptz NOT NULL,
                "fileModifiedAt" timestamptz NOT NULL,
                "localDateTime" timestamptz NOT NULL,
                "isFavorite" boolean NOT NULL DEFAULT false,
                "isOffline" boolean NOT NULL DEFAULT false,
                "originalFileName" varchar NOT NULL,
                checksum bytea NOT NULL,
                "livePhotoVideoId" uuid,
                "libraryId" uuid,
                "stackId" uuid,
                "encodedVideoPath" varchar DEFAULT '',
                "createdAt" timestamptz NOT NULL DEFAULT now(),
                "updatedAt" timestamptz NOT NULL DEFAULT now(),
                "deletedAt" timestamptz,
                status assets_status_enum NOT NULL DEFAULT 'active'
            """
        if archivedFlags { cols += ",\n    \"isArchived\" boolean NOT NULL DEFAULT false,\n    \"isVisible\" boolean NOT NULL DEFAULT true" }
        if visibility { cols += ",\n    visibility asset_visibility_enum NOT NULL DEFAULT 'timeline'" }
        if sidecar { cols += ",\n    \"sidecarPath\" varchar" }
        if checksumAlgorithm { cols += ",\n    \"checksumAlgorithm\" varchar NOT NULL DEFAULT 'sha1'" }
        return cols
    }

    private static func plural(visibility: Bool) -> String {
        """
        CREATE TABLE users (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            email varchar NOT NULL UNIQUE,
            name varchar NOT NULL DEFAULT '',
            "storageLabel" varchar,
            "createdAt" timestamptz NOT NULL DEFAULT now(),
            "deletedAt" timestamptz
        );
        CREATE TABLE assets (
        \(assetColumns(visibility: visibility, archivedFlags: !visibility, sidecar: true, checksumAlgorithm: false)),
            FOREIGN KEY ("ownerId") REFERENCES users(id) ON DELETE CASCADE
        );
        CREATE TABLE albums (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            "ownerId" uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            "albumName" varchar NOT NULL DEFAULT 'Untitled Album',
            description text NOT NULL DEFAULT '',
            "albumThumbnailAssetId" uuid,
            "createdAt" timestamptz NOT NULL DEFAULT now(),
            "updatedAt" timestamptz NOT NULL DEFAULT now(),
            "deletedAt" timestamptz
        );
        CREATE TABLE albums_assets_assets (
            "albumsId" uuid NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
            "assetsId" uuid NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
            "createdAt" timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY ("albumsId", "assetsId")
        );
        CREATE TABLE albums_shared_users_users (
            "albumsId" uuid NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
            "usersId" uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role varchar NOT NULL DEFAULT 'editor',
            PRIMARY KEY ("albumsId", "usersId")
        );
        CREATE TABLE exif (
            "assetId" uuid PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
            make varchar,
            model varchar,
            "fileSizeInByte" bigint
        );

        """
    }

    private static func singular(joinAlbum: String, joinAsset: String, memberUser: String, ownerOnAlbum: Bool, assetFile: Bool) -> String {
        let roleType = ownerOnAlbum ? "varchar NOT NULL DEFAULT 'editor'" : "album_user_role_enum NOT NULL DEFAULT 'editor'"
        var sql = ownerOnAlbum ? "" : "CREATE TYPE album_user_role_enum AS ENUM ('owner', 'editor', 'viewer');\n"
        sql += """
            CREATE TABLE "user" (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                email varchar NOT NULL UNIQUE,
                name varchar NOT NULL DEFAULT '',
                "storageLabel" varchar,
                "createdAt" timestamptz NOT NULL DEFAULT now(),
                "deletedAt" timestamptz
            );
            CREATE TABLE asset (
            \(assetColumns(visibility: true, archivedFlags: false, sidecar: !assetFile, checksumAlgorithm: !ownerOnAlbum)),
                FOREIGN KEY ("ownerId") REFERENCES "user"(id) ON DELETE CASCADE
            );
            CREATE TABLE album (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            \(ownerOnAlbum ? "    \"ownerId\" uuid NOT NULL REFERENCES \"user\"(id) ON DELETE CASCADE," : "")
                "albumName" varchar NOT NULL DEFAULT 'Untitled Album',
                description text NOT NULL DEFAULT '',
                "albumThumbnailAssetId" uuid,
                "createdAt" timestamptz NOT NULL DEFAULT now(),
                "updatedAt" timestamptz NOT NULL DEFAULT now(),
                "deletedAt" timestamptz
            );
            CREATE TABLE album_asset (
                "\(joinAlbum)" uuid NOT NULL REFERENCES album(id) ON DELETE CASCADE,
                "\(joinAsset)" uuid NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
                "createdAt" timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY ("\(joinAlbum)", "\(joinAsset)")
            );
            CREATE TABLE album_user (
                "\(joinAlbum)" uuid NOT NULL REFERENCES album(id) ON DELETE CASCADE,
                "\(memberUser)" uuid NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
                role \(roleType),
                PRIMARY KEY ("\(joinAlbum)", "\(memberUser)")
            );
            CREATE TABLE asset_exif (
                "assetId" uuid PRIMARY KEY REFERENCES asset(id) ON DELETE CASCADE,
                make varchar,
                model varchar,
                "fileSizeInByte" bigint
            );

            """
        if assetFile {
            sql += """
                CREATE TABLE asset_file (
                    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                    "assetId" uuid NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
                    type varchar NOT NULL,
                    path varchar NOT NULL
                );

                """
        }
        return sql
    }
}
