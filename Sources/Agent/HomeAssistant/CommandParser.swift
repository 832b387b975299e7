import Foundation

/// What a button press or a message on `<topic_prefix>/command` asks for.
public enum AgentCommand: Sendable, Equatable {
    case run(dryRun: Bool)
    case cancel
}

/// Parses command payloads. Pure; malformed input is an error the caller logs and ignores.
///
/// Accepted: `run`, `run_now`, `dry_run`, `cancel` (any case, surrounding blanks ignored), and
/// JSON `{"action":"run"}`, `{"action":"run","dry_run":true}`, `{"action":"dry_run"}`, `{"action":"cancel"}`.
public enum CommandParser {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Payloads larger than this are rejected without being decoded.
    static let maxPayload = 1024

    public static func parse(_ payload: [UInt8]) -> Result<AgentCommand, Failure> {
        guard payload.count <= maxPayload else { return .failure(Failure(description: "payload of \(payload.count) bytes is too large")) }
        guard let text = String(validating: payload, as: UTF8.self) else {
            return .failure(Failure(description: "payload is not UTF-8 text"))
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return .failure(Failure(description: "payload is empty")) }
        if trimmed.hasPrefix("{") { return parseJSON(trimmed) }
        return word(trimmed.lowercased(), dryRunFlag: nil)
    }

    private static func word(_ action: String, dryRunFlag: Bool?) -> Result<AgentCommand, Failure> {
        switch action {
        case "run", "run_now", "start": return .success(.run(dryRun: dryRunFlag ?? false))
        case "dry_run", "dryrun": return .success(.run(dryRun: dryRunFlag ?? true))
        case "cancel", "stop": return .success(.cancel)
        default:
            return .failure(Failure(description: "unknown command \"\(action.prefix(40))\"; expected run, dry_run or cancel"))
        }
    }

    private struct JSONCommand: Decodable {
        var action: String
        var dryRun: Bool?
        enum CodingKeys: String, CodingKey {
            case action
            case dryRun = "dry_run"
        }
    }

    private static func parseJSON(_ text: String) -> Result<AgentCommand, Failure> {
        do {
            let command = try JSONDecoder().decode(JSONCommand.self, from: Data(text.utf8))
            return word(command.action.lowercased(), dryRunFlag: command.dryRun)
        } catch {
            return .failure(Failure(description: "JSON command must look like {\"action\":\"run\",\"dry_run\":false}"))
        }
    }
}
