import Postgres

/// Everything one export needs, validated once and then immutable. Its options are `ExportOption`;
/// the agent's (MQTT, schedule) and the progress page's live with those parts.
public struct ExportConfig: Sendable, Equatable {
    public var exportDir: String
    public var assetsRoot: String
    public var database: PostgresConfiguration
    /// Extra connection attempts when the database is unreachable (`db_max_retries`).
    public var dbMaxRetries: Int
    /// Only albums owned by this Immich user id (`immich_user_id`); nil = every user's albums.
    public var immichUserID: String?
    public var logLevel: LogLevelOption
    public var guardRule: GuardRule
    /// User prefix mappings, tried before the built-in Immich defaults.
    public var pathMap: [PathMapping]
    /// Files copied at the same time. Small: the disk, not the CPU, is the limit.
    public var copyConcurrency: Int
    /// How exported files are made: copies (default), hard links, reflinks or symlinks.
    public var exportMode: ExportMode = .copy
    /// After copying, compare the file's SHA-1 with Immich's checksum (plain sha1 only).
    public var verify = false
    public var selection = Selection()
    public var layout = Layout()
    /// Read from the add-on's options (/data/options.json): messages then point at its
    /// Configuration tab instead of a config file.
    public var fromAddonOptions = false

    /// Why no run can start with these options, in words for whoever has to set them; nil when
    /// runs can start. An empty `db_host` is allowed for the agent (the add-on's first start), so
    /// it can come up and say what to fill in.
    public var setupProblem: String? {
        database.host.trimmingCharacters(in: .whitespaces).isEmpty ? Self.databaseNotSet(addon: fromAddonOptions) : nil
    }

    /// Pure: the message for an empty `db_host`; starts with `databaseNotSetPrefix`.
    public static func databaseNotSet(addon: Bool) -> String {
        let fields = "db_host (the machine running Immich's PostgreSQL) and db_pass (DB_PASSWORD in Immich's .env)"
        return addon
            ? "\(databaseNotSetPrefix): open the add-on's Configuration tab, fill in \(fields), save and restart the add-on"
            : "\(databaseNotSetPrefix): fill in \(fields) in the config file and start again"
    }

    public static let databaseNotSetPrefix = "Immich's database is not set"

    public init(
        exportDir: String, assetsRoot: String, database: PostgresConfiguration, dbMaxRetries: Int = 3,
        immichUserID: String? = nil, logLevel: LogLevelOption = .info,
        guardRule: GuardRule = GuardRule(), pathMap: [PathMapping] = [], copyConcurrency: Int = 4
    ) {
        self.exportDir = exportDir
        self.assetsRoot = assetsRoot
        self.database = database
        self.dbMaxRetries = dbMaxRetries
        self.immichUserID = immichUserID
        self.logLevel = logLevel
        self.guardRule = guardRule
        self.pathMap = pathMap
        self.copyConcurrency = copyConcurrency
    }
}

public enum ExportMode: String, Sendable, Equatable, CaseIterable {
    case copy, hardlink, reflink, symlink
}

/// Which albums and files are exported.
public struct Selection: Sendable, Equatable {
    public var includeArchived = true
    /// With `immich_user_id`: also albums shared with that user, not only owned ones.
    public var includeSharedAlbums = false
    /// The motion video of a live photo, next to the still.
    public var includeLivePhotos = false
    /// XMP sidecars, next to the file.
    public var includeSidecars = false
    /// Album names or ids, glob patterns (`*`, `?`); empty = every album.
    public var albumsInclude: [String] = []
    public var albumsExclude: [String] = []
    public init() {}
}

/// How folders and files are named and stamped.
public struct Layout: Sendable, Equatable {
    /// `{album}`, `{owner}`, `{year}`; "/" makes sub-folders.
    public var folderTemplate = "{album}"
    /// `{original}`, `{date:%Y%m%d_%H%M%S}` (asset's local capture time).
    public var fileTemplate = "{original}"
    /// Album folder mtime = newest asset's.
    public var folderMtime = false
    public init() {}
}

public enum LogLevelOption: String, Sendable, Equatable, CaseIterable {
    case debug, info, warning, error
}

/// A prefix of Immich's `originalPath` and the local directory it lives under here.
public struct PathMapping: Sendable, Equatable {
    public var from: String
    public var to: String
    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}
