@testable import ExportCore
import Foundation
import Testing

@Suite("Resident code pages")
struct CodePagesTests {
    @Test("released code pages leave the process working, and fewer of them resident")
    func release() throws {
        #if os(Linux)
        let before = try #require(CodePages.residentKiB())
        #expect(before > 1024, "the test binary runs more than 1 MiB of code")
        CodePages.releaseResident()
        let after = try #require(CodePages.residentKiB())
        #expect(after < before * 3 / 4, "\(before) KiB -> \(after) KiB")   // other tests may run meanwhile
        // The code comes back on use: the process goes on working.
        var owned = OwnedFiles()
        owned["0f8fad5b-d9cb-469f-a165-70867728950e"] = .init(name: "a.jpg", size: 1, mtime: 2)
        #expect(owned["0f8fad5b-d9cb-469f-a165-70867728950e"]?.name == "a.jpg")
        #expect(try String(contentsOfFile: "/proc/self/status", encoding: .utf8).contains("VmRSS"))
        #endif
    }
}
