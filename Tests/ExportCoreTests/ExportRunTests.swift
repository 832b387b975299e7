#if canImport(Glibc)
import Glibc
#endif
import ExportCore
import Foundation
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
}
