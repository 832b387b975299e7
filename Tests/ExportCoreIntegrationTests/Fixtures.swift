import ExportCore
import Foundation
import TestSupport

/// The standard library used across tests: two users, duplicate album and file names, an archived,
/// a trashed, an offline and a locked asset, one asset in two albums, one deleted album.
struct StandardLibrary {
    var fixture = ImmichFixture()
    let alice: ImmichFixture.User
    let bob: ImmichFixture.User
    let holiday: ImmichFixture.Album
    let holidayBob: ImmichFixture.Album
    let family: ImmichFixture.Album
    let deletedAlbum: ImmichFixture.Album
    var beach: ImmichFixture.Asset
    var sunset: ImmichFixture.Asset
    var dupA: ImmichFixture.Asset
    var dupB: ImmichFixture.Asset

    init() {
        alice = fixture.addUser("Alice")
        bob = fixture.addUser("Bob")
        holiday = fixture.addAlbum("Holiday", owner: alice)
        holidayBob = fixture.addAlbum("Holiday", owner: bob)
        family = fixture.addAlbum("Family: 2024/25", owner: alice)
        deletedAlbum = fixture.addAlbum("Gone", owner: alice)
        fixture.albums[3].deleted = true
        beach = fixture.addAsset("beach.jpg", owner: alice, in: [holiday, family])
        sunset = fixture.addAsset("sunset.HEIC", owner: alice, in: [holiday])
        dupA = fixture.addAsset("IMG_0001.JPG", owner: alice, in: [family])
        dupB = fixture.addAsset("IMG_0001.JPG", owner: alice, in: [family])
        fixture.addAsset("bob.mp4", owner: bob, in: [holidayBob])
        fixture.addAsset("inGone.jpg", owner: alice, in: [deletedAlbum])
        var archived = fixture.addAsset("archived.jpg", owner: alice, in: [holiday])
        archived.visibility = .archive
        fixture.update(archived.id) { $0.visibility = .archive }
        let trashed = fixture.addAsset("trashed.jpg", owner: alice, in: [holiday])
        fixture.update(trashed.id) { $0.trashed = true }
        let offline = fixture.addAsset("offline.jpg", owner: alice, in: [holiday])
        fixture.update(offline.id) { $0.offline = true }
        let locked = fixture.addAsset("locked.jpg", owner: alice, in: [holiday])
        fixture.update(locked.id) { $0.visibility = .locked }
    }

    /// What a correct export of this library looks like (relative path → content).
    func expectedTree(_ generation: SchemaGeneration) -> [String: String] {
        var tree = expectedTree
        // A1 predates the locked folder: there the "locked" asset is an ordinary visible one.
        if generation == .a1 { tree["Holiday/locked.jpg"] = "content of locked.jpg #9" }
        return tree
    }

    var expectedTree: [String: String] {
        [
            "Holiday/beach.jpg": "content of beach.jpg #0",
            "Holiday/sunset.HEIC": "content of sunset.HEIC #1",
            "Holiday/archived.jpg": "content of archived.jpg #6",
            "Holiday+1/bob.mp4": "content of bob.mp4 #4",
            "Family_ 2024_25/beach.jpg": "content of beach.jpg #0",
            "Family_ 2024_25/IMG_0001.JPG": "content of IMG_0001.JPG #2",
            "Family_ 2024_25/IMG_0001+1.JPG": "content of IMG_0001.JPG #3",
        ]
    }
}

extension ExportSandbox {
    func textTree() -> [String: String] {
        exportedTree().mapValues { String(decoding: $0, as: UTF8.self) }
    }
}

/// Runs `body` with a sandbox and always tears it down.
func withSandbox(_ generation: SchemaGeneration, _ fixture: ImmichFixture,
                 _ body: (ExportSandbox) async throws -> Void) async throws {
    let sandbox = try await ExportSandbox(generation: generation, fixture: fixture)
    do {
        try await body(sandbox)
    } catch {
        await sandbox.tearDown()
        throw error
    }
    await sandbox.tearDown()
}
