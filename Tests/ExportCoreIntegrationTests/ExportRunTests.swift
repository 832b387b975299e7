#if canImport(Glibc)
import Glibc
#endif
import ExportCore
import Foundation
import Logging
import Synchronization
import Testing
import TestSupport

@Suite("Export against a real PostgreSQL, every schema generation")
struct ExportRunTests {
    @Test("same output tree from each generation", arguments: SchemaGeneration.allCases)
    func sameTree(generation: SchemaGeneration) async throws {
        let lib = StandardLibrary()
        try await withSandbox(generation, lib.fixture) { sandbox in
            let result = await sandbox.run()
            #expect(result.status == .complete, "\(result.error ?? "")")
            let expected = lib.expectedTree(generation)
            #expect(sandbox.textTree() == expected)
            #expect(result.snapshot.copied == expected.count)
            #expect(result.snapshot.total == expected.count)
            #expect(result.snapshot.failed == 0)
            #expect(result.snapshot.bytesTotal == result.snapshot.bytesCopied)
            #expect(result.snapshot.schema == generation.rawValue)
            #expect(result.snapshot.immichVersion == ImmichFixture.versionString(generation))
            // mtime = Immich's fileModifiedAt
            let st = try FileSystem.statPath(sandbox.exportDir + "/Holiday/beach.jpg")
            #expect(st.mtime == Int64(lib.beach.modified.timeIntervalSince1970))
        }
    }

    @Test("re-run skips everything", arguments: [SchemaGeneration.a2, .d])
    func rerunSkips(generation: SchemaGeneration) async throws {
        try await withSandbox(generation, StandardLibrary().fixture) { sandbox in
            _ = await sandbox.run()
            let manifestPath = sandbox.exportDir + "/.immich-export/manifest.tsv"
            var before = stat(), after = stat()
            stat(manifestPath, &before)
            let second = await sandbox.run()
            stat(manifestPath, &after)
            #expect(before.st_ino == after.st_ino, "a run that changed nothing must not rewrite the ownership record")
            #expect(second.status == .complete)
            #expect(second.snapshot.copied == 0)
            #expect(second.snapshot.skipped == 7)
            #expect(second.snapshot.deleted == 0)
        }
    }

    @Test("the byte total follows the files when Immich's recorded sizes are missing or stale")
    func byteTotalFollowsTheFiles() async throws {
        var f = ImmichFixture()
        let u = f.addUser("U")
        let unrecorded = f.addAlbum("Unrecorded", owner: u), stale = f.addAlbum("Stale", owner: u)
        for i in 0..<3 {
            let a = f.addAsset("n\(i).jpg", owner: u, content: String(repeating: "n", count: 1000 + i), in: [unrecorded])
            f.update(a.id) { $0.exifSize = false }
        }
        for i in 0..<3 {
            // Two recorded smaller than the file, one larger.
            let a = f.addAsset("s\(i).jpg", owner: u, content: String(repeating: "s", count: 2000), in: [stale])
            f.update(a.id) { $0.recordedSize = i == 2 ? 50_000 : 10 }
        }
        let real = Int64(1000 + 1001 + 1002 + 3 * 2000)
        try await withSandbox(.d, f) { sandbox in
            let dry = await sandbox.run(dryRun: true)
            #expect(dry.snapshot.bytesTotal == real && dry.snapshot.bytesCopied == real)
            let first = await sandbox.run()
            #expect(first.status == .complete, "\(first.error ?? "")")
            #expect(first.snapshot.bytesTotal == real && first.snapshot.bytesCopied == real)
            // Nothing to copy: the total is still the files' size, not Immich's record.
            let again = await sandbox.run()
            #expect(again.snapshot.skipped == 6 && again.snapshot.bytesCopied == 0)
            #expect(again.snapshot.bytesTotal == real)
        }
    }

    @Test("while a run copies, current_album tells two albums named Holiday apart by their folder")
    func currentAlbumOfSameNamedAlbums() async throws {
        try await withSandbox(.d, StandardLibrary().fixture) { sandbox in
            let tracker = ProgressTracker()
            let seen = Mutex<Set<String>>([])
            WriteFaults.register(under: sandbox.exportDir) { _ in
                if let album = tracker.snapshot().currentAlbum { seen.withLock { _ = $0.insert(album) } }
                return nil
            }
            defer { WriteFaults.remove(under: sandbox.exportDir) }
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            let config = sandbox.config { $0.copyConcurrency = 1 }
            let result = await ExportRun(config: config, dryRun: false, tracker: tracker, control: RunControl(), logger: logger).run()
            #expect(result.status == .complete, "\(result.error ?? "")")
            let folders = result.snapshot.albums.filter { $0.name == "Holiday" }.map(\.folder).sorted()
            #expect(folders == ["Holiday", "Holiday+1"])
            // Alice's Holiday copies three files, each while it is the current album.
            let labels = seen.withLock { $0 }
            #expect(labels.contains("Holiday (folder Holiday)"), "\(labels)")
            #expect(labels.isSubset(of: ["Holiday (folder Holiday)", "Holiday (folder Holiday+1)", "Family: 2024/25"]), "\(labels)")
        }
    }
}
