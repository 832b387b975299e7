/// A configuration the agent cannot run with. Lists every problem at once, each naming its key.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var message: String
        public var description: String { "\(key): \(message)" }
    }

    public var source: String
    public var problems: [Problem]

    public init(source: String, problems: [Problem]) {
        self.source = source
        self.problems = problems
    }

    public init(source: String, key: String, _ message: String) {
        self.init(source: source, problems: [Problem(key: key, message: message)])
    }

    public var description: String {
        if problems.count == 1 { return "invalid configuration in \(source): \(problems[0])" }
        return "invalid configuration in \(source):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
