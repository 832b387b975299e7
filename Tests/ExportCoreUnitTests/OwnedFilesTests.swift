@testable import ExportCore
import Testing

@Suite("Owned files (compact manifest entries)")
struct OwnedFilesTests {
    let uuid = "0f8fad5b-d9cb-469f-a165-70867728950e"

    @Test("every id comes back exactly as stored, packed or not")
    func idsRoundTrip() {
        let ids = [uuid, uuid + "#live", uuid + "#xmp", uuid.uppercased(), "a1", uuid + "#other", String(uuid.dropLast()),
                   "0f8fad5b_d9cb-469f-a165-70867728950e", "", "ünïcödé"]
        var files = OwnedFiles()
        for (i, id) in ids.enumerated() { files[id] = .init(name: "f\(i).jpg", size: Int64(i), mtime: 100) }
        #expect(files.count == ids.count)
        #expect(Set(files.map(\.assetID)) == Set(ids))
        #expect(files.sortedAssetIDs == ids.sorted())
        for (i, id) in ids.enumerated() { #expect(files[id]?.name == "f\(i).jpg") }
    }

    @Test("canonical UUIDs are packed; upper case and other ids are kept verbatim")
    func packing() {
        guard case .uuid(_, _, companion: 0) = OwnedFiles.PackedID(uuid) else { Issue.record("not packed"); return }
        guard case .uuid(_, _, companion: 1) = OwnedFiles.PackedID(uuid + "#live") else { Issue.record("live not packed"); return }
        #expect(OwnedFiles.PackedID(uuid.uppercased()) == .other(uuid.uppercased()))
        #expect(OwnedFiles.PackedID("a1") == .other("a1"))
    }

    @Test("a character next to a hex digit, at any digit position, keeps the id verbatim")
    func nearHexCharacters() {
        let digitPositions = uuid.indices.filter { uuid[$0] != "-" }
        for position in digitPositions {
            for bad in ["/", ":", "@", "G", "`", "g", "A", "F"] {
                var id = uuid
                id.replaceSubrange(position...position, with: bad)
                #expect(OwnedFiles.PackedID(id) == .other(id), "\(id)")
                #expect(OwnedFiles.PackedID(id).assetID == id)
            }
        }
        // Every digit value survives the round trip.
        let all = "01234567-89ab-cdef-0123-456789abcdef"
        #expect(OwnedFiles.PackedID(all).assetID == all)
        guard case .uuid = OwnedFiles.PackedID(all) else { Issue.record("not packed"); return }
    }

    @Test("remove and replace")
    func mutations() {
        var files: OwnedFiles = [uuid: .init(name: "a.jpg", size: 1, mtime: 2), "b": .init(name: "b.jpg", size: 3, mtime: 4)]
        files[uuid]?.seen = true
        files["b"] = .init(name: "b2.jpg", size: 5, mtime: 6)
        #expect(files[uuid]?.seen == true && files["b"]?.seen == false)
        files[uuid] = nil
        #expect(files.count == 1 && files["b"]?.name == "b2.jpg" && files[uuid] == nil)
    }
}

@Suite("Owned files: consolidation")
struct OwnedFilesConsolidationTests {
    @Test("files added in any order end in the sorted columns with their seen marks, other ids stay")
    func consolidate() {
        var files = OwnedFiles()
        var expected: [String: Manifest.OwnedFile] = [:]
        var random = SystemRandomNumberGenerator()
        for i in 0..<300 {
            let id = (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max, using: &random)) }
            let uuid = "\(id[0])-\(id[1].prefix(4))-\(id[1].suffix(4))-\(id[2].prefix(4))-\(id[2].suffix(4))\(id[3])"
            var file = Manifest.OwnedFile(name: "IMG_\(i).jpg", size: Int64(i), mtime: 1000 + Int64(i))
            file.seen = i % 3 == 0
            files[uuid] = file
            expected[uuid] = file
        }
        files["legacy"] = .init(name: "old.jpg", size: 1, mtime: 2)
        expected["legacy"] = .init(name: "old.jpg", size: 1, mtime: 2)
        files.consolidate()
        #expect(files.count == expected.count)
        for (id, file) in expected {
            #expect(files[id] == file)
            #expect(files[id]?.seen == file.seen)
        }
        // `unseen` lists exactly the unclaimed entries, from the columns and the dictionary.
        #expect(Set(files.unseen.map(\.assetID)) == Set(expected.filter { !$0.value.seen }.keys))
        #expect(files.unseen.allSatisfy { expected[$0.assetID] == $0.file })
        // Still editable after consolidation: in place, renamed, removed.
        let some = expected.keys.first { $0 != "legacy" }!
        files.markSeen(some, ifNamed: expected[some]!.name)
        #expect(files[some]?.seen == true)
        files[some] = .init(name: "renamed.jpg", size: 9, mtime: 9)
        #expect(files[some]?.name == "renamed.jpg")
        files[some] = nil
        #expect(files[some] == nil && files.count == expected.count - 1)
    }
}
