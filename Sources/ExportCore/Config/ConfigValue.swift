import Foundation
import Yams

/// A parsed config document, the same shape whether it came from YAML or options.json.
/// Quoted YAML scalars stay strings, so a password like "0123" is never read as a number.
public indirect enum ConfigValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([ConfigValue])
    case map([(String, ConfigValue)])
    case null

    public static func == (lhs: ConfigValue, rhs: ConfigValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case let (.list(a), .list(b)): return a == b
        case let (.map(a), .map(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.null, .null): return true
        default: return false
        }
    }

    var typeName: String {
        switch self {
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "true/false"
        case .list: return "a list"
        case .map: return "a mapping"
        case .null: return "empty"
        }
    }

    // MARK: Parsing

    public static func parseYAML(_ text: String) throws -> ConfigValue {
        // Plain scalars are typed by `PlainScalar`: Yams' default resolver compiles its rules as
        // regular expressions through ICU, which every process would then page in (measured in
        // docs/benchmarks.md, Decisions).
        guard let node = try Yams.compose(yaml: text, .basic) else { return .map([]) }
        return try fromYAML(node)
    }

    private static func fromYAML(_ node: Node) throws -> ConfigValue {
        switch node {
        case let .scalar(scalar):
            switch Tag.Name(rawValue: node.tag.description) {
            case .str where scalar.style == .plain: return PlainScalar.value(of: scalar.string)
            case .null: return .null
            case .bool: return PlainScalar.bool(scalar.string).map(ConfigValue.bool) ?? .string(scalar.string)
            case .int: return PlainScalar.int(scalar.string).map(ConfigValue.int) ?? .string(scalar.string)
            case .float: return PlainScalar.double(scalar.string).map(ConfigValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case let .sequence(sequence):
            return .list(try sequence.map(fromYAML))
        case let .mapping(mapping):
            return .map(try mapping.map { pair in
                guard case let .scalar(key) = pair.key else { throw ConfigValueError("a mapping key is not plain text") }
                return (key.string, try fromYAML(pair.value))
            })
        }
    }

    public static func parseJSON(_ data: Data) throws -> ConfigValue {
        try JSONDecoder().decode(JSONConfigValue.self, from: data).value
    }
}

/// Decodes JSON strictly by its own types: `true` is a bool, `"5432"` a string, `5432` a number.
private struct JSONConfigValue: Decodable {
    var value: ConfigValue

    init(from decoder: Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            var items: [ConfigValue] = []
            while !list.isAtEnd { items.append(try list.decode(JSONConfigValue.self).value) }
            value = .list(items)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            value = .map(try object.allKeys.sorted { $0.stringValue < $1.stringValue }.map {
                ($0.stringValue, try object.decode(JSONConfigValue.self, forKey: $0).value)
            })
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { value = .null }
        else if let b = try? single.decode(Bool.self) { value = .bool(b) }
        else if let i = try? single.decode(Int.self) { value = .int(i) }
        else if let d = try? single.decode(Double.self) { value = .double(d) }
        else { value = .string(try single.decode(String.self)) }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

struct ConfigValueError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

