/// The type of an unquoted YAML scalar, by YAML 1.1's rules as Yams' default resolver applies
/// them (null, bool, int, float, else text), decided without regular expressions. Sexagesimal
/// numbers ("1:30") stay text: no option takes one, and a time of day should not become 90.
enum PlainScalar {
    static func value(of text: String) -> ConfigValue {
        if isNull(text) { return .null }
        if let b = bool(text) { return .bool(b) }
        if looksLikeInt(text) { return int(text).map(ConfigValue.int) ?? .string(text) }
        if looksLikeFloat(text) { return double(text).map(ConfigValue.double) ?? .string(text) }
        return .string(text)
    }

    static func isNull(_ text: String) -> Bool {
        ["", "~", "null", "Null", "NULL"].contains(text)
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return true
        case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return false
        default: return nil
        }
    }

    /// 0b…, 0o… or 0… (octal), 0x…, decimal; optional sign; "_" between digits.
    static func int(_ text: String) -> Int? {
        var digits = Substring(text.filter { $0 != "_" })
        var sign = ""
        if let first = digits.first, first == "-" || first == "+" {
            if first == "-" { sign = "-" }
            digits = digits.dropFirst()
        }
        if digits == "0" { return 0 }
        for (prefix, radix) in [("0x", 16), ("0b", 2), ("0o", 8), ("0", 8)] where digits.hasPrefix(prefix) {
            return Int(sign + digits.dropFirst(prefix.count), radix: radix)
        }
        return Int(sign + digits)
    }

    static func double(_ text: String) -> Double? {
        if let special = specialFloats[text] { return special }
        return Double(text.filter { $0 != "_" })
    }

    private static let specialFloats: [String: Double] = [
        ".inf": .infinity, ".Inf": .infinity, ".INF": .infinity, "+.inf": .infinity, "+.Inf": .infinity, "+.INF": .infinity,
        "-.inf": -.infinity, "-.Inf": -.infinity, "-.INF": -.infinity, ".nan": .nan, ".NaN": .nan, ".NAN": .nan,
    ]

    // MARK: Shapes (the resolver's patterns, spelled out)

    static func looksLikeInt(_ text: String) -> Bool {
        var s = Substring(text)
        if s.first == "-" || s.first == "+" { s = s.dropFirst() }
        func all(_ rest: Substring, _ allowed: (Character) -> Bool) -> Bool { !rest.isEmpty && rest.allSatisfy { $0 == "_" || allowed($0) } }
        if s.hasPrefix("0b") { return all(s.dropFirst(2)) { $0 == "0" || $0 == "1" } }
        if s.hasPrefix("0x") { return all(s.dropFirst(2)) { $0.isHexDigit } }
        if s.hasPrefix("0o") { return all(s.dropFirst(2)) { ("0"..."7").contains($0) } }
        if s == "0" { return true }
        if s.hasPrefix("0") { return all(s.dropFirst()) { ("0"..."7").contains($0) } }
        guard let first = s.first, ("1"..."9").contains(first) else { return false }
        return s.dropFirst().allSatisfy { $0 == "_" || ("0"..."9").contains($0) }
    }

    static func looksLikeFloat(_ text: String) -> Bool {
        if specialFloats[text] != nil { return true }
        var s = Substring(text)
        let signed = s.first == "-" || s.first == "+"
        if signed { s = s.dropFirst() }
        let isDigit: (Character) -> Bool = { ("0"..."9").contains($0) }
        // Mantissa: digits[.digits] or (unsigned) .digits
        let integerPart = s.prefix { isDigit($0) || $0 == "_" }
        if let first = integerPart.first, !isDigit(first) { return false }
        s = s.dropFirst(integerPart.count)
        if integerPart.isEmpty {
            guard !signed, s.first == ".", let next = s.dropFirst().first, isDigit(next) || next == "_" else { return false }
        }
        if s.first == "." {
            s = s.dropFirst()
            s = s.drop { isDigit($0) || $0 == "_" }
        }
        if s.first == "e" || s.first == "E" {
            s = s.dropFirst()
            if s.first == "-" || s.first == "+" { s = s.dropFirst() }
            guard !s.isEmpty, s.allSatisfy(isDigit) else { return false }
            return true
        }
        return s.isEmpty
    }
}
