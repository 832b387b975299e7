#if canImport(Glibc)
import Glibc
#endif

/// `albums_include` / `albums_exclude`: glob patterns (`*`, `?`, `[…]`) matched against an album's
/// name or id, case-insensitively. Pure.
public struct AlbumFilter: Sendable, Equatable {
    public var include: [String]
    public var exclude: [String]

    public init(include: [String], exclude: [String]) {
        self.include = include
        self.exclude = exclude
    }

    public func allows(_ album: CatalogAlbum) -> Bool {
        if !include.isEmpty && !include.contains(where: { Self.matches($0, album) }) { return false }
        return !exclude.contains { Self.matches($0, album) }
    }

    public func apply(_ albums: [CatalogAlbum]) -> [CatalogAlbum] {
        include.isEmpty && exclude.isEmpty ? albums : albums.filter(allows)
    }

    static func matches(_ pattern: String, _ album: CatalogAlbum) -> Bool {
        glob(pattern, album.name) || glob(pattern, album.id)
    }

    static func glob(_ pattern: String, _ text: String) -> Bool {
        let caseFold: Int32 = 1 << 4   // FNM_CASEFOLD (GNU)
        return fnmatch(pattern.lowercased(), text.lowercased(), caseFold) == 0
    }
}
