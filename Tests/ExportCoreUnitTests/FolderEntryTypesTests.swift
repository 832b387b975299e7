@testable import ExportCore
import Foundation
import TestHelpers
import Testing

@Suite("export_dir's top level: which names can never be album folders")
struct FolderEntryTypesTests {
    @Test("files and symlinks (also to a folder) are not directories; real folders are; a missing folder has none")
    func nonDirectories() throws {
        let dir = try TempDirectory.make("entry-types")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/Holiday", withIntermediateDirectories: false)
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        try FileManager.default.createSymbolicLink(atPath: dir + "/Linked", withDestinationPath: dir + "/Holiday")
        try FileManager.default.createSymbolicLink(atPath: dir + "/Dangling", withDestinationPath: dir + "/nowhere")
        #expect(Set(try FileSystem.nonDirectories(in: dir)) == ["notes.txt", "Linked", "Dangling"])
        #expect(try FileSystem.nonDirectories(in: dir + "/missing").isEmpty)
    }
}
