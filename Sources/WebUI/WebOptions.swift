import ExportCore

/// The options only the progress page reads.
public enum WebOption: String, OptionName {
    case webPort = "web_port"
    case webAllow = "web_allow"

    public var isSecret: Bool { false }
}

public struct WebOptions: Sendable, Equatable {
    public var port: Int = 8099
    /// Extra networks (CIDR) allowed to reach the page besides loopback / HA's ingress proxy.
    public var allow: [String] = []
    public init() {}

    /// The page's options from `reader`, each bad one recorded there (a `web_allow` entry that
    /// is not a network included); nil when any was bad.
    public static func read(from reader: inout OptionReader) -> WebOptions? {
        let problemsBefore = reader.problems.count
        var options = WebOptions()
        options.port = reader.int(WebOption.webPort, default: 8099, range: 1...65535)
        options.allow = reader.stringList(WebOption.webAllow)
        for entry in options.allow where PeerPolicy.parseNetwork(entry) == nil {
            reader.problem(WebOption.webAllow, "\"\(entry)\" is not a network; use CIDR like 192.168.1.0/24")
        }
        return reader.problems.count == problemsBefore ? options : nil
    }
}
