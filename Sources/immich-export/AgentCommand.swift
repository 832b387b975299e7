import Agent
import ArgumentParser
import ExportCore
import Logging

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run as a long-lived agent: scheduled exports and Home Assistant over MQTT (until SIGTERM/SIGINT).",
        discussion: """
            Runs exports on the cron `schedule`, publishes progress to Home Assistant through MQTT discovery \
            and accepts the Run now / Dry run / Cancel buttons. Exits 0 after SIGTERM or SIGINT (an active run \
            is cancelled without cleanup), 2 when the configuration is unusable.
            """)

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try loadConfigOrExit(options.config)
        let logger = Logger(label: "immich-export")
        let agent: AgentService
        do {
            agent = try AgentService(config: config, logger: logger)
        } catch {
            Console.error("error: schedule: \(error.message)")
            throw Exit.badConfig
        }
        try await agent.runUntilSignalled()
    }
}
