/// Every option name the agent reads. The add-on's `config.yaml` schema must declare each one.
public enum ConfigKey: String, CaseIterable, Sendable {
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
    case schedule
    case logLevel = "log_level"
    case minFoundAbs = "min_found_abs"
    case minFoundFraction = "min_found_fraction"
    case pathMap = "path_map"
    case haPushIntervalSec = "ha_push_interval_sec"
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
    case mqttHost = "mqtt_host"
    case mqttPort = "mqtt_port"
    case mqttUser = "mqtt_user"
    case mqttPass = "mqtt_pass"
    case mqttTLS = "mqtt_tls"
    case discoveryPrefix = "discovery_prefix"
    case topicPrefix = "topic_prefix"
    case webPort = "web_port"
    case webAllow = "web_allow"

    /// Values that must never be logged or shown.
    public var isSecret: Bool { self == .dbPass || self == .mqttPass }
}
