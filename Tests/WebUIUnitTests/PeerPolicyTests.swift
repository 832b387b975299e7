import Testing
import WebUI

@Suite("Who may open the progress page")
struct PeerPolicyTests {
    @Test("peer policy", arguments: [
        ("127.0.0.1", false, [String](), true),
        ("::1", false, [], true),
        ("172.30.32.2", false, [], false),
        ("172.30.32.2", true, [], true),
        ("172.30.32.3", true, [], false),
        ("192.168.1.20", false, ["192.168.1.0/24"], true),
        ("192.168.2.20", false, ["192.168.1.0/24"], false),
        ("::ffff:192.168.1.20", false, ["192.168.1.0/24"], true),
        ("fd00::5", false, ["fd00::/8"], true),
        ("10.0.0.1", false, [], false),
        ("garbage", false, [], false),
    ])
    func policy(ip: String, addon: Bool, allow: [String], allowed: Bool) throws {
        #expect(try PeerPolicy(addonMode: addon, allow: allow).allows(ip) == allowed)
    }

    @Test("a bad web_allow entry is named")
    func badAllow() {
        #expect(throws: PeerPolicyError.self) { try PeerPolicy(addonMode: false, allow: ["192.168.1.0/99"]) }
    }
}
