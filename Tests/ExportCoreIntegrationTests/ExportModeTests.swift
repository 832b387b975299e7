import ExportCore
import Foundation
import Testing
import TestSupport

@Suite("export_mode: copy, hardlink, reflink, symlink")
struct ExportModeTests {
    func inode(_ path: String) -> (dev: UInt, ino: UInt)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt(st.st_dev), UInt(st.st_ino))
    }

    @Test("hardlink: zero bytes written, same inode as the library file, re-run skips, library untouched")
    func hardlink() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            let source = sandbox.assetsRoot + "/" + lib.beach.relativeLocation
            let sourceBefore = try FileSystem.statPath(source)
            let first = await sandbox.run { $0.exportMode = .hardlink }
            #expect(first.status == .complete)
            #expect(first.snapshot.copied == 7)
            #expect(first.snapshot.bytesCopied == 0)
            let exported = sandbox.exportDir + "/Holiday/beach.jpg"
            #expect(inode(exported)! == inode(source)!)
            #expect(try FileSystem.statPath(source) == sourceBefore)       // the library's file is not touched
            #expect(sandbox.textTree() == lib.expectedTree)
            let second = await sandbox.run { $0.exportMode = .hardlink }
            #expect(second.snapshot.skipped == 7)
            #expect(second.snapshot.copied == 0)
            // Removing an asset unlinks our name only; the library keeps its file.
            var fixture = sandbox.fixture
            fixture.remove(assetID: lib.beach.id, fromAlbum: lib.holiday.id)
            try await sandbox.reload(fixture, writeFiles: false)
            #expect(await sandbox.run { $0.exportMode = .hardlink }.snapshot.deleted == 1)
            #expect(FileManager.default.fileExists(atPath: source))
        }
    }

    @Test("hardlink across filesystems falls back to copying, and re-runs still skip")
    func hardlinkFallback() async throws {
        let shm = "/dev/shm"
        guard let tmpDev = inode(NSTemporaryDirectory()), let shmDev = inode(shm), tmpDev.dev != shmDev.dev else { return }
        let lib = StandardLibrary()
        try await withSandbox(.c, lib.fixture) { sandbox in
            let exportDir = shm + "/immich-export-test-" + UUID().uuidString.prefix(8)
            defer { try? FileManager.default.removeItem(atPath: exportDir) }
            let first = await sandbox.run {
                $0.exportMode = .hardlink
                $0.exportDir = exportDir
            }
            #expect(first.status == .complete)
            #expect(first.snapshot.bytesCopied > 0)
            let second = await sandbox.run {
                $0.exportMode = .hardlink
                $0.exportDir = exportDir
            }
            #expect(second.snapshot.skipped == 7)
        }
    }

    @Test("symlink: relative links that resolve, re-run skips, cleanup removes our links")
    func symlinks() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.b, lib.fixture) { sandbox in
            let first = await sandbox.run { $0.exportMode = .symlink }
            #expect(first.status == .complete)
            let link = sandbox.exportDir + "/Holiday/beach.jpg"
            let target = try #require(FilePlacer.readLink(link))
            #expect(target.hasPrefix("../../"))
            #expect(sandbox.textTree() == lib.expectedTree)              // contents through the links
            let second = await sandbox.run { $0.exportMode = .symlink }
            #expect(second.snapshot.skipped == 7)
            var fixture = sandbox.fixture
            fixture.remove(assetID: lib.beach.id, fromAlbum: lib.holiday.id)
            try await sandbox.reload(fixture, writeFiles: false)
            #expect(await sandbox.run { $0.exportMode = .symlink }.snapshot.deleted == 1)
            #expect(FilePlacer.readLink(link) == nil)
        }
    }

    @Test("reflink: a clone where possible, else a copy; same tree; re-run skips")
    func reflink() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            let first = await sandbox.run { $0.exportMode = .reflink }
            #expect(first.status == .complete)
            #expect(sandbox.textTree() == lib.expectedTree)
            #expect(inode(sandbox.exportDir + "/Holiday/beach.jpg")! != inode(sandbox.assetsRoot + "/" + lib.beach.relativeLocation)!)
            #expect(await sandbox.run { $0.exportMode = .reflink }.snapshot.skipped == 7)
        }
    }

    @Test("switching copy → hardlink re-links, and back")
    func switching() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            _ = await sandbox.run()
            let relinked = await sandbox.run { $0.exportMode = .hardlink }
            #expect(relinked.snapshot.updated == 7 || relinked.snapshot.skipped == 7)
            #expect(sandbox.textTree() == lib.expectedTree)
            let back = await sandbox.run()
            #expect(back.status == .complete)
            #expect(sandbox.textTree() == lib.expectedTree)
        }
    }
}
