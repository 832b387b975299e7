import ExportCore
import Foundation
import Testing
import TestSupport

@Suite("Hostile album and file names end up as safe paths inside export_dir")
struct HostileNamesTests {
    static let albumNames = [
        "../../escape", "/etc", "..", ".", ".hidden", "CON", "a/b\\c", "tab\tand\nnewline", "trailing. ",
        String(repeating: "ü", count: 200), "Cafe\u{0301}", "Café", "UPPER", "upper", "emoji 🎉", "", " ",
        "progress.json", ".immich-export",
    ]

    @Test("every export path is a child of export_dir, distinct and stable")
    func hostile() async throws {
        var fixture = ImmichFixture()
        let u = fixture.addUser("U")
        for name in Self.albumNames {
            let album = fixture.addAlbum(name, owner: u)
            fixture.addAsset("../../../x.jpg", owner: u, in: [album])
            fixture.addAsset("/abs/olute.jpg", owner: u, in: [album])
            fixture.addAsset("", owner: u, in: [album])
            fixture.addAsset("IMG.JPG", owner: u, in: [album])
            fixture.addAsset("img.jpg", owner: u, in: [album])
        }
        try await withSandbox(.d, fixture) { sandbox in
            let first = await sandbox.run()
            #expect(first.status == .complete)
            #expect(first.snapshot.failed == 0)
            let tree = sandbox.exportedTree()
            #expect(tree.count == Self.albumNames.count * 5)
            let root = URL(fileURLWithPath: sandbox.exportDir).standardizedFileURL.path
            for rel in tree.keys {
                let full = URL(fileURLWithPath: sandbox.exportDir + "/" + rel).standardizedFileURL.path
                #expect(full.hasPrefix(root + "/"))
                let parts = rel.split(separator: "/")
                #expect(parts.count == 2, "\(rel)")
                for part in parts {
                    #expect(!part.hasPrefix("."), "\(rel)")
                    #expect(part.utf8.count <= 255)
                    #expect(!part.unicodeScalars.contains { $0.value < 0x20 })
                }
            }
            // No two albums share a folder, case- or normalisation-insensitively.
            let folders = Set(tree.keys.map { String($0.split(separator: "/")[0]) })
            #expect(folders.count == Self.albumNames.count)
            #expect(Set(folders.map(NameSanitizer.collisionKey)).count == folders.count)
            // Nothing escaped: the temp dir holds only export_dir and assets_root.
            let rootEntries = try FileManager.default.contentsOfDirectory(atPath: sandbox.root)
            #expect(Set(rootEntries) == ["export", "immich"])
            // Stable: a second run changes nothing.
            let second = await sandbox.run()
            #expect(second.snapshot.skipped == tree.count)
            #expect(second.snapshot.copied == 0)
            #expect(second.snapshot.deleted == 0)
        }
    }
}
