import ExportCore
import Foundation
import Testing

@Suite("Folder and file names")
struct NamingTests {
    @Test("folder names are safe", arguments: [
        ("Holiday", "Holiday"),
        ("Family: 2024/25", "Family_ 2024_25"),
        ("a\\b*c?d\"e<f>g|h", "a_b_c_d_e_f_g_h"),
        ("..", "Untitled album"),
        ("../../etc", "_.._etc"),
        (".hidden", "hidden"),
        ("...dots...", "dots"),
        ("  spaced  ", "spaced"),
        ("trailing. . ", "trailing"),
        ("tab\there", "tab_here"),
        ("new\nline", "new_line"),
        ("CON", "CON_"),
        ("nul.txt", "nul_.txt"),
        ("Com1", "Com1_"),
        ("LPT9.tar.gz", "LPT9_.tar.gz"),
        ("", "Untitled album"),
        ("   ", "Untitled album"),
        ("😀 Party", "😀 Party"),
        ("evil\u{202E}gpj.exe", "evilgpj.exe"),
    ])
    func folder(raw: String, expected: String) {
        #expect(NameSanitizer.folderName(raw) == expected)
    }

    @Test("NFC: decomposed and composed forms give the same name")
    func nfc() {
        let decomposed = "Cafe\u{0301}"
        let composed = "Café"
        #expect(NameSanitizer.folderName(decomposed) == composed)
        #expect(Array(NameSanitizer.folderName(decomposed).utf8) == Array(composed.utf8))
    }

    @Test("file names keep their extension when cut to 255 bytes")
    func longNames() {
        let long = String(repeating: "é", count: 300) + ".HEIC"
        let name = NameSanitizer.fileName(long)
        #expect(name.utf8.count <= 255)
        #expect(name.hasSuffix(".HEIC"))
        let numbered = NameSanitizer.numbered(name, 12, isFile: true)
        #expect(numbered.utf8.count <= 255)
        #expect(numbered.hasSuffix("+12.HEIC"))
        let emoji = String(repeating: "👨‍👩‍👧", count: 100)
        let folder = NameSanitizer.folderName(emoji)
        #expect(folder.utf8.count <= 255)
        #expect(folder.unicodeScalars.last.map { $0.properties.isEmoji } == true)  // not cut mid-cluster
    }

    @Test("duplicate marker follows Immich: name+N.ext", arguments: [
        ("IMG_0001.JPG", 1, "IMG_0001+1.JPG"),
        ("archive.tar.gz", 2, "archive.tar+2.gz"),
        ("noext", 3, "noext+3"),
    ])
    func numbered(name: String, n: Int, expected: String) {
        #expect(NameSanitizer.numbered(name, n, isFile: true) == expected)
    }

    @Test("collision keys fold case and normalisation")
    func collisionKeys() {
        #expect(NameSanitizer.collisionKey("IMG.JPG") == NameSanitizer.collisionKey("img.jpg"))
        #expect(NameSanitizer.collisionKey("Cafe\u{0301}") == NameSanitizer.collisionKey("café"))
    }

    @Test("folder planner: duplicates get +N, remembered folders win, reserved names are skipped")
    func folderPlanner() {
        let albums = [
            CatalogAlbum(id: "1", name: "Holiday", ownerID: nil, assetCount: 1),
            CatalogAlbum(id: "2", name: "holiday", ownerID: nil, assetCount: 1),
            CatalogAlbum(id: "3", name: "progress.json", ownerID: nil, assetCount: 1),
            CatalogAlbum(id: "4", name: "Notes", ownerID: nil, assetCount: 1),
        ]
        var manifest = Manifest()
        let fresh = FolderPlanner.assign(albums: albums, manifest: manifest, blocked: [NameSanitizer.collisionKey("notes")])
        #expect(fresh["1"]?.folder == "Holiday")
        #expect(fresh["2"]?.folder == "holiday+1")
        #expect(fresh["3"]?.folder == "progress.json+1")
        #expect(fresh["4"]?.folder == "Notes+1")
        // Album 2 was exported first in an earlier run: it keeps "holiday".
        manifest.albums["2"] = .init(folder: "holiday", base: "holiday")
        let again = FolderPlanner.assign(albums: albums, manifest: manifest, blocked: [])
        #expect(again["2"]?.folder == "holiday")
        #expect(again["1"]?.folder == "Holiday+1")
    }
}

@Suite("Path mapping")
struct PathMapperTests {
    let mapper = PathMapper(assetsRoot: "/media/immich", userMappings: [
        PathMapping(from: "/mnt/external", to: "/media/external"),
    ])

