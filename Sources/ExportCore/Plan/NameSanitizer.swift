import Foundation

/// Turns free-text album and file names into names that are safe on ext4, SMB and NFS and can
/// never address anything outside their folder. Pure and deterministic.
public enum NameSanitizer {
    public static let maxBytes = 255
    static let fallbackFolder = "Untitled album"
    static let fallbackFile = "file"
    /// Longest tail treated as an extension ("IMG.HEIC" → ".HEIC"); longer tails are part of the name.
    static let maxExtensionBytes = 16

    private static let replaced: Set<Character> = ["/", "\\", ":", "*", "?", "\"", "<", ">", "|"]
    /// In characters: "CONOUT$".
    private static let longestReservedBase = 7
    private static let reservedBases: Set<String> = {
        var names: Set<String> = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
        for n in 1...9 { names.insert("COM\(n)"); names.insert("LPT\(n)") }
        for sup in ["¹", "²", "³"] { names.insert("COM\(sup)"); names.insert("LPT\(sup)") }
        return names
    }()

    public static func folderName(_ raw: String) -> String {
        let cleaned = clean(raw)
        return fit(base: cleaned.isEmpty ? fallbackFolder : cleaned, extension: "")
    }

    public static func fileName(_ raw: String) -> String {
        var cleaned = clean(raw)
        if cleaned.isEmpty { cleaned = fallbackFile }
        let (base, ext) = splitExtension(cleaned)
        return fit(base: base.isEmpty ? fallbackFile : base, extension: ext)
    }

    /// `name` with Immich's duplicate marker: "IMG.jpg" → "IMG+2.jpg", still within 255 bytes.
    public static func numbered(_ name: String, _ n: Int, isFile: Bool) -> String {
        guard n > 0 else { return name }
        let (base, ext) = isFile ? splitExtension(name) : (name, "")
        return fit(base: base, extension: "+\(n)" + ext)
    }

    /// Key under which two names collide on a case-insensitive share (SMB on Windows/macOS).
    public static func collisionKey(_ name: String) -> String {
        // Fast path for ASCII names (nearly all camera names): NFC changes nothing and lowercasing
        // is per byte, so skip Foundation's normalisation (several µs and allocations per call).
        var hasUpper = false
        for byte in name.utf8 {
            if byte >= 0x80 { return name.precomposedStringWithCanonicalMapping.lowercased() }
            if foldASCII(byte) != byte { hasUpper = true }
        }
        guard hasUpper else { return name }
        return name.lowercased()   // an ASCII name is lowered per byte, as `foldASCII` does
    }

    /// An ASCII name's key, byte by byte: upper-case letters lowered, every other byte kept.
    /// (`CollisionIndex` hashes and compares with it, so it agrees with `collisionKey`.)
    static func foldASCII(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 32 : byte }

    // MARK: - Steps

    static func clean(_ raw: String) -> String {
        var out = raw.utf8.allSatisfy { $0 < 0x80 } ? replacingASCII(raw) : replacingScalars(raw)
        // No hidden names, no trailing dots/spaces (Windows drops them), no surrounding blanks.
        var chars = Substring(out)
        while let f = chars.first, f == "." || f.isWhitespace { chars = chars.dropFirst() }
        while let l = chars.last, l == "." || l.isWhitespace { chars = chars.dropLast() }
        out = String(chars)
        // Windows' device names ("CON", "com1.txt") take a "_" after their base.
        let base = trimmingBlanks(out.prefix { $0 != "." })
        if base.count <= longestReservedBase, reservedBases.contains(base.uppercased()) {
            if let dot = out.firstIndex(of: ".") { out.insert("_", at: dot) } else { out.append("_") }
        }
        return out
    }

    /// An ASCII name is already in NFC: each byte stays or becomes "_" (controls, the replaced set).
    private static func replacingASCII(_ raw: String) -> String {
        String(decoding: raw.utf8.map { byte in
            byte < 0x20 || byte == 0x7F || replacedASCII.contains(byte) ? UInt8(ascii: "_") : byte
        }, as: UTF8.self)
    }

    private static let replacedASCII = Set(replaced.map { $0.asciiValue! })

    /// Any other name: NFC first (one spelling per name), then per scalar.
    private static func replacingScalars(_ raw: String) -> String {
        var out = ""
        out.reserveCapacity(raw.utf8.count)
        for scalar in raw.precomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.value {
            case 0x00...0x1F, 0x7F...0x9F: out.append("_")             // control characters
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F: continue // bidi overrides hide real extensions
            case 0xFEFF: continue
            default:
                let c = Character(scalar)
                out.append(replaced.contains(c) ? "_" : c)
            }
        }
        return out
    }

    /// `text` without the blanks around it: tabs and space separators, as Foundation's
    /// `.whitespaces`, without a trip through Foundation for every album and file name.
    static func trimmingBlanks(_ text: Substring) -> Substring {
        func isBlank(_ c: Character) -> Bool {
            c.unicodeScalars.allSatisfy { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }
        }
        var text = text
        while let f = text.first, isBlank(f) { text = text.dropFirst() }
        while let l = text.last, isBlank(l) { text = text.dropLast() }
        return text
    }

    static func splitExtension(_ name: String) -> (String, String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        let ext = String(name[dot...])
        if ext.utf8.count > maxExtensionBytes || ext.count < 2 || ext.contains(" ") { return (name, "") }
        return (String(name[..<dot]), ext)
    }

    /// Cuts `base` on a character boundary so base+ext fits in `maxBytes`; the extension survives.
    static func fit(base: String, extension ext: String) -> String {
        let budget = maxBytes - ext.utf8.count
        if base.utf8.count <= budget { return base + ext }
        var cut = ""
        var used = 0
        for ch in base {
            let n = ch.utf8.count
            if used + n > budget { break }
            cut.append(ch)
            used += n
        }
        // Cutting may expose a trailing space or dot, which Windows would drop.
        while let l = cut.last, l == "." || l.isWhitespace { cut.removeLast() }
        return (cut.isEmpty ? "_" : cut) + ext
    }
}
