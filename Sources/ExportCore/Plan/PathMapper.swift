/// Maps a path as Immich stores it (inside its container) to a file on this machine.
/// User `path_map` entries are tried first, then the defaults that cover every Immich layout:
/// the media folder was `/usr/src/app/upload` (relative `upload/...` before v1.136) and is `/data`
/// since v1.137, and `assets_root` is that folder as mounted here (it contains `upload/`, `library/`).
public struct PathMapper: Sendable, Equatable {
    public let mappings: [PathMapping]
    /// Each mapping's `from` with a trailing "/", as bytes: paths are compared byte by byte
    /// (a stored path is bytes on disk, and this runs once per asset).
    private let prefixes: [[UInt8]]

    public init(assetsRoot: String, userMappings: [PathMapping] = []) {
        let root = ConfigLoader.normalizedDirectory(assetsRoot)
        let defaults = [
            PathMapping(from: "/usr/src/app/upload/", to: root + "/"),
            PathMapping(from: "upload/upload/", to: root + "/upload/"),   // relative to /usr/src/app
            PathMapping(from: "upload/", to: root + "/"),
            PathMapping(from: "/data/", to: root + "/"),
        ]
        self.mappings = userMappings.map { PathMapping(from: $0.from, to: ConfigLoader.normalizedDirectory($0.to) + "/") } + defaults
        self.prefixes = mappings.map { Array($0.from.hasSuffix("/") ? $0.from.utf8 : ($0.from + "/").utf8) }
    }

    /// The local path, or nil when no mapping applies or the result would escape its target
    /// (a `..` component in the stored path).
    public func localPath(for storedPath: String) -> String? {
        resolve(storedPath).map { $0.target + $0.rest }
    }

    /// `localPath` in two parts, the mapping's target folder (with a trailing "/") and the rest,
    /// without joining them: the run stats every source through an open `assets_root` and needs
    /// the joined string only for the few it copies.
    public func resolve(_ storedPath: String) -> (target: String, rest: Substring)? {
        let utf8 = storedPath.utf8
        for i in mappings.indices {
            guard Self.hasPrefix(utf8, prefixes[i]) else { continue }
            let rest = Substring(utf8[utf8.index(utf8.startIndex, offsetBy: prefixes[i].count)...])
            if Self.isPlain(rest.utf8) { return (mappings[i].to, rest) }   // nothing to normalise
            let components = rest.split(separator: "/", omittingEmptySubsequences: true)
            if components.isEmpty || components.contains(where: { $0 == ".." || $0 == "." }) { return nil }
            return (mappings[i].to, Substring(components.joined(separator: "/")))
        }
        return nil
    }

    /// Compares the string's bytes in place (`starts(with:)` on the view itself walks it through
    /// its index type, element by element).
    private static func hasPrefix(_ utf8: String.UTF8View, _ prefix: [UInt8]) -> Bool {
        guard utf8.count >= prefix.count else { return false }
        return utf8.withContiguousStorageIfAvailable { $0.starts(with: prefix) } ?? utf8.starts(with: prefix)
    }

    /// True when `path` is non-empty and has no empty, "." or ".." component.
    private static func isPlain(_ path: Substring.UTF8View) -> Bool {
        var length = 0   // bytes of the current component
        var dots = 0     // bytes of the current component that are "."
        for byte in path {
            if byte == UInt8(ascii: "/") {
                if length == 0 || dots == length && length <= 2 { return false }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return length > 0 && !(dots == length && length <= 2)
    }
}
