import Foundation

/// Who may open the page. Pure: decided from the peer's IP text alone.
/// Loopback always; in the add-on, Home Assistant's Ingress proxy (172.30.32.2); plus any
/// networks the user lists in `web_allow` (CIDR, e.g. 192.168.1.0/24 or fd00::/8).
public struct PeerPolicy: Sendable, Equatable {
    public static let ingressProxy = "172.30.32.2"

    struct Network: Sendable, Equatable {
        var bytes: [UInt8]
        var prefix: Int
    }

    let networks: [Network]

    /// - Throws: a message naming the bad `web_allow` entry.
    public init(addonMode: Bool, allow: [String]) throws {
        var list = ["127.0.0.0/8", "::1/128"]
        if addonMode { list.append(Self.ingressProxy + "/32") }
        try self.init(exactly: list + allow)
    }

    /// Exactly these networks and nothing else (tests use it to see a refusal on loopback).
    public init(exactly list: [String]) throws {
        var networks: [Network] = []
        for entry in list {
            guard let n = Self.parseNetwork(entry) else {
                throw PeerPolicyError(message: "web_allow: \"\(entry)\" is not a network; use CIDR like 192.168.1.0/24")
            }
            networks.append(n)
        }
        self.networks = networks
    }

    public func allows(_ ip: String?) -> Bool {
        guard let ip, let bytes = Self.parseAddress(ip) else { return false }
        return networks.contains { Self.contains($0, bytes) }
    }

    static func contains(_ network: Network, _ address: [UInt8]) -> Bool {
        var candidate = address
        var net = network
        // Compare IPv4 against IPv4-mapped IPv6 and the other way round.
        if candidate.count == 4 && net.bytes.count == 16 { candidate = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] + candidate }
        if candidate.count == 16 && net.bytes.count == 4 {
            guard candidate.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] else { return false }
            candidate = Array(candidate.suffix(4))
        }
        if net.bytes.count != candidate.count { return false }
        net.prefix = min(net.prefix, net.bytes.count * 8)
        var bits = net.prefix
        for i in 0..<candidate.count where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xff : UInt8(0xff << (8 - bits) & 0xff)
            if candidate[i] & mask != net.bytes[i] & mask { return false }
            bits -= 8
        }
        return true
    }

    static func parseNetwork(_ text: String) -> Network? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = parseAddress(first) else { return nil }
        let prefix: Int
        if parts.count == 2 {
            guard let p = Int(parts[1]), p >= 0, p <= bytes.count * 8 else { return nil }
            prefix = p
        } else {
            prefix = bytes.count * 8
        }
        return Network(bytes: bytes, prefix: prefix)
    }

    static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

public struct PeerPolicyError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
