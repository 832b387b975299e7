/// What this tool owns in `export_dir`: the only files it may ever update in place or delete.
/// Kept on disk by `ManifestStore`; this is the in-memory model, a plain value.
public struct Manifest: Sendable, Equatable {
    public struct OwnedFile: Sendable, Equatable {
        public var name: String
        /// Size and mtime (whole seconds) as written; a file that no longer matches was changed by
        /// someone else and is left alone instead of deleted.
        public var size: Int64
        public var mtime: Int64
        /// Claimed by an asset during the current run (not persisted).
        var seen = false

        public init(name: String, size: Int64, mtime: Int64) {
            self.name = name
            self.size = size
            self.mtime = mtime
        }

        public static func == (a: OwnedFile, b: OwnedFile) -> Bool {
            a.name == b.name && a.size == b.size && a.mtime == b.mtime
        }
    }

    public struct AlbumEntry: Sendable, Equatable {
        /// The folder name under export_dir.
        public var folder: String
        /// The sanitized album name the folder was derived from (folder may carry a +N suffix).
        public var base: String
        /// assetID → file in `folder`.
        public var files: OwnedFiles

        public init(folder: String, base: String, files: OwnedFiles = [:]) {
            self.folder = folder
            self.base = base
            self.files = files
        }
    }

    public var albums: [String: AlbumEntry] = [:]
    /// Album folders this tool created (and so may remove once empty).
    public var createdFolders: Set<String> = []

    public init() {}

    public var fileCount: Int { albums.values.reduce(0) { $0 + $1.files.count } }

    /// Files owned through `owners`, by collision key, for the planner.
    static func ownedNames(of owners: [(albumID: String, files: OwnedFiles)]) -> [String: (albumID: String, assetID: String)] {
        var result: [String: (albumID: String, assetID: String)] = [:]
        for (albumID, files) in owners {
            for (assetID, file) in files {
                result[NameSanitizer.collisionKey(file.name)] = (albumID, assetID)
            }
        }
        return result
    }

}
