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
