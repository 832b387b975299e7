import ExportCore
import Testing

@Suite("export_mode symlink: link targets")
struct SymlinkPathTests {
    @Test("relative symlink paths")
    func relative() {
        #expect(FilePlacer.relativePath(from: "/e/Album", to: "/a/upload/x.jpg") == "../../a/upload/x.jpg")
        #expect(FilePlacer.relativePath(from: "/m/export/Album", to: "/m/immich/u/x.jpg") == "../../immich/u/x.jpg")
        #expect(FilePlacer.relativePath(from: "/m/export/A/B", to: "/m/export/src/x.jpg") == "../../src/x.jpg")
    }
}
