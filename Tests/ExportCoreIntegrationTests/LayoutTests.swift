#if canImport(Glibc)
import Glibc
#endif
import ExportCore
import Foundation
import Testing
import TestSupport

@Suite("Templates, folder times, live photos and sidecars")
struct LayoutTests {
    @Test("folder_template {owner}/{album} nests folders; cleanup removes empty parents we made", arguments: [SchemaGeneration.a2, .d])
    func ownerTemplate(generation: SchemaGeneration) async throws {
        let lib = StandardLibrary()
        try await withSandbox(generation, lib.fixture) { sandbox in
            let result = await sandbox.run { $0.layout.folderTemplate = "{owner}/{album}" }
            #expect(result.status == .complete)
            let tree = sandbox.textTree()
            #expect(tree["Alice/Holiday/beach.jpg"] != nil)
            #expect(tree["Bob/Holiday/bob.mp4"] != nil)
            #expect(tree["Alice/Family_ 2024_25/IMG_0001+1.JPG"] != nil)
            // Bob's album goes away: Bob/Holiday and then Bob/ are removed.
            var fixture = sandbox.fixture
            fixture.albums.removeAll { $0.id == lib.holidayBob.id }
            fixture.memberships.removeAll { $0.0 == lib.holidayBob.id }
            try await sandbox.reload(fixture, writeFiles: false)
            #expect(await sandbox.run { $0.layout.folderTemplate = "{owner}/{album}" }.snapshot.deleted == 1)
            #expect(!FileManager.default.fileExists(atPath: sandbox.exportDir + "/Bob"))
            #expect(FileManager.default.fileExists(atPath: sandbox.exportDir + "/Alice/Holiday"))
        }
    }

    @Test("{year}/{album} uses the album's first asset; file_template with the capture date")
    func yearAndDate() async throws {
        var fixture = ImmichFixture()
        let u = fixture.addUser("U")
        let album = fixture.addAlbum("Trip", owner: u)
        fixture.addAsset("a.jpg", owner: u, in: [album], modified: Date(timeIntervalSince1970: 1_500_000_000))  // 2017-07-14 02:40:00 UTC
        fixture.addAsset("b.jpg", owner: u, in: [album], modified: Date(timeIntervalSince1970: 1_600_000_000))
        try await withSandbox(.c, fixture) { sandbox in
            let result = await sandbox.run {
                $0.layout.folderTemplate = "{year}/{album}"
                $0.layout.fileTemplate = "{date:%Y%m%d_%H%M%S}_{original}"
            }
            #expect(result.status == .complete)
            let names = Set(sandbox.textTree().keys)
            #expect(names == ["2017/Trip/20170714_024000_a.jpg", "2017/Trip/20200913_122640_b.jpg"])
            // Stable: a second run skips.
            let again = await sandbox.run {
                $0.layout.folderTemplate = "{year}/{album}"
                $0.layout.fileTemplate = "{date:%Y%m%d_%H%M%S}_{original}"
            }
            #expect(again.snapshot.skipped == 2)
        }
    }

