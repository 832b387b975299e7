/// Chooses one folder per album. Pure and deterministic: folders remembered from earlier runs are
/// kept (so names never shuffle when unrelated albums come and go), new albums take the first free
/// name in album order, duplicates get Immich's "+N" marker.
public enum FolderPlanner {
    public struct Assignment: Sendable, Equatable {
        public var folder: String
        public var base: String
    }

    /// The sanitized folder path an album wants before de-duplication ("/" separates levels).
    public static func baseName(_ album: CatalogAlbum, _ template: NameTemplate?) -> String {
        guard let template, template.source != "{album}" else { return NameSanitizer.folderName(album.name) }
        return template.folderPath([
            "album": album.name, "owner": album.ownerName ?? "Unknown owner",
            "year": album.firstYear.map(String.init) ?? "Undated",
        ], date: nil)
    }

    /// Names under export_dir that an album folder may never take.
    public static let reservedTopLevel: Set<String> = ["progress.json", "progress.json.tmp"]

    /// - Parameter blocked: collision keys of entries in export_dir that are not usable as an album
    ///   folder (user files, symlinks).
    public static func assign(albums: [CatalogAlbum], manifest: Manifest, blocked: Set<String>,
                              template: NameTemplate? = nil) -> [String: Assignment] {
        var taken = blocked.union(reservedTopLevel.map(NameSanitizer.collisionKey))
        var result: [String: Assignment] = [:]
        var pending: [(id: String, base: String)] = []

        for album in albums {
            let base = baseName(album, template)
            if let remembered = manifest.albums[album.id], remembered.base == base,
               !taken.contains(NameSanitizer.collisionKey(remembered.folder)) {
                taken.insert(NameSanitizer.collisionKey(remembered.folder))
                result[album.id] = Assignment(folder: remembered.folder, base: base)
            } else {
                pending.append((album.id, base))
            }
        }
        // Where to resume the +N search per base, so many same-named albums stay linear.
        var nextSuffix: [String: Int] = [:]
        for (id, base) in pending {
            let baseKey = NameSanitizer.collisionKey(base)
            var n = nextSuffix[baseKey] ?? 0
            while true {
                let candidate = NameSanitizer.numbered(base, n, isFile: false)
                let key = NameSanitizer.collisionKey(candidate)
                n += 1
                if !taken.contains(key) {
                    taken.insert(key)
                    result[id] = Assignment(folder: candidate, base: base)
                    break
                }
            }
            nextSuffix[baseKey] = n
        }
        return result
    }
}
