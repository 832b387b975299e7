import Foundation

/// `folder_template` / `file_template`: text with `{placeholders}`. Parsed once (so a typo is a
/// config error naming the key), rendered per album or asset; every rendered path component still
/// goes through `NameSanitizer`, so a template can never address anything outside export_dir.
public struct NameTemplate: Sendable, Equatable {
    public static let folderPlaceholders: Set<String> = ["album", "owner", "year"]
    public static let filePlaceholders: Set<String> = ["original", "date"]

    enum Part: Sendable, Equatable {
        case text(String)
        case value(String)
        /// `{date:%Y%m%d}`: strftime format.
        case date(String)
    }

    public struct ParseError: Error, Sendable { public var message: String }

    let parts: [Part]
    public let source: String

    public init(parsing text: String, allowed: Set<String>) throws(ParseError) {
        var parts: [Part] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            guard let open = rest.firstIndex(of: "{") else {
                parts.append(.text(String(rest)))
                break
            }
            if open > rest.startIndex { parts.append(.text(String(rest[..<open]))) }
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw ParseError(message: "unclosed '{' in \"\(text)\"")
            }
            let inner = String(rest[rest.index(after: open)..<close])
            let name = inner.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            guard allowed.contains(name) else {
                throw ParseError(message: "unknown placeholder {\(inner)} in \"\(text)\"; use \(allowed.sorted().map { "{\($0)}" }.joined(separator: ", "))")
            }
            if name == "date" {
                let format = inner.count > 5 ? String(inner.dropFirst(5)) : "%Y-%m-%d"
                parts.append(.date(format))
            } else {
                parts.append(.value(name))
            }
            rest = rest[rest.index(after: close)...]
        }
        if !parts.contains(where: { if case .value = $0 { return true }; return false }) && !parts.contains(where: { if case .date = $0 { return true }; return false }) {
            throw ParseError(message: "\"\(text)\" has no placeholder, so every album or file would get the same name")
        }
        self.parts = parts
        self.source = text
    }

    /// Raw rendering; `date` is formatted in UTC (Immich stores local capture time as UTC).
    public func render(_ values: [String: String], date: Date?) -> String {
        var out = ""
        for part in parts {
            switch part {
            case let .text(t): out += t
            case let .value(name): out += values[name] ?? ""
            case let .date(format): out += date.map { Self.strftime(format, $0) } ?? ""
            }
        }
        return out
    }

    /// A folder template rendered into safe path components joined by "/".
    public func folderPath(_ values: [String: String], date: Date?) -> String {
        // Values are made safe first: a "/" inside an album name must not create a level.
        let raw = render(values.mapValues(NameSanitizer.folderName), date: date)
        let components = raw.split(separator: "/", omittingEmptySubsequences: true)
            .filter { !$0.allSatisfy { $0 == "." || $0 == " " } }
            .map { NameSanitizer.folderName(String($0)) }
        return components.isEmpty ? NameSanitizer.folderName("") : components.joined(separator: "/")
    }

    static func strftime(_ format: String, _ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        var buffer = [CChar](repeating: 0, count: 256)
        let n = Foundation.strftime(&buffer, buffer.count, format, &tm)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
