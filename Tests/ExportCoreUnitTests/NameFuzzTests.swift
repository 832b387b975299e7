import ExportCore
import Foundation
import Testing
import TestHelpers

/// Property-based checks of the naming rules over generated hostile names (seeded, replayable).
@Suite("Naming fuzz: ≥ 10k generated names")
struct NameFuzzTests {
    static let pieces: [String] = [
        "..", ".", "/", "\\", ":", "*", "?", "\"", "<", ">", "|", "\u{0}", "\u{1}", "\t", "\n", "\r", "\u{7F}", "\u{85}",
        " ", "  ", "\u{00A0}", "\u{202E}", "\u{200F}", "\u{FEFF}", "CON", "prn", "Aux", "NUL", "COM1", "lpt9", "com¹",
        "e\u{0301}", "é", "É", "Ä", "a\u{0308}", "ß", "SS", "İ", "ı", "😀", "👨‍👩‍👧", "🇩🇪", "中文", "עברית", "العربية",
        "IMG", "img", "Holiday", "HOLIDAY", ".jpg", ".JPG", ".heic", ".tar.gz", "~", "$", "%", "#", "&", "'", "`", "{", "}",
        String(repeating: "a", count: 100), String(repeating: "ü", count: 90), String(repeating: "😀", count: 40),
    ]

    static func randomName(_ g: inout SeededRandom) -> String {
        let count = Int(g.next() % 8)
        var s = ""
        for _ in 0..<count { s += pieces[Int(g.next() % UInt64(pieces.count))] }
        if g.next() % 5 == 0, let scalar = Unicode.Scalar(UInt32(g.next() % 0x2FFFF)) { s.unicodeScalars.append(scalar) }
        return s
    }

    static func check(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name == "." || name == ".." { return "dot name" }
        if name.hasPrefix(".") { return "hidden" }
        if name.contains("/") || name.contains("\\") || name.contains("\u{0}") { return "separator" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) { return "control" }
        if name.utf8.count > 255 { return "too long" }
        if name.hasSuffix(".") || name.hasSuffix(" ") || name.hasPrefix(" ") { return "trailing" }
        if name != name.precomposedStringWithCanonicalMapping { return "not NFC" }
        let base = name.split(separator: ".", maxSplits: 1).first.map { $0.uppercased() } ?? ""
        if ["CON", "PRN", "AUX", "NUL", "COM1", "LPT9"].contains(base) { return "reserved" }
        return nil
    }

    @Test("12k album names: safe, distinct on a case-insensitive share, stable across runs")
    func albums() {
        var g = SeededRandom(seed: 42)
        let albums = (0..<12_000).map { i in CatalogAlbum(id: "album-\(i)", name: Self.randomName(&g), ownerID: nil, assetCount: 1) }
        let first = FolderPlanner.assign(albums: albums, manifest: Manifest(), blocked: [])
        #expect(first.count == albums.count)
        var bad: [String] = []
        for (_, a) in first { if let problem = Self.check(a.folder) { bad.append("\(problem): \(a.folder.debugDescription)") } }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
        let keys = first.values.map { NameSanitizer.collisionKey($0.folder) }
        #expect(Set(keys).count == albums.count, "collisions")
        #expect(!first.values.contains { $0.folder == "progress.json" })

        // Same input → same output; and remembered folders survive unrelated albums arriving first.
        #expect(FolderPlanner.assign(albums: albums, manifest: Manifest(), blocked: []) == first)
        var manifest = Manifest()
        for (id, a) in first { manifest.albums[id] = .init(folder: a.folder, base: a.base) }
        let newcomers = (0..<500).map { i in CatalogAlbum(id: "new-\(i)", name: Self.randomName(&g), ownerID: nil, assetCount: 1) }
        let second = FolderPlanner.assign(albums: newcomers + albums.shuffled(using: &g), manifest: manifest, blocked: [])
        for album in albums { #expect(second[album.id] == first[album.id]) }
        #expect(Set(second.values.map { NameSanitizer.collisionKey($0.folder) }).count == second.count)
    }

    @Test("12k file names in shared albums: safe, distinct, never escaping the folder")
    func files() {
        var g = SeededRandom(seed: 7)
        var total = 0
        for albumIndex in 0..<60 {
            let candidates = (0..<200).map { i in
                FileCandidate(
                    asset: CatalogAsset(albumID: "a\(albumIndex)", assetID: "x\(i)", originalPath: "/data/x", originalFileName: Self.randomName(&g),
                                        modifiedMicros: 1_000_000),
                    sourcePath: "/src", source: SourceState(size: 1, mtime: 1), sourceProblem: nil)
            }
            total += candidates.count
            let plan = FilePlanner.plan(.init(albumID: "a\(albumIndex)", candidates: candidates, listing: [:], owned: [:], ownedInFolder: [:]))
            let names = plan.compactMap(\.name)
            #expect(names.count == candidates.count)
            for name in names { #expect(Self.check(name) == nil, "\(name.debugDescription)") }
            #expect(Set(names.map(NameSanitizer.collisionKey)).count == names.count)
            let again = FilePlanner.plan(.init(albumID: "a\(albumIndex)", candidates: candidates, listing: [:], owned: [:], ownedInFolder: [:]))
            #expect(again.compactMap(\.name) == names)
        }
        #expect(total >= 12_000)
    }
}
