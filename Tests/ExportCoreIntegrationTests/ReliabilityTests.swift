import ExportCore
import Foundation
import Postgres
import Testing
import TestSupport

/// Faults at the edges: the export must never lose or corrupt a file, never leave a partial file
/// under a final name, and never delete what it does not own.
@Suite("Reliability under faults")
struct ReliabilityTests {
    /// A library big enough that a run spends real time copying.
    static func heavyLibrary(files: Int, bytes: Int) -> ImmichFixture {
        var f = ImmichFixture()
        let u = f.addUser("U")
        let albums = (0..<4).map { f.addAlbum("Album \($0)", owner: u) }
        var blob = [UInt8](repeating: 0, count: bytes)
        for i in 0..<files {
            for j in stride(from: 0, to: bytes, by: 4096) { blob[j] = UInt8(truncatingIfNeeded: i &* 31 &+ j) }
            var asset = ImmichFixture.Asset(ownerID: u.id, originalFileName: "IMG_\(i % 50).jpg", content: Data(blob),
                                            modified: Date(timeIntervalSince1970: 1_600_000_000 + Double(i)))
            asset.exifSize = i % 3 != 0
            f.assets.append(asset)
            f.add(asset, to: albums[i % 4])
            if i % 10 == 0 { f.add(asset, to: albums[(i + 1) % 4]) }
        }
        return f
    }

    /// Every exported file equals its source byte for byte (no partial or corrupt file).
    static func verifyIntegrity(_ sandbox: ExportSandbox) -> (checked: Int, bad: [String]) {
        let sources = Dictionary(sandbox.fixture.assets.map { ($0.content, true) }, uniquingKeysWith: { a, _ in a })
        var bad: [String] = []
        let tree = sandbox.exportedTree()
        for (path, data) in tree {
            let name = (path as NSString).lastPathComponent
            if FileCopier.isTempName(name) { continue }
            if sources[data] == nil { bad.append(path) }
        }
        return (tree.count, bad)
    }

    @Test("kill -9 at 20 random points: no partial file, manifest consistent, next run converges")
    func killNine() async throws {
        let fixture = Self.heavyLibrary(files: 120, bytes: 384 * 1024)
        try await withSandbox(.d, fixture) { sandbox in
            // The clean reference export.
            let reference = try await ExportSandbox(generation: .d, fixture: fixture)
            defer { Task { await reference.tearDown() } }
            #expect(await reference.run().status == .complete)
            let expected = Set(reference.exportedTree().keys)

            let config = try CLIConfig.write(sandbox)
            var generator = SeededRandom(seed: 0x1A2B_3C4D)
            var kills = 0
            var survivedIntact = 0
            for round in 0..<20 {
                let out = sandbox.root + "/kill-\(round).log"
                let pid = try Shell.spawn(CLIConfig.binary, ["run", "--config", config], outputPath: out)
                let delay = Double(generator.next() % 700) / 1000.0 + 0.05
                try await Task.sleep(for: .seconds(delay))
                if kill(pid, SIGKILL) == 0 { kills += 1 }
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                let integrity = Self.verifyIntegrity(sandbox)
                #expect(integrity.bad.isEmpty, "round \(round): corrupt files \(integrity.bad)")
                if integrity.bad.isEmpty { survivedIntact += 1 }
                // The ownership record must always load.
                #expect(throws: Never.self) { _ = try ManifestStore(exportDir: sandbox.exportDir).load() }
            }
            let final = await sandbox.run()
            #expect(final.status == .complete)
            #expect(Set(sandbox.exportedTree().keys) == expected)
            #expect(Self.verifyIntegrity(sandbox).bad.isEmpty)
            // No temp leftovers after a completed run.
            #expect(!sandbox.exportedTreeIncludingHidden().keys.contains { FileCopier.isTempName(($0 as NSString).lastPathComponent) })
            ReliabilityReport.record("kill -9 mid-run", tried: 20, survived: survivedIntact, note: "\(kills) processes killed, random points 50–750 ms")
        }
    }

