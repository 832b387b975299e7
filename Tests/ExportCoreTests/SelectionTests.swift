import ExportCore
import Foundation
import Testing
import TestSupport

@Suite("What gets exported: archived, shared albums, include/exclude patterns")
struct SelectionTests {
    @Test("include_archived: false leaves archived assets out", arguments: [SchemaGeneration.a1, .c])
    func archived(generation: SchemaGeneration) async throws {
        let lib = StandardLibrary()
        try await withSandbox(generation, lib.fixture) { sandbox in
            let result = await sandbox.run { $0.selection.includeArchived = false }
            #expect(result.status == .complete)
            #expect(sandbox.textTree()["Holiday/archived.jpg"] == nil)
            #expect(sandbox.textTree()["Holiday/beach.jpg"] != nil)
        }
    }

    @Test("include_shared_albums adds albums shared with immich_user_id", arguments: [SchemaGeneration.b, .d])
    func shared(generation: SchemaGeneration) async throws {
        let lib = StandardLibrary()
        try await withSandbox(generation, lib.fixture) { sandbox in
            // Share Alice's "Holiday" with Bob.
            let plural = generation == .a1 || generation == .a2
            let table = plural ? "albums_shared_users_users" : "album_user"
            let (albumCol, userCol) = generation == .b || plural ? ("albumsId", "usersId") : ("albumId", "userId")
            try await sandbox.cluster.execute(database: sandbox.database,
                "INSERT INTO \(table) (\"\(albumCol)\", \"\(userCol)\", role) VALUES ('\(lib.holiday.id)', '\(lib.bob.id)', 'viewer')")
            let owned = await sandbox.run { $0.immichUserID = lib.bob.id }
            #expect(Set(sandbox.textTree().keys.map { String($0.split(separator: "/")[0]) }) == ["Holiday"])
            #expect(owned.snapshot.total == 1)
            let withShared = await sandbox.run {
                $0.immichUserID = lib.bob.id
                $0.selection.includeSharedAlbums = true
            }
            #expect(withShared.snapshot.total == 4)
        }
    }

    @Test("albums_include / albums_exclude by name glob or id")
    func patterns() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            _ = await sandbox.run { $0.selection.albumsInclude = ["fam*"] }
            #expect(Set(sandbox.textTree().keys.map { String($0.split(separator: "/")[0]) }) == ["Family_ 2024_25"])
            // Switching to "everything except Alice's Holiday (by id)": Family stays, Holiday+… appear.
            let r = await sandbox.run { $0.selection.albumsExclude = [lib.holiday.id] }
            let folders = Set(sandbox.textTree().keys.map { String($0.split(separator: "/")[0]) })
            #expect(r.status == .complete)
            #expect(folders == ["Family_ 2024_25", "Holiday"])    // Bob's Holiday takes the plain name
            #expect(sandbox.textTree()["Holiday/bob.mp4"] != nil)
        }
    }

    @Test("album filter (pure)")
    func filter() {
        let a = CatalogAlbum(id: "1111", name: "Family 2024", ownerID: nil, assetCount: 1)
        let b = CatalogAlbum(id: "2222", name: "Work", ownerID: nil, assetCount: 1)
        #expect(AlbumFilter(include: [], exclude: []).apply([a, b]).count == 2)
        #expect(AlbumFilter(include: ["family*"], exclude: []).apply([a, b]) == [a])
        #expect(AlbumFilter(include: [], exclude: ["2222"]).apply([a, b]) == [a])
        #expect(AlbumFilter(include: ["*"], exclude: ["W?rk"]).apply([a, b]) == [a])
    }
}
