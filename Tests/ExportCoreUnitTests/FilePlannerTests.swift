import ExportCore
import Testing

@Suite("File planner (pure)")
struct FilePlannerTests {
    func candidate(_ id: String, _ name: String, size: Int64 = 10, mtime: Int64 = 100, missing: Bool = false) -> FileCandidate {
        FileCandidate(
            asset: CatalogAsset(albumID: "al", assetID: id, originalPath: "/data/x/\(id)", originalFileName: name,
                                modifiedMicros: mtime * 1_000_000),
            sourcePath: "/src/\(id)", source: missing ? nil : SourceState(size: size, mtime: mtime),
            sourceProblem: missing ? "not found" : nil)
    }

    func entry(_ name: String, size: Int64 = 10, mtime: Int64 = 100) -> TargetEntry {
        TargetEntry(name: name, size: size, mtime: mtime, isRegularFile: true)
    }

    func plan(_ candidates: [FileCandidate], listing: [TargetEntry] = [], owned: OwnedFiles = [:]) -> [PlannedFile] {
        var ownedInFolder: [String: (albumID: String, assetID: String)] = [:]
        for (asset, file) in owned { ownedInFolder[NameSanitizer.collisionKey(file.name)] = ("al", asset) }
        return FilePlanner.plan(.init(albumID: "al", candidates: candidates,
                                      listing: Dictionary(uniqueKeysWithValues: listing.map { ($0.name, $0) }),
                                      owned: owned, ownedInFolder: ownedInFolder))
    }

    @Test("new files are copied; duplicates get +N in asset order")
    func newFiles() {
        let p = plan([candidate("a", "IMG.JPG"), candidate("b", "IMG.JPG"), candidate("c", "img.jpg")])
        #expect(p.map(\.name) == ["IMG.JPG", "IMG+1.JPG", "img+2.jpg"])
        #expect(p.allSatisfy { $0.action == .copy })
    }

    @Test("owned and identical → skip; owned and different → update; owned but gone from disk → copy")
    func owned() {
        let owned: OwnedFiles = [
            "a": .init(name: "A.jpg", size: 10, mtime: 100),
            "b": .init(name: "B.jpg", size: 10, mtime: 100),
            "c": .init(name: "C.jpg", size: 10, mtime: 100),
        ]
        let p = plan([candidate("a", "A.jpg"), candidate("b", "B.jpg", size: 20), candidate("c", "C.jpg")],
                     listing: [entry("A.jpg"), entry("B.jpg")], owned: owned)
        #expect(p.map(\.action) == [.skip, .update, .copy])
    }

    @Test("a user's file is never taken: identical → adopted, different → next name")
    func userFiles() {
        let p = plan([candidate("a", "same.jpg"), candidate("b", "other.jpg")],
                     listing: [entry("same.jpg"), entry("other.jpg", size: 99)])
        #expect(p[0].action == .adopt)
        #expect(p[0].name == "same.jpg")
        #expect(p[1].action == .copy)
        #expect(p[1].name == "other+1.jpg")
    }

    @Test("a remembered name is kept even when an older duplicate appears")
    func stableNames() {
        let owned: OwnedFiles = ["b": .init(name: "IMG.JPG", size: 10, mtime: 100)]
        let p = plan([candidate("a", "IMG.JPG"), candidate("b", "IMG.JPG")], listing: [entry("IMG.JPG")], owned: owned)
        #expect(p[1].name == "IMG.JPG")
        #expect(p[1].action == .skip)
        #expect(p[0].name == "IMG+1.JPG")
        #expect(p[0].action == .copy)
    }

    @Test("missing source: failed, and an earlier export keeps its name")
    func missing() {
        let owned: OwnedFiles = ["a": .init(name: "A.jpg", size: 10, mtime: 100)]
        let p = plan([candidate("a", "A.jpg", missing: true), candidate("b", "B.jpg", missing: true)],
                     listing: [entry("A.jpg")], owned: owned)
        #expect(p[0].name == "A.jpg")
        #expect(p[0].action == .missingSource("not found"))
        #expect(p[1].name == nil)
    }

    @Test("a file whose asset left the album is reused by a new asset of the same name")
    func reuse() {
        let owned: OwnedFiles = ["old": .init(name: "IMG.JPG", size: 10, mtime: 100)]
        let p = plan([candidate("new", "IMG.JPG", size: 33)], listing: [entry("IMG.JPG")], owned: owned)
        #expect(p[0].name == "IMG.JPG")
        #expect(p[0].action == .update)
        #expect(p[0].replacesAssetID == "old")
    }
}