    @Test("folder_mtime sets the album folder's time to its newest asset")
    func folderMtime() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            _ = await sandbox.run { $0.layout.folderMtime = true }
            let newest = lib.fixture.memberships.filter { $0.0 == lib.holiday.id }
                .compactMap { m in lib.fixture.assets.first { $0.id == m.1 } }
                .filter { !$0.trashed && !$0.offline && $0.visibility != .locked }
                .map { Int64($0.modified.timeIntervalSince1970) }.max()
            let folder = try FileSystem.statPath(sandbox.exportDir + "/Holiday")
            #expect(folder.mtime == newest)
        }
    }

    static func livePhotoLibrary() -> (ImmichFixture, ImmichFixture.Asset) {
        var f = ImmichFixture()
        let u = f.addUser("U")
        let album = f.addAlbum("Live", owner: u)
        var video = ImmichFixture.Asset(ownerID: u.id, originalFileName: "IMG_0042.MOV", content: Data("motion".utf8))
        video.visibility = .hidden
        f.assets.append(video)
        var still = ImmichFixture.Asset(ownerID: u.id, originalFileName: "IMG_0042.HEIC", content: Data("still".utf8))
        still.livePhotoVideoID = video.id
        still.sidecarContent = Data("<x:xmpmeta/>".utf8)
        f.assets.append(still)
        f.add(still, to: album)
        // A second still with the same name: its companions follow its +1 name.
        var twin = ImmichFixture.Asset(ownerID: u.id, originalFileName: "IMG_0042.HEIC", content: Data("twin".utf8),
                                       modified: Date(timeIntervalSince1970: 1_700_000_000))
        twin.sidecarContent = Data("<x:twin/>".utf8)
        f.assets.append(twin)
        f.add(twin, to: album)
        return (f, still)
    }

    @Test("live photo videos and XMP sidecars next to their still, in every schema generation",
          arguments: SchemaGeneration.allCases)
    func companions(generation: SchemaGeneration) async throws {
        let (fixture, _) = Self.livePhotoLibrary()
        try await withSandbox(generation, fixture) { sandbox in
            let plain = await sandbox.run()
            #expect(Set(sandbox.textTree().keys) == ["Live/IMG_0042.HEIC", "Live/IMG_0042+1.HEIC"])
            #expect(plain.snapshot.total == 2)
            let full = await sandbox.run {
                $0.selection.includeLivePhotos = true
                $0.selection.includeSidecars = true
            }
            #expect(full.status == .complete)
            let tree = sandbox.textTree()
            #expect(tree["Live/IMG_0042.MOV"] == "motion")
            #expect(tree["Live/IMG_0042.HEIC.xmp"] == "<x:xmpmeta/>")
            #expect(tree["Live/IMG_0042+1.HEIC.xmp"] == "<x:twin/>")
            #expect(full.snapshot.total == 5)
            #expect(full.snapshot.copied == 3)
            // Turning the options off again removes exactly the extra files.
            let off = await sandbox.run()
            #expect(off.snapshot.deleted == 3)
            #expect(Set(sandbox.textTree().keys) == ["Live/IMG_0042.HEIC", "Live/IMG_0042+1.HEIC"])
        }
    }
}

@Suite("Album renamed in Immich")
struct RenameTests {
    @Test("its folder is moved, nothing is copied again or deleted; a dry run shows the move first")
    func renameMoves() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.c, lib.fixture) { sandbox in
            _ = await sandbox.run()
            var fixture = sandbox.fixture
            fixture.albums[fixture.albums.firstIndex { $0.id == lib.holiday.id }!].name = "Holiday in Rome"
            try await sandbox.reload(fixture, writeFiles: false)
            let preview = await sandbox.run(dryRun: true)
            #expect(preview.snapshot.preview.move.paths == ["Holiday → Holiday in Rome"])
            #expect(preview.snapshot.copied == 0)
            #expect(FileManager.default.fileExists(atPath: sandbox.exportDir + "/Holiday/beach.jpg"))

            let result = await sandbox.run()
            #expect(result.status == .complete)
            #expect(result.snapshot.copied == 0)
            #expect(result.snapshot.deleted == 0)
            #expect(result.snapshot.skipped == 7)
            let tree = sandbox.textTree()
            #expect(tree["Holiday in Rome/beach.jpg"] != nil)
            #expect(tree["Holiday/beach.jpg"] == nil)
            // Bob's "Holiday" can now take the plain name on a later run? It keeps its own folder.
            #expect(tree["Holiday+1/bob.mp4"] != nil)
            // And the moved folder is still ours: removing the album removes it.
            var gone = sandbox.fixture
            gone.memberships.removeAll { $0.0 == lib.holiday.id }
            try await sandbox.reload(gone, writeFiles: false)
            #expect(await sandbox.run().snapshot.deleted == 3)
            #expect(sandbox.textTree().keys.allSatisfy { !$0.hasPrefix("Holiday in Rome/") })
        }
    }
}

@Suite("Asset moved between albums")
struct MovedAssetTests {
    @Test("it is re-linked from the old album's export, not copied again from the library")
    func moved() async throws {
        var f = ImmichFixture()
        let u = f.addUser("U")
        // Album ids fix the processing order: the old album is settled before the new one.
        let from = ImmichFixture.Album(id: "00000000-0000-4000-8000-000000000001", name: "Inbox", ownerID: u.id)
        let to = ImmichFixture.Album(id: "00000000-0000-4000-8000-000000000002", name: "Best", ownerID: u.id)
        f.albums = [from, to]
        let photo = f.addAsset("keeper.jpg", owner: u, content: String(repeating: "k", count: 50_000), in: [from])
        f.addAsset("other.jpg", owner: u, in: [from])
        f.addAsset("stays.jpg", owner: u, in: [to])
        try await withSandbox(.d, f) { sandbox in
            _ = await sandbox.run()
            let oldPath = sandbox.exportDir + "/Inbox/keeper.jpg"
            var before = stat()
            stat(oldPath, &before)
            var moved = sandbox.fixture
            moved.remove(assetID: photo.id, fromAlbum: from.id)
            moved.memberships.append((to.id, photo.id))
            try await sandbox.reload(moved, writeFiles: false)
            let result = await sandbox.run()
            #expect(result.status == .complete)
            #expect(result.snapshot.copied == 1)
            #expect(result.snapshot.bytesCopied == 0)        // nothing read from the library again
            #expect(result.snapshot.deleted == 1)            // the old name
            var after = stat()
            stat(sandbox.exportDir + "/Best/keeper.jpg", &after)
            #expect(after.st_ino == before.st_ino)
            #expect(after.st_nlink == 1)
            #expect(!FileManager.default.fileExists(atPath: oldPath))
            #expect(sandbox.textTree()["Best/keeper.jpg"] == String(repeating: "k", count: 50_000))
            #expect(await sandbox.run().snapshot.skipped == 3)
        }
    }

