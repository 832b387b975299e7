#if canImport(Glibc)
import Glibc
#endif
import ExportCore
import Foundation
import Logging
import Testing
import TestSupport

@Suite("verify: SHA-1 against Immich's checksum, after copying and on demand")
struct VerifyTests {
    func verifier(_ sandbox: ExportSandbox) -> ExportVerifier {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return ExportVerifier(config: sandbox.config(), logger: logger)
    }

    func writeConfig(_ sandbox: ExportSandbox) throws -> String {
        try CLIConfig.write(sandbox, extra: "log_level: error")
    }

    /// Changes one byte in place, keeping the size and restoring the modification time.
    func corrupt(_ path: String) throws {
        let st = try FileSystem.statPath(path)
        var data = try #require(FileManager.default.contents(atPath: path))
        data[data.count / 2] ^= 0x20
        try data.write(to: URL(fileURLWithPath: path))
        var times = [timeval(tv_sec: time_t(st.mtime), tv_usec: 0), timeval(tv_sec: time_t(st.mtime), tv_usec: 0)]
        #expect(utimes(path, &times) == 0)
        let after = try FileSystem.statPath(path)
        #expect(after.size == st.size && after.mtime == st.mtime)
    }

    /// Every byte of export_dir, our own records included.
    func everything(_ dir: String) -> [String: Data] {
        var result: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: dir)
        while let rel = e?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: dir + "/" + rel) { result[rel] = data }
        }
        return result
    }

    @Test("a clean export with verify on copies everything and verifies 100%", arguments: [SchemaGeneration.a1, .b, .d])
    func cleanExport(generation: SchemaGeneration) async throws {
        let lib = StandardLibrary()
        try await withSandbox(generation, lib.fixture) { sandbox in
            let result = await sandbox.run { $0.verify = true }
            #expect(result.status == .complete, "\(result.error ?? "")")
            #expect(result.snapshot.failed == 0, "\(result.snapshot.failures)")
            let expected = lib.expectedTree(generation)
            #expect(sandbox.textTree() == expected)

            let before = everything(sandbox.exportDir)
            let report = try await verifier(sandbox).verify()
            #expect(report.checked == expected.count)
            #expect(report.matched == expected.count)
            #expect(report.mismatched == 0 && report.missing == 0 && report.skippedNoChecksum == 0 && report.notExported == 0)
            #expect(report.bytesHashed == expected.values.reduce(0) { $0 + Int64($1.utf8.count) })
            #expect(report.isClean)
            #expect(everything(sandbox.exportDir) == before, "verify must not change anything")
        }
    }

    @Test("a file corrupted after export (same size and mtime) is reported by ExportVerifier and the CLI")
    func corruptedAfterExport() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.c, lib.fixture) { sandbox in
            #expect(await sandbox.run().snapshot.failed == 0)
            let config = try writeConfig(sandbox)
            let clean = try runCLI(["verify", "--config", config])
            #expect(clean.status == 0, "\(clean.output)")
            #expect(clean.output.contains("matched 7"), "\(clean.output)")

            try corrupt(sandbox.exportDir + "/Holiday/sunset.HEIC")
            try FileManager.default.removeItem(atPath: sandbox.exportDir + "/Family_ 2024_25/IMG_0001+1.JPG")
            // A normal run does not notice: size and time still match what it wrote.
            let rerun = await sandbox.run()
            #expect(rerun.snapshot.copied == 1 && rerun.snapshot.skipped == 6)   // only the deleted one comes back
            try FileManager.default.removeItem(atPath: sandbox.exportDir + "/Family_ 2024_25/IMG_0001+1.JPG")

            let before = everything(sandbox.exportDir)
            let report = try await verifier(sandbox).verify()
            #expect(report.checked == 6)
            #expect(report.matched == 5)
            #expect(report.mismatched == 1)
            #expect(report.missing == 1)
            #expect(!report.isClean)
            #expect(report.mismatches.map(\.path) == ["Holiday/sunset.HEIC"])
            #expect(report.mismatches.first?.expected == SHA1.hex(of: "content of sunset.HEIC #1"))
            #expect(report.mismatches.first?.actual == (try SHA1.hexOfFile(atPath: sandbox.exportDir + "/Holiday/sunset.HEIC")))
            #expect(report.missingFiles.map(\.path) == ["Family_ 2024_25/IMG_0001+1.JPG"])
            #expect(report.missingFiles.first?.reason == "not found")
            #expect(everything(sandbox.exportDir) == before, "verify must not change anything")

            let (status, output) = try runCLI(["verify", "--config", config])
            #expect(status == 1, "\(output)")
            #expect(output.contains("mismatched 1"), "\(output)")
            #expect(output.contains("mismatch: \(sandbox.exportDir)/Holiday/sunset.HEIC"), "\(output)")
            #expect(output.contains("missing: \(sandbox.exportDir)/Family_ 2024_25/IMG_0001+1.JPG"), "\(output)")
            #expect(!output.contains(ExportSandbox.readerPassword))
        }
    }

    @Test("verify: true — a source that does not match Immich's checksum fails and never appears under its name")
    func sourceMismatchDuringRun() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            // Bit rot in the library: same size, different bytes than Immich hashed at upload.
            try corrupt(sandbox.assetsRoot + "/" + lib.beach.relativeLocation)
            let result = await sandbox.run { $0.verify = true }
            #expect(result.status == .complete, "\(result.error ?? "")")
            #expect(result.snapshot.failed == 2)     // beach.jpg is in two albums
            #expect(result.snapshot.copied == 5)
            let failures = result.snapshot.failures
            #expect(failures.count == 2)
            #expect(failures.allSatisfy { $0.reason.contains("checksum mismatch: expected \(SHA1.hex(of: "content of beach.jpg #0")), got ") }, "\(failures)")
            #expect(Set(failures.map(\.path)) == ["Holiday/beach.jpg", "Family_ 2024_25/beach.jpg"])
            let tree = sandbox.textTree()
            #expect(tree["Holiday/beach.jpg"] == nil)
            #expect(tree["Family_ 2024_25/beach.jpg"] == nil)
            #expect(tree.keys.allSatisfy { !FileCopier.isTempName(($0 as NSString).lastPathComponent) }, "\(tree.keys)")
            // Not owned, so the verifier sees them as not exported, not as mismatches.
            let report = try await verifier(sandbox).verify()
            #expect(report.isClean && report.checked == 5 && report.notExported == 2)

            // Without verify the same source is copied as it is, and `verify` then reports it.
            let plain = await sandbox.run()
            #expect(plain.snapshot.failed == 0 && plain.snapshot.copied == 2)
            let after = try await verifier(sandbox).verify()
            #expect(after.mismatched == 2 && after.matched == 5)
        }
    }

    @Test("'sha1-path' assets (checksum of the path) are skipped, not failed")
    func sha1PathSkipped() async throws {
        var lib = StandardLibrary()
        lib.fixture.update(lib.sunset.id) {
            $0.checksumAlgorithm = "sha1-path"
            $0.checksumOverride = SHA1.hex(of: "/mnt/external/sunset.HEIC")
        }
        try await withSandbox(.d, lib.fixture) { sandbox in
            let result = await sandbox.run { $0.verify = true }
            #expect(result.snapshot.failed == 0, "\(result.snapshot.failures)")
            #expect(sandbox.textTree()["Holiday/sunset.HEIC"] == "content of sunset.HEIC #1")
            let report = try await verifier(sandbox).verify()
            #expect(report.skippedNoChecksum == 1)
            #expect(report.checked == 6 && report.matched == 6)
            #expect(report.isClean)
        }
    }

    @Test("the CLI: nothing exported yet is a failure; a bad config exits 2")
    func cliEdges() async throws {
        try await withSandbox(.b, StandardLibrary().fixture) { sandbox in
            let config = try writeConfig(sandbox)
            let (status, output) = try runCLI(["verify", "--config", config])
            #expect(status == 1, "\(output)")
            #expect(output.contains("no exported files"), "\(output)")
            #expect(!FileManager.default.fileExists(atPath: sandbox.exportDir + "/" + ManifestStore.folderName))
            let bad = sandbox.root + "/bad.yaml"
            try "export_dir: \(sandbox.exportDir)\ncopy_concurrency: many\n".write(toFile: bad, atomically: true, encoding: .utf8)
            #expect(try runCLI(["verify", "--config", bad]).status == 2)
        }
    }
}
