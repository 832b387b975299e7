import Agent
import AppConfig
import ArgumentParser
import ExportCore
import Logging
import WebUI

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run as a long-lived agent: scheduled exports, Home Assistant over MQTT and the progress page (until SIGTERM/SIGINT).",
        discussion: """
            Runs exports on the cron `schedule`, publishes progress to Home Assistant through MQTT discovery \
            and accepts the Run now / Dry run / Cancel buttons. Without db_host it still starts, reports what to \
            set, and every run fails at once. Exits 0 after SIGTERM or SIGINT (an active run \
            is cancelled without cleanup), 2 when the configuration is unusable.
            """)

    @OptionGroup var options: ConfigOption

    func run() async throws {
        // Without database settings (the add-on's first start) the agent still comes up: the page
        // and the error sensor say what to fill in, and every run fails at once.
        let options = try loadOptionsOrExit(options.config, allowUnsetDatabase: true)
        let logger = Logger(label: "immich-export")
        // The schedule and web_allow were checked with the other options: these cannot fail now.
        let agent = try AgentService(config: options.export, settings: options.agent, logger: logger)
        let page = WebServer(
            settings: try WebServer.Settings.from(options.web), runner: agent.runner, tracker: agent.tracker,
            history: RunHistory(path: RunHistory.defaultPath(exportDir: options.export.exportDir)),
            schedule: options.agent.schedule, logger: logger)
        try await agent.runUntilSignalled(alongside: [page])
    }
}
