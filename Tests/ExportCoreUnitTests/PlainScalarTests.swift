import Testing
import Yams
@testable import ExportCore

@Suite("YAML plain scalars typed without regular expressions")
struct PlainScalarTests {
    static let samples = [
        "", "~", "null", "Null", "NULL", "nil", "none",
        "yes", "Yes", "YES", "no", "NO", "true", "True", "FALSE", "on", "Off", "y", "n", "tRue",
        "0", "7", "-7", "+7", "1_000", "012", "019", "0o17", "0x1F", "0xg", "0b101", "0b102", "-0x10", "00",
        "9223372036854775807", "9223372036854775808", "1_", "_1",
        "1.5", "-1.5", "+0.5", "1.", "1e5", "1E-5", "1.5e+3", ".5", "._5", "-.5", "1_0.0_1", "1e", "e5", "1.2.3",
        ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "inf", "nan",
        "0 3 * * *", "Photos", "/media/photos", "0123abc", "12:30", "1:30", "2026-01-02", "0.0.0.0", "+", ".",
    ]

    /// Yams' default resolver (regular expressions) is the reference.
    static func reference(_ text: String) throws -> ConfigValue {
        let node = try #require(try Yams.compose(yaml: "v: \(text.isEmpty ? "" : text)")?["v"])
        guard case let .scalar(scalar) = node else { return .null }
        switch node.tag.description {
        case Tag.Name.null.rawValue: return .null
        case Tag.Name.bool.rawValue: return Bool.construct(from: scalar).map(ConfigValue.bool) ?? .string(text)
        case Tag.Name.int.rawValue: return Int.construct(from: scalar).map(ConfigValue.int) ?? .string(text)
        case Tag.Name.float.rawValue: return Double.construct(from: scalar).map(ConfigValue.double) ?? .string(text)
        default: return .string(scalar.string)
        }
    }

    @Test("agrees with Yams' resolver on every sample (sexagesimal excepted)", arguments: samples)
    func agrees(_ text: String) throws {
        let ours = PlainScalar.value(of: text)
        if text.contains(":") && !text.contains(" ") && text.first?.isNumber == true {
            #expect(ours == .string(text))   // "1:30" stays text on purpose
            return
        }
        let expected = try Self.reference(text)
        if case let .double(a) = expected, a.isNaN {
            guard case let .double(b) = ours else { Issue.record("\(text): \(ours)"); return }
            #expect(b.isNaN)
        } else {
            #expect(ours == expected, "\(text)")
        }
    }

    @Test("quoted scalars stay text; a whole document parses")
    func document() throws {
        let value = try ConfigValue.parseYAML("""
            a: "0123"
            b: '5'
            c: 5432
            d: yes
            e: 1.5
            f: ~
            g: [1, "2", three]
            """)
        #expect(value == .map([("a", .string("0123")), ("b", .string("5")), ("c", .int(5432)), ("d", .bool(true)),
                               ("e", .double(1.5)), ("f", .null), ("g", .list([.int(1), .string("2"), .string("three")]))]))
    }
}
