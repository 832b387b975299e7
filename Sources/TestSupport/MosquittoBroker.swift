import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real `mosquitto` on 127.0.0.1 and a free port, configured in its own temp dir.
///
/// Use `withBroker`, which always kills the process and removes the dir.
/// Shared by MQTTIntegrationTests and AgentIntegrationTests.
public final class MosquittoBroker: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        var addressInUse = false
        init(description: String, addressInUse: Bool = false) {
            self.description = description
            self.addressInUse = addressInUse
        }
    }

    public let directory: URL
    public let host = "127.0.0.1"
    private let lock = NSLock()
    private var pid: pid_t?
    private var currentPort: Int
    private var configLines: [String] = []

    /// Fixed once the broker has started; only a conflict on the very first start moves it.
    public var port: Int { lock.withLock { currentPort } }

    /// With `username`, anonymous clients are refused and a password_file holds that one user.
    public init(username: String? = nil, password: String? = nil) async throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mqtt-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        currentPort = try Self.freePort()

        var config = ["persistence false", "log_dest stderr"]
        // Run as root, mosquitto switches to user "mosquitto", which cannot read our temp files.
        if geteuid() == 0 { config.append("user root") }
        if let username {
            let passwordFile = directory.appendingPathComponent("passwords").path
            // A bound, not a timing: at the start of a full suite dozens of servers start at once.
            let result = try await runTool("mosquitto_passwd", ["-b", "-c", passwordFile, username, password ?? ""], timeout: .seconds(60))
            guard result.status == 0 else {
                throw Failure(description: "mosquitto_passwd failed (status \(result.status), -1 = still running after 60 s): \(result.output)")
            }
            config += ["allow_anonymous false", "password_file \(passwordFile)"]
        } else {
            config.append("allow_anonymous true")
        }
        configLines = config
        try writeConfig()
    }

    deinit {
        killNow()
        try? FileManager.default.removeItem(at: directory)
    }

    private var configPath: String { directory.appendingPathComponent("mosquitto.conf").path }

    private func writeConfig() throws {
        let text = (["listener \(port) 127.0.0.1"] + configLines).joined(separator: "\n") + "\n"
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts the broker and returns once it accepts TCP connections.
    ///
    /// Another process on this machine may grab our port between the check and mosquitto's
    /// bind. Before any client knows the port (`newPortOnConflict`) we move to another one;
    /// on a restart we wait for the port to come free.
    public func start(newPortOnConflict: Bool = false) async throws {
        for attempt in 1...5 {
            do {
                try await launch()
                return
            } catch let failure as Failure where failure.addressInUse && attempt < 5 {
                if newPortOnConflict {
                    let newPort = try Self.freePort()
                    lock.withLock { currentPort = newPort }
                    try writeConfig()
                } else {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }

    private func launch() async throws {
        let logPath = directory.appendingPathComponent("broker.log").path
        let pid = try spawnTool("mosquitto", ["-c", configPath], outputPath: logPath)
        lock.withLock { self.pid = pid }

        // Polled from the test's task: on a loaded two-core run the task can sleep past the
        // deadline (other suites block the pool while they start PostgreSQL), so the deadline
        // is generous and the broker gets one last look before it counts as failed.
        let deadline = ContinuousClock.now + .seconds(10)
        var last = false
        repeat {
            last = ContinuousClock.now >= deadline
            if exitStatus(of: pid) != nil {
                lock.withLock { self.pid = nil }
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw Failure(description: "mosquitto exited: \(log)", addressInUse: log.contains("Address already in use"))
            }
            if Self.acceptsConnections(port: port) { return }
            if !last { try await Task.sleep(for: .milliseconds(20)) }
        } while !last
        throw Failure(description: "mosquitto did not listen on port \(port) within 10 s")
    }

    /// Kills the broker and reaps it, so the port is free for a restart. For the client a
    /// killed broker is just a dropped connection, which is what the tests want.
    public func stop() async {
        guard let pid = takePID() else { return }
        kill(pid, SIGKILL)
        _ = await waitForExit(pid, timeout: .seconds(5))
    }

    private func killNow() {
        guard let pid = takePID() else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    private func takePID() -> pid_t? {
        lock.withLock { () -> pid_t? in
            defer { self.pid = nil }
            return self.pid
        }
    }

    // MARK: - Peer clients

    /// First message on `topic` as seen by `mosquitto_sub` (a retained one arrives at once), or nil.
    public func subscribeOnce(_ topic: String, timeout: Int = 3, username: String? = nil, password: String? = nil) async throws -> String? {
        var args = ["-h", host, "-p", "\(port)", "-t", topic, "-C", "1", "-W", "\(timeout)"]
        if let username { args += ["-u", username, "-P", password ?? ""] }
        let result = try await runTool("mosquitto_sub", args)
        guard result.status == 0 else { return nil }
        return result.output.hasSuffix("\n") ? String(result.output.dropLast()) : result.output
    }

    /// Publishes with `mosquitto_pub`.
    public func publish(_ topic: String, _ message: String, retain: Bool = false) async throws {
        var args = ["-h", host, "-p", "\(port)", "-t", topic, "-m", message, "-q", "1"]
        if retain { args.append("-r") }
        let result = try await runTool("mosquitto_pub", args)
        guard result.status == 0 else { throw Failure(description: "mosquitto_pub failed: \(result.output)") }
    }

    // MARK: - Sockets

    /// A bindable port below the kernel's ephemeral range: bind(0) would hand out ports
    /// that outgoing connections (our clients, mosquitto_pub) also draw from, and one of
    /// them could take the port before mosquitto binds it.
    private static func freePort() throws -> Int {
        Shell.ignoreSIGPIPE
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
            .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        let ephemeralStart = range?.first ?? 32768
        let candidates = 10000..<max(ephemeralStart, 10001)
        for _ in 0..<100 {
            let port = Int.random(in: candidates)
            if canBind(port: port) { return port }
        }
        throw Failure(description: "no free port found below \(ephemeralStart)")
    }

    private static func canBind(port: Int) -> Bool { onLoopback(port: port) { bind($0, $1, $2) } }

    private static func acceptsConnections(port: Int) -> Bool { onLoopback(port: port) { connect($0, $1, $2) } }

    /// A fresh TCP socket and 127.0.0.1:port handed to `call` (bind or connect); true when it returns 0.
    private static func onLoopback(port: Int, _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

/// Runs `broker` through `body`, then always stops it and removes its temp dir.
public func withBroker<T>(
    username: String? = nil, password: String? = nil, started: Bool = true,
    _ body: (MosquittoBroker) async throws -> T
) async throws -> T {
    let broker = try await MosquittoBroker(username: username, password: password)
    do {
        if started { try await broker.start(newPortOnConflict: true) }
        let result = try await body(broker)
        await broker.stop()
        return result
    } catch {
        await broker.stop()
        throw error
    }
}

// MARK: - Command-line tools

/// Path of a mosquitto tool; the broker lives in /usr/sbin, often not on PATH.
func findTool(_ name: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/usr/bin"]
    for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
        return "\(directory)/\(name)"
    }
    throw MosquittoBroker.Failure(description: "\(name) not found; apt-get install mosquitto mosquitto-clients")
}

/// Runs a tool to completion (killed after `timeout`) without blocking a Swift concurrency thread.
func runTool(_ name: String, _ arguments: [String], timeout: Duration = .seconds(10)) async throws -> (status: Int32, output: String) {
    let outputPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("mqtt-test-tool-\(UUID().uuidString).out").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let pid = try spawnTool(name, arguments, outputPath: outputPath)
    let status = await waitForExit(pid, timeout: timeout)
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    return (status ?? -1, output)
}

/// posix_spawn with a clean signal mask. Foundation's Process is not used because children
/// inherit the mask of the spawning thread, and the test runner's threads block most signals:
/// mosquitto would then ignore SIGTERM and mosquitto_sub's -W timeout (SIGALRM) never fires.
func spawnTool(_ name: String, _ arguments: [String], outputPath: String) throws -> pid_t {
    let path = try findTool(name)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGALRM] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    guard rc == 0 else {
        throw MosquittoBroker.Failure(description: "spawning \(name) failed: \(String(cString: strerror(rc)))")
    }
    return pid
}

/// The exit status once `pid` has ended (and reaps it), nil while it runs.
func exitStatus(of pid: pid_t) -> Int32? {
    var status: Int32 = 0
    guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
    // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// Polls until `pid` exits; SIGKILLs it after `timeout`.
func waitForExit(_ pid: pid_t, timeout: Duration) async -> Int32? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let status = exitStatus(of: pid) { return status }
        try? await Task.sleep(for: .milliseconds(10))
    }
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return nil
}