    @Test("among 300 small albums, assets that move on and out of a deleted album are re-linked, the rest untouched")
    func movedAmongManyAlbums() async throws {
        var f = ImmichFixture()
        let u = f.addUser("U")
        // Ids in album order, so album 3 is settled before album 250.
        let albums = (0..<300).map { i in
            ImmichFixture.Album(id: "00000000-0000-4000-8000-" + String(format: "%012d", i), name: "Trip \(i)", ownerID: u.id)
        }
        f.albums = albums
        var photos: [ImmichFixture.Asset] = []
        for (i, album) in albums.enumerated() {
            for k in 0..<2 { photos.append(f.addAsset("p\(i)_\(k).jpg", owner: u, content: "photo \(i) \(k)", in: [album])) }
        }
        try await withSandbox(.d, f) { sandbox in
            #expect(await sandbox.run().snapshot.copied == 600)
            var changed = sandbox.fixture
            // Album 7 is deleted and its first photo joins album 200; a photo of album 3 moves to album 250.
            changed.albums.removeAll { $0.id == albums[7].id }
            changed.memberships.removeAll { $0.0 == albums[7].id }
            changed.memberships.append((albums[200].id, photos[14].id))
            changed.remove(assetID: photos[6].id, fromAlbum: albums[3].id)
            changed.memberships.append((albums[250].id, photos[6].id))
            try await sandbox.reload(changed, writeFiles: false)
            let result = await sandbox.run()
            #expect(result.status == .complete)
            #expect(result.snapshot.copied == 2)
            #expect(result.snapshot.skipped == 597)
            #expect(result.snapshot.deleted == 3)   // the deleted album's two files, the moved photo's old name
            #expect(result.snapshot.bytesCopied == 0)   // both re-linked, nothing read from the library
            let tree = sandbox.textTree()
            #expect(tree["Trip 200/p7_0.jpg"] == "photo 7 0")
            #expect(tree["Trip 250/p3_0.jpg"] == "photo 3 0")
            #expect(tree.keys.allSatisfy { !$0.hasPrefix("Trip 7/") && $0 != "Trip 3/p3_0.jpg" })
            #expect(tree.count == 599)
        }
    }
}

@Suite("Album renamed while its folder cannot move")
struct ParkedFolderTests {
    @Test("the old folder's files stay owned while the guard holds, and go once it allows")
    func parkedUntilGuardAllows() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            _ = await sandbox.run()
            // The new name is taken by a folder of the user's, so ours cannot be renamed onto it.
            try FileManager.default.createDirectory(atPath: sandbox.exportDir + "/Rome", withIntermediateDirectories: true)
            try Data("mine".utf8).write(to: URL(fileURLWithPath: sandbox.exportDir + "/Rome/notes.txt"))
            var renamed = sandbox.fixture
            renamed.albums[renamed.albums.firstIndex { $0.id == lib.holiday.id }!].name = "Rome"
            try await sandbox.reload(renamed, writeFiles: false)
            // Guard holds (thresholds above what exists): new copies, old files kept and still ours.
            let held = await sandbox.run { $0.guardRule = GuardRule(minFoundAbsolute: 1000, minFoundFraction: 1.01) }  // unreachable thresholds: the guard holds
            #expect(held.snapshot.guardReason != nil)
            #expect(held.snapshot.copied == 3)
            #expect(sandbox.textTree()["Holiday/beach.jpg"] != nil)
            #expect(sandbox.textTree()["Rome/beach.jpg"] != nil)
            // Guard allows: the parked files go, the user's note stays.
            let cleaned = await sandbox.run()
            #expect(cleaned.snapshot.deleted == 3)
            #expect(sandbox.textTree()["Holiday/beach.jpg"] == nil)
            #expect(sandbox.textTree()["Rome/notes.txt"] == "mine")
            #expect(await sandbox.run().snapshot.deleted == 0)
        }
    }
}