    @Test("every stored path form lands under assets_root", arguments: [
        ("upload/upload/u1/ab/cd/x.jpg", "/media/immich/upload/u1/ab/cd/x.jpg"),
        ("upload/library/admin/2024/x.jpg", "/media/immich/library/admin/2024/x.jpg"),
        ("/usr/src/app/upload/upload/u1/ab/cd/x.jpg", "/media/immich/upload/u1/ab/cd/x.jpg"),
        ("/usr/src/app/upload/library/admin/x.jpg", "/media/immich/library/admin/x.jpg"),
        ("/data/upload/u1/ab/cd/x.jpg", "/media/immich/upload/u1/ab/cd/x.jpg"),
        ("/data/library/alice/2024/x.jpg", "/media/immich/library/alice/2024/x.jpg"),
        ("/mnt/external/photos/x.jpg", "/media/external/photos/x.jpg"),
    ])
    func mapped(stored: String, local: String) {
        #expect(mapper.localPath(for: stored) == local)
    }

    @Test("unmapped, prefix look-alikes and escapes give nil", arguments: [
        "/database/upload/x.jpg",
        "/mnt/externalother/x.jpg",
        "/somewhere/else.jpg",
        "/data/upload/../../etc/passwd",
        "/data/",
    ])
    func rejected(stored: String) {
        #expect(mapper.localPath(for: stored) == nil)
    }

    @Test("non-ASCII paths map byte for byte")
    func nonASCII() {
        #expect(mapper.localPath(for: "/data/library/zoë/été 2024/ß.jpg") == "/media/immich/library/zoë/été 2024/ß.jpg")
        #expect(mapper.localPath(for: "/mnt/external/日本/写真.jpg") == "/media/external/日本/写真.jpg")
    }

    @Test("user mappings win over the defaults")
    func userFirst() {
        let m = PathMapper(assetsRoot: "/a", userMappings: [PathMapping(from: "/data/upload", to: "/b/")])
        #expect(m.localPath(for: "/data/upload/x.jpg") == "/b/x.jpg")
        #expect(m.localPath(for: "/data/library/x.jpg") == "/a/library/x.jpg")
    }
}

@Suite("Deletion guard (rules of the add-on we replace)")
struct DeletionGuardTests {
    typealias F = DeletionGuard.Facts
    static let rule = GuardRule(minFoundAbsolute: 100, minFoundFraction: 0.05)

    @Test("decisions", arguments: [
        (F(assetsRootAvailable: true, assetsRootEmpty: false, expected: 1000, found: 1000, runCompleted: true), true),
        (F(assetsRootAvailable: false, assetsRootEmpty: true, expected: 1000, found: 0, runCompleted: true), false),
        (F(assetsRootAvailable: true, assetsRootEmpty: true, expected: 1000, found: 0, runCompleted: true), false),
        (F(assetsRootAvailable: true, assetsRootEmpty: false, expected: 1000, found: 0, runCompleted: true), false),
        (F(assetsRootAvailable: true, assetsRootEmpty: false, expected: 0, found: 0, runCompleted: true), false),
        (F(assetsRootAvailable: true, assetsRootEmpty: false, expected: 10000, found: 99, runCompleted: true), false),
        (F(assetsRootAvailable: true, assetsRootEmpty: false, expected: 10000, found: 100, runCompleted: true), true),
        (F(assetsRootAvailable: true, assetsRootEmpty: false, expected: 1000, found: 50, runCompleted: true), true),
        (F(assetsRootAvailable: true, assetsRootEmpty: false, expected: 1000, found: 49, runCompleted: true), false),
        (F(assetsRootAvailable: true, assetsRootEmpty: false, expected: 10, found: 10, runCompleted: false), false),
    ])
    func decide(facts: F, allowed: Bool) {
        let decision = DeletionGuard.decide(facts, rule: Self.rule, assetsRoot: "/media/immich")
        #expect((decision == .allow) == allowed, "\(decision)")
    }
}

@Suite("Export order within an album")
struct ExportOrderTests {
    @Test("sortForExport gives exactly exportOrder, ties and unknown times included")
    func sameAsComparator() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20 {
            var rows: [CatalogAsset] = []
            for i in 0..<(round * 37 % 500 + 1) {
                var asset = CatalogAsset(albumID: "al", assetID: String(format: "%08x-id", Int.random(in: 0..<100_000, using: &generator)),
                                         originalPath: "/data/\(i).jpg", originalFileName: "\(i).jpg", modifiedMicros: nil)
                // Few distinct times, so many ties; some rows without one.
                asset.createdMicros = Int.random(in: 0..<5, using: &generator) == 0 ? nil : Int64.random(in: -3...3, using: &generator) * 1_000_000
                rows.append(asset)
            }
            let expected = rows.sorted(by: CatalogAsset.exportOrder)
            CatalogAsset.sortForExport(&rows)
            #expect(rows.map(\.assetID) == expected.map(\.assetID))
            #expect(rows.map(\.createdMicros) == expected.map(\.createdMicros))
            #expect(rows.map(\.originalPath) == expected.map(\.originalPath) || Set(rows.map(\.assetID)).count < rows.count)
        }
    }
}
