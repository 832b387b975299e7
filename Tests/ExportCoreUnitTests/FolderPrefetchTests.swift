import Foundation
@testable import ExportCore
import Testing
import TestHelpers

@Suite("Album folders listed ahead")
struct FolderPrefetchTests {
    /// Three album folders with two files each, and the manifest that knows them (ids sort a < b < c).
    static func library() throws -> (root: String, manifest: Manifest) {
        let root = NSTemporaryDirectory() + "prefetch-" + UUID().uuidString.prefix(8)
        var manifest = Manifest()
        for (id, folder) in [("b-album", "Beach"), ("a-album", "Alps"), ("c-album", "City")] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            manifest.albums[id] = .init(folder: folder, base: folder)
            for n in 1...2 {
                let name = "\(folder)-\(n).jpg"
                try Data(repeating: UInt8(n), count: 10 * n).write(to: URL(fileURLWithPath: root + "/" + folder + "/" + name))
                manifest.albums[id]!.files[UUID().uuidString.lowercased()] = .init(name: name, size: Int64(10 * n), mtime: 0)
            }
        }
        // A parked folder is never an album's folder: it is not listed.
        manifest.albums["parked:a-album:Old"] = .init(folder: "Alps", base: "Alps")
        return (root, manifest)
    }

    @Test("lists the known folders in album order up to its budget; a listing is taken once, and only for the same folder")
    func takesListings() throws {
        let (root, manifest) = try Self.library()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let prefetch = FolderPrefetch(manifest: manifest, exportDir: root, budget: 4)
        prefetch.listAll()

        let alps = try #require(prefetch.take(albumID: "a-album", folderPath: root + "/Alps"))
        #expect(Set(alps.keys) == ["Alps-1.jpg", "Alps-2.jpg"])
        #expect(alps["Alps-2.jpg"]?.size == 20)
        #expect(alps["Alps-2.jpg"]?.isRegularFile == true)
        #expect(prefetch.take(albumID: "a-album", folderPath: root + "/Alps") == nil)   // taken already
        #expect(prefetch.take(albumID: "b-album", folderPath: root + "/Beach 2") == nil)   // the album has another folder now
        #expect(prefetch.take(albumID: "b-album", folderPath: root + "/Beach") == nil)   // and that claimed it
        #expect(prefetch.take(albumID: "c-album", folderPath: root + "/City") == nil)   // beyond the budget
        #expect(prefetch.take(albumID: "parked:a-album:Old", folderPath: root + "/Alps") == nil)
    }

    @Test("a packed listing unpacks to exactly what FileSystem.list reads: names, sizes, times, kinds")
    func packedListing() throws {
        let root = try TempDirectory.make("packed")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (n, name) in ["a.jpg", "Ünïcødé 写真.heic", "with\ttab and a very long name that is not stored inline.mov", "x"].enumerated() {
            try Data(repeating: 1, count: 7 * n).write(to: URL(fileURLWithPath: root + "/" + name))
        }
        try FileManager.default.createDirectory(atPath: root + "/sub folder", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: "a.jpg")
        for n in 0..<600 { try Data().write(to: URL(fileURLWithPath: root + "/many-\(n)")) }   // two lanes

        let listed = try FileSystem.list(root)
        let unpacked = try FileSystem.listPacked(root).unpacked()
        #expect(listed.count == 606)
        #expect(unpacked == listed)
        #expect(unpacked["sub folder"]?.isDirectory == true)
        #expect(unpacked["link"].map { !$0.isRegularFile && !$0.isDirectory } == true)
        #expect(unpacked["Ünïcødé 写真.heic"]?.size == 7)
        #expect(try FileSystem.listPacked(root + "/missing").unpacked().isEmpty)
        #expect(PackedListing([nil, TargetEntry(name: "kept", size: 1, mtime: 2, isRegularFile: true)]).count == 1)
    }

    @Test("a folder claimed before the prefetch got to it, or after a stop, is left to the album")
    func claimedAndStopped() throws {
        let (root, manifest) = try Self.library()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let prefetch = FolderPrefetch(manifest: manifest, exportDir: root, budget: 100)
        #expect(prefetch.take(albumID: "a-album", folderPath: root + "/Alps") == nil)   // not listed yet: the album lists it
        prefetch.listAll()
        #expect(prefetch.take(albumID: "a-album", folderPath: root + "/Alps") == nil)
        #expect(prefetch.take(albumID: "b-album", folderPath: root + "/Beach")?.count == 2)

        let stopped = FolderPrefetch(manifest: manifest, exportDir: root, budget: 100)
        stopped.stop()
        stopped.listAll()
        #expect(stopped.take(albumID: "c-album", folderPath: root + "/City") == nil)
    }

    @Test("a folder that is gone lists as empty, one that cannot be read is left to the album")
    func missingAndUnreadable() throws {
        let (root, manifest) = try Self.library()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.removeItem(atPath: root + "/Alps")
        try FileManager.default.removeItem(atPath: root + "/Beach")
        try "not a folder".write(toFile: root + "/Beach", atomically: true, encoding: .utf8)
        let prefetch = FolderPrefetch(manifest: manifest, exportDir: root, budget: 100)
        prefetch.listAll()
        #expect(prefetch.take(albumID: "a-album", folderPath: root + "/Alps") == [:])
        #expect(prefetch.take(albumID: "b-album", folderPath: root + "/Beach") == nil)
    }
}
