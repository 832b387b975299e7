@testable import Agent
import Testing

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
