import Foundation

/// Runs helper programs for fixtures (initdb, pg_ctl, mosquitto). Not used by the product.
public enum Shell {
    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var output: String
        public var description: String { "`\(command)` exited \(status): \(output)" }
    }

    /// Runs a program to completion and returns its combined output.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) throws -> String {
        // Output goes to a file, not a pipe: a daemon started by the command (pg_ctl start) would
        // inherit the pipe and we would wait for its EOF forever.
        let outputPath = NSTemporaryDirectory() + "/immich-export-shell-\(UUID().uuidString)"
        defer { unlink(outputPath) }
        let pid = try spawn(executable, arguments, outputPath: outputPath)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard code == 0 else {
            throw Failure(command: ([executable] + arguments).joined(separator: " "), status: code, output: output)
        }
        return output
    }

    /// Runs a program on our own terminal (stdin/stdout/stderr inherited) and returns its exit code.
    public static func runForeground(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let pid = try spawn(executable, arguments, outputPath: nil)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Starts a program with stdin from /dev/null, stdout+stderr appended to `outputPath`, and a
    /// clean signal mask. Foundation's Process is avoided: test runners block signals, children
    /// inherit that mask, and its exit monitoring hung for daemonising commands.
    /// `outputPath` nil: the child shares our stdin/stdout/stderr.
    /// `extraEnvironment` is added to this process's environment for the child.
    public static func spawn(_ executable: String, _ arguments: [String], outputPath: String?,
                             extraEnvironment: [String: String] = [:]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let outputPath {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(extraEnvironment) { _, new in new }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw Failure(command: executable, status: rc, output: String(cString: strerror(rc))) }
        return pid
    }

    /// Finds a program on PATH (or nil).
    public static func which(_ name: String, extraDirectories: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in extraDirectories + path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Tests talk to servers that get killed on purpose; a write to their closed socket must not
    /// end the test process with SIGPIPE.
    public static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// A loopback TCP port nobody listens on right now.
    public static func freePort() -> Int {
        ignoreSIGPIPE

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
