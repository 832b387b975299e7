@testable import Agent
import Testing
import TestHelpers

@Suite("Command payloads")
struct CommandParserTests {
    static let valid: [(String, AgentCommand)] = [
        ("run", .run(dryRun: false)),
        ("RUN", .run(dryRun: false)),
        ("  run\n", .run(dryRun: false)),
        ("run_now", .run(dryRun: false)),
        ("dry_run", .run(dryRun: true)),
        ("cancel", .cancel),
        (#"{"action":"run"}"#, .run(dryRun: false)),
        (#"{"action":"run","dry_run":true}"#, .run(dryRun: true)),
        (#"{"action":"run","dry_run":false}"#, .run(dryRun: false)),
        (#"{"action":"dry_run"}"#, .run(dryRun: true)),
        (#"{"action":"cancel"}"#, .cancel),
        (#" { "action" : "CANCEL" } "#, .cancel),
    ]

    @Test("valid payloads", arguments: valid)
    func parsesValid(payload: String, expected: AgentCommand) throws {
        #expect(try CommandParser.parse(Array(payload.utf8)).get() == expected)
    }

    static let malformed: [String] = [
        "", "   ", "PRESS", "runn", "delete everything", "{", "{}", "[]", #"{"action":1}"#,
        #"{"action":"run","dry_run":"yes"}"#, #"{"action":"run","dry_run":1}"#, #"{"action":"explode"}"#,
        "null", String(repeating: "x", count: 5000),
    ]

    @Test("malformed payloads are errors, never commands", arguments: malformed)
    func rejectsMalformed(payload: String) {
        guard case let .failure(failure) = CommandParser.parse(Array(payload.utf8)) else {
            Issue.record("accepted \(payload.prefix(40))")
            return
        }
        #expect(!failure.description.isEmpty)
        #expect(failure.description.count < 200)
    }

    @Test func invalidUTF8IsRejected() {
        #expect(throws: CommandParser.Failure.self) { try CommandParser.parse([0xFF, 0xFE, 0x72]).get() }
    }
}

@Suite("Command payload fuzz")
struct CommandParserFuzzTests {
    /// 20,000 generated payloads — random bytes, mutated JSON, near-miss words: no crash, and a
    /// command comes out only for a payload that says run, dry_run or cancel.
    @Test func generatedPayloads() {
        var g = SeededRandom(seed: 2024)
        let seeds = [#"{"action":"run","dry_run":true}"#, #"{"action":"cancel"}"#, "run", "dry_run", "cancel", "{}", "[1,2]"]
        var accepted = 0
        for i in 0..<20_000 {
            var bytes: [UInt8]
            if i % 3 == 0 {
                bytes = (0..<Int(g.next() % 64)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            } else {
                bytes = Array(seeds[Int(g.next() % UInt64(seeds.count))].utf8)
                for _ in 0..<Int(g.next() % 4) where !bytes.isEmpty {
                    let at = Int(g.next() % UInt64(bytes.count))
                    switch g.next() % 3 {
                    case 0: bytes[at] = UInt8(truncatingIfNeeded: g.next())
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(UInt8(truncatingIfNeeded: g.next()), at: at)
                    }
                }
            }
            if case .success = CommandParser.parse(bytes) {
                accepted += 1
                let text = String(decoding: bytes, as: UTF8.self).lowercased()
                #expect(text.contains("run") || text.contains("cancel"), "accepted \(bytes)")
            }
        }
        #expect(accepted > 0)
    }
}
