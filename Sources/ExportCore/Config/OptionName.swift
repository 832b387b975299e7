/// An option name one part of the program reads from the options file. Each part (the export
/// here, the agent, the progress page) declares its own names and validates its own values; the
/// option names stay those of the Python add-on this replaces.
public protocol OptionName: CaseIterable, Sendable {
    var rawValue: String { get }
    /// Values that must never be logged or shown.
    var isSecret: Bool { get }
}

/// The options an export reads: where to copy from and to, the database, what is selected and
/// how it is laid out, copied and verified. `log_level` is here too: every command logs.
public enum ExportOption: String, OptionName {
    case exportDir = "export_dir"
    case assetsRoot = "assets_root"
    case dbHost = "db_host"
    case dbPort = "db_port"
    case dbName = "db_name"
    case dbUser = "db_user"
    case dbPass = "db_pass"
    case dbSSLMode = "db_sslmode"
    case dbTimeout = "db_timeout"
    case dbMaxRetries = "db_max_retries"
    case immichUserID = "immich_user_id"
    case logLevel = "log_level"
    case minFoundAbs = "min_found_abs"
    case minFoundFraction = "min_found_fraction"
    case pathMap = "path_map"
    case copyConcurrency = "copy_concurrency"
    case exportMode = "export_mode"
    case verify
    case includeLivePhotos = "include_live_photos"
    case includeSidecars = "include_sidecars"
    case includeArchived = "include_archived"
    case includeSharedAlbums = "include_shared_albums"
    case albumsInclude = "albums_include"
    case albumsExclude = "albums_exclude"
    case folderTemplate = "folder_template"
    case fileTemplate = "file_template"
    case folderMtime = "folder_mtime"

    public var isSecret: Bool { self == .dbPass }
}
