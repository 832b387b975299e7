import ArgumentParser
import CGlibcMalloc
import ExportCore

@main
struct ImmichExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "immich-export",
        abstract: "Export Immich albums into one readable folder per album and keep them in sync.",
        version: ExportCoreVersion.string,
        subcommands: [RunCommand.self, CheckCommand.self, VerifyCommand.self, AgentCommand.self],
        defaultSubcommand: nil)

    static func main() async {
        if Tuning.uses(.process) {
            immich_export_tune_allocator()   // before any other thread allocates
            FileSystem.reserveDescriptorTable()   // while this is the only thread: no RCU waits later
        }
        await main(nil)
    }
}

/// Options shared by every command.
struct ConfigOption: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp(
        "Config file (YAML or JSON).", discussion: "Default: /data/options.json inside the add-on, else ./config.yaml.",
        valueName: "path"))
    var config: String?
}
