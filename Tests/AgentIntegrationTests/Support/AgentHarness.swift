import Agent
import ExportCore
import Foundation
import Logging
import TestSupport

/// A small Immich library: one user, two albums, five files.
enum Libraries {
    static func small() -> ImmichFixture {
        var f = ImmichFixture()
        let alice = f.addUser("Alice")
        let trip = f.addAlbum("Trip", owner: alice)
        let pets = f.addAlbum("Pets", owner: alice)
        f.addAsset("a.jpg", owner: alice, in: [trip])
        f.addAsset("b.jpg", owner: alice, in: [trip])
        f.addAsset("c.jpg", owner: alice, in: [trip, pets])
        f.addAsset("d.heic", owner: alice, in: [pets])
        f.addAsset("e.mp4", owner: alice, in: [pets])
        return f
    }

    /// Enough files (each one fsync'ed on copy) that a run lasts a couple of seconds with
    /// copy_concurrency 1, long enough to press buttons while it runs.
    static func large(files: Int = 2500) -> ImmichFixture {
        var f = ImmichFixture()
        let bob = f.addUser("Bob")
        let albums = (0..<5).map { f.addAlbum("Album \($0)", owner: bob) }
        for i in 0..<files {
            f.addAsset("IMG_\(i).jpg", owner: bob, content: String(repeating: "x", count: 2048) + "\(i)", in: [albums[i % albums.count]])
        }
        return f
    }
}

/// The agent, in-process, inside a ServiceGroup like the CLI runs it (without signal handlers).
final class RunningAgent: Sendable {
    let service: AgentService
    let task: Task<Void, Error>

    init(config: (export: ExportConfig, agent: AgentConfig), logLevel: Logger.Level = .warning,
         environment: [String: String] = [:], supervisorURL: URL = URL(string: "http://127.0.0.1:9")!) throws {
        var logger = Logger(label: "agent-test")
        logger.logLevel = logLevel
        let service = try AgentService(config: config.export, settings: config.agent, logger: logger, environment: environment,
                                       supervisorURL: supervisorURL, birthDelay: 0.05...0.2)
        self.service = service
        task = Task { try await service.runUntilSignalled(handleSignals: false) }
    }

    var runner: Runner { service.runner }

    /// Graceful shutdown, as SIGTERM would do.
    func stop() async throws {
        await service.requestShutdown()
        try await task.value
    }
}

extension ExportSandbox {
    /// Export and agent settings pointing at `broker`; no schedule unless given.
    func agentConfig(_ broker: MosquittoBroker?, schedule: String = "", topicPrefix: String = "immich_backup",
                     copyConcurrency: Int = 4) -> (export: ExportConfig, agent: AgentConfig) {
        var agent = AgentConfig()
        agent.schedule = schedule
        if let broker {
            agent.mqtt.host = broker.host
            agent.mqtt.port = broker.port
        }
        agent.mqtt.topicPrefix = topicPrefix
        return (config { $0.copyConcurrency = copyConcurrency }, agent)
    }
}

/// Broker, sandbox and agent for one test; everything is torn down afterwards.
func withAgent(
    _ fixture: ImmichFixture, schedule: String = "", copyConcurrency: Int = 4, slowCopies: Bool = false,
    _ body: (MosquittoBroker, ExportSandbox, RunningAgent, Observer) async throws -> Void
) async throws {
    try await withBroker { broker in
        let sandbox = try await ExportSandbox(generation: .d, fixture: fixture)
        if slowCopies { slowDownCopies(in: sandbox) }
        defer { WriteFaults.remove(under: sandbox.exportDir) }
        var agent: RunningAgent?
        var observer: Observer?
        do {
            observer = try await Observer(broker)
            agent = try RunningAgent(config: sandbox.agentConfig(broker, schedule: schedule, copyConcurrency: copyConcurrency))
            try await body(broker, sandbox, agent!, observer!)
        } catch {
            try? await agent?.stop()
            await observer?.stop()
            await sandbox.tearDown()
            throw error
        }
        try await agent?.stop()
        await observer?.stop()
        await sandbox.tearDown()
    }
}

/// 2 ms per copied file through the copier's test seam: a run over a "large" library then lasts
/// seconds however fast the disk is, so a test can act in the middle of it.
func slowDownCopies(in sandbox: ExportSandbox) {
    WriteFaults.register(under: sandbox.exportDir) { _ in
        usleep(2000)
        return nil
    }
}
