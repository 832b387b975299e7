@testable import ExportCore
import Foundation
import Testing

@Suite("Manifest store: snapshot + journal")
struct ManifestStoreTests {
    let album = "5f2b1c7e-0000-4000-8000-00000000000a"
    let asset = "0f8fad5b-d9cb-469f-a165-70867728950e"

    func withStore(_ body: (ManifestStore, String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/" + ManifestStore.folderName, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(ManifestStore(exportDir: dir), dir + "/" + ManifestStore.folderName)
    }

    @Test("records load from their bytes; a torn last journal line is ignored; compaction round-trips")
    func loadAndRoundTrip() throws {
        try withStore { store, dir in
            try """
            immich-export manifest 1
            D\tHoliday
            A\t\(album)\tHoliday\tHoliday
            +\t\(album)\t\(asset)\t10\t-5\tSommer am Meer ☀️.jpg
            +\t\(album)\t\(asset)#live\t20\t1700000000\tSommer am Meer ☀️.mov
            +\t\(album)\tlegacy-id\t30\t1700000001\tname with\u{0020}spaces.jpg
            A\tplain-album\tOther\tOther
            +\tplain-album\t\(asset)\t40\t1\tX.jpg

            """.write(toFile: dir + "/manifest.tsv", atomically: false, encoding: .utf8)
            try "-\tplain-album\t\(asset)\n+\t\(album)\tnew\t5\t6\tn.jpg\n+\t\(album)\ttorn\t7".write(toFile: dir + "/journal.tsv", atomically: false, encoding: .utf8)
            let manifest = try store.load()
            #expect(manifest.createdFolders == ["Holiday"])
            let files = try #require(manifest.albums[album]?.files)
            #expect(files[asset] == .init(name: "Sommer am Meer ☀️.jpg", size: 10, mtime: -5))
            #expect(files[asset + "#live"]?.size == 20)
            #expect(files["legacy-id"]?.name == "name with spaces.jpg")
            #expect(files["new"]?.name == "n.jpg")
            #expect(files["torn"] == nil)
            #expect(manifest.albums["plain-album"]?.files.isEmpty == true)

            // A small journal stays: the snapshot is not rewritten for a few lines.
            let snapshotBefore = try String(contentsOfFile: dir + "/manifest.tsv", encoding: .utf8)
            try store.compact(manifest)
            #expect(try String(contentsOfFile: dir + "/manifest.tsv", encoding: .utf8) == snapshotBefore)
            #expect(try store.load() == manifest)

            try store.compact(manifest, force: true)
            #expect(try String(contentsOfFile: dir + "/journal.tsv", encoding: .utf8).isEmpty)
            #expect(try store.load() == manifest)
        }
    }

    @Test("a damaged snapshot line is an error naming the line, never a silently smaller record")
    func damagedSnapshot() throws {
        try withStore { store, dir in
            try "immich-export manifest 1\nA\ta\tF\tF\n+\ta\tb\tnot-a-number\t1\tx.jpg\n".write(toFile: dir + "/manifest.tsv", atomically: false, encoding: .utf8)
            #expect(throws: ManifestError.self) { try store.load() }
            do { _ = try store.load() } catch { #expect("\(error)".contains("line 3")) }
        }
    }
}