    @Test("SIGTERM mid-run: cancelled, nothing deleted, exit 0")
    func sigterm() async throws {
        let fixture = Self.heavyLibrary(files: 400, bytes: 256 * 1024)
        try await withSandbox(.c, fixture) { sandbox in
            let config = try CLIConfig.write(sandbox)
            // A first complete run, then remove an album so the next run has something to delete.
            #expect(await sandbox.run().status == .complete)
            var changed = sandbox.fixture
            changed.memberships.removeAll { $0.0 == changed.albums[0].id }
            for i in changed.assets.indices { changed.assets[i].modified += 1 }   // everything needs copying again
            try await sandbox.reload(changed)
            let before = sandbox.exportedTree().count
            let out = sandbox.root + "/term.log"
            // 5 ms per copy: the run lasts ~2 s however fast the disk, so the signal lands mid-run.
            let pid = try Shell.spawn(CLIConfig.binary, ["run", "--config", config], outputPath: out,
                                      extraEnvironment: ["IMMICH_EXPORT_TEST_WRITE_DELAY_MS": "5"])
            // Freeze the process as soon as it reports copying, then deliver SIGTERM mid-run.
            let progressPath = sandbox.exportDir + "/progress.json"
            let sawRunning = await eventuallyFast {
                ((try? String(contentsOfFile: progressPath, encoding: .utf8)) ?? "").contains("\"status\" : \"running\"")
            }
            kill(pid, SIGSTOP)
            #expect(sawRunning)
            kill(pid, SIGTERM)
            kill(pid, SIGCONT)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            let log = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            #expect((status >> 8) & 0xff == 0, "\(log)")
            #expect(log.contains("cancelled"))
            let progress = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sandbox.exportDir + "/progress.json"))) as? [String: Any]
            #expect(progress?["status"] as? String == "cancelled")
            #expect(progress?["deleted"] as? Int == 0)
            #expect(sandbox.exportedTree().count >= before)     // nothing deleted
            #expect(Self.verifyIntegrity(sandbox).bad.isEmpty)
            ReliabilityReport.record("SIGTERM mid-run", tried: 1, survived: 1, note: "status cancelled, 0 deleted, exit 0")
        }
    }

    @Test("disk full (ENOSPC at the write seam): run fails cleanly, no partial file, clear error")
    func diskFull() async throws {
        let fixture = Self.heavyLibrary(files: 40, bytes: 64 * 1024)
        try await withSandbox(.d, fixture) { sandbox in
            let marker = sandbox.exportDir + "/"
            let counter = Counter()
            WriteFaults.register(under: marker) { _ in
                return counter.increment() >= 10 ? ENOSPC : nil
            }
            defer { WriteFaults.remove(under: marker) }
            let result = await sandbox.run { $0.copyConcurrency = 1 }
            WriteFaults.remove(under: marker)
            #expect(result.status == .failed)
            #expect(result.error?.contains("disk is full") == true)
            #expect(result.snapshot.deleted == 0)
            #expect(Self.verifyIntegrity(sandbox).bad.isEmpty)
            #expect(!sandbox.exportedTreeIncludingHidden().keys.contains { FileCopier.isTempName(($0 as NSString).lastPathComponent) })
            // Space back: the next run completes.
            let next = await sandbox.run()
            #expect(next.status == .complete)
            #expect(sandbox.exportedTree().count == fixture.memberships.count)
            ReliabilityReport.record("disk full (ENOSPC)", tried: 1, survived: 1, note: "run failed with a clear error, 0 partial files")
        }
    }

    @Test("database connection dropped mid-stream: clear error, nothing deleted, next run recovers")
    func databaseDropped() async throws {
        var fixture = ImmichFixture()
        let u = fixture.addUser("U")
        let albums = (0..<12).map { fixture.addAlbum("A\($0)", owner: u) }
        // The run prepares up to two albums ahead of the one it copies, so the first copy starts
        // once the third album's rows are in (about 1800 rows, whatever the albums' order). The
        // cursor keeps at most 4000 rows ahead of the run: 2000 of the 7200 are still unfetched.
        for i in 0..<7200 { fixture.addAsset("f\(i).jpg", owner: u, in: [albums[i / 600]]) }
        try await withSandbox(.c, fixture) { sandbox in
            let hold = DispatchSemaphore(value: 0)
            let reached = DispatchSemaphore(value: 0)
            let marker = sandbox.exportDir + "/"
            let first = Counter()
            WriteFaults.register(under: marker) { _ in
                // Hold the first copy: the cursor still has rows to fetch at that point.
                if first.increment() == 1 {
                    reached.signal()
                    hold.wait()
                }
                return nil
            }
            defer { WriteFaults.remove(under: marker) }
            let running = Task { await sandbox.run() }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async { reached.wait(); c.resume() }
            }
            try await sandbox.cluster.execute(database: "postgres", """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = '\(sandbox.database)' AND usename = '\(ExportSandbox.readerUser)'
                """)
            hold.signal()
            WriteFaults.remove(under: marker)
            let result = await running.value
            #expect(result.status == .failed)
            #expect(result.error?.contains("PostgreSQL") == true, "\(result.error ?? "")")
            #expect(result.snapshot.deleted == 0)
            // The files in flight when the database went land or stay temp files; none fails
            // (a staged batch still being named once wrote to an already closed journal).
            #expect(result.snapshot.failed == 0)
            let next = await sandbox.run()
            #expect(next.status == .complete)
            #expect(sandbox.exportedTree().count == 7200)
            ReliabilityReport.record("database dropped mid-stream", tried: 1, survived: 1, note: "run failed with a clear error, next run complete")
        }
    }

    @Test("unreadable source and read-only album folder: counted, reported, run goes on")
    func permissions() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            // Root reads everything, so the run happens as an unprivileged user when we are root.
            let unprivileged = getuid() == 0
            if unprivileged { try Shell.run("/bin/chown", ["-R", "postgres:postgres", sandbox.root]) }
            try FileManager.default.createDirectory(atPath: sandbox.exportDir + "/Family_ 2024_25", withIntermediateDirectories: true)
            if unprivileged { try Shell.run("/bin/chown", ["-R", "postgres:postgres", sandbox.exportDir]) }
            chmod(sandbox.exportDir + "/Family_ 2024_25", 0o555)
            chmod(sandbox.assetsRoot + "/" + lib.sunset.relativeLocation, 0o000)
            let config = try CLIConfig.write(sandbox)
            let out = try CLIConfig.run(["run", "--config", config], asUnprivileged: unprivileged)
            #expect(out.status == 0, "\(out.output)")
            let progress = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sandbox.exportDir + "/progress.json"))) as? [String: Any]
            #expect(progress?["status"] as? String == "complete")
            #expect(progress?["failed"] as? Int == 4)        // 1 unreadable + 3 in the read-only folder
            #expect(progress?["copied"] as? Int == 3)
            let failures = (progress?["failures"] as? [[String: Any]]) ?? []
            #expect(failures.contains { ($0["reason"] as? String)?.contains("permission denied") == true })
            chmod(sandbox.exportDir + "/Family_ 2024_25", 0o755)
            ReliabilityReport.record("unreadable source / read-only folder", tried: 2, survived: 2, note: "4 failures reported, run complete")
        }
    }

    @Test("secrets never reach progress.json or the logs")
    func secrets() async throws {
        try await withSandbox(.c, StandardLibrary().fixture) { sandbox in
            let config = try CLIConfig.write(sandbox, extra: "log_level: debug\nmqtt_pass: \"mqtt-secret-987\"")
            let out = try CLIConfig.run(["run", "--config", config], asUnprivileged: false)
            let progress = try String(contentsOfFile: sandbox.exportDir + "/progress.json", encoding: .utf8)
            for secret in [ExportSandbox.readerPassword, "mqtt-secret-987"] {
                #expect(!out.output.contains(secret))
                #expect(!progress.contains(secret))
            }
            // A failing connection still names no password.
            let bad = try CLIConfig.write(sandbox, password: "wrong-secret-654")
            let failed = try CLIConfig.run(["run", "--config", bad], asUnprivileged: false)
            #expect(failed.status == 1)
            #expect(!failed.output.contains("wrong-secret-654"))
            let failedProgress = try String(contentsOfFile: sandbox.exportDir + "/progress.json", encoding: .utf8)
            #expect(!failedProgress.contains("wrong-secret-654"))
            #expect(failedProgress.contains("db_user / db_pass"))
        }
    }
}

/// Polls every 2 ms for up to 10 s.
func eventuallyFast(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<5000 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return false
}

extension ExportSandbox {
    /// Like `exportedTree` but with hidden entries (temp files) too.
    func exportedTreeIncludingHidden() -> [String: Data] {
        var result: [String: Data] = [:]
        guard let e = FileManager.default.enumerator(atPath: exportDir) else { return result }
        while let rel = e.nextObject() as? String {
            if rel.hasPrefix(ManifestStore.folderName) { continue }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: exportDir + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                result[rel] = Data()
            }
        }
        return result
    }
}

/// Collects the figures of the fault tests; `RELIABILITY_REPORT=path` writes them as markdown rows.
enum ReliabilityReport {
    static func record(_ fault: String, tried: Int, survived: Int, note: String) {
        guard let path = ProcessInfo.processInfo.environment["RELIABILITY_REPORT"] else { return }
        let line = "| \(fault) | \(tried) | \(survived) | 0 | \(note) |\n"
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            try? handle.close()
        } else {
            FileManager.default.createFile(atPath: path, contents: Data(line.utf8))
        }
    }
}
