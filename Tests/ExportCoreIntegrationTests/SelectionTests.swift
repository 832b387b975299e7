@testable import ExportCore
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

    @Test("a visibility enum without the 'locked' label (Immich before the locked folder) still filters archived assets")
    func enumWithoutLockedLabel() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            // The same column as an older enum: the locked asset becomes an ordinary visible one.
            try await sandbox.cluster.execute(database: sandbox.database, """
                UPDATE asset SET visibility = 'timeline' WHERE visibility = 'locked';
                CREATE TYPE visibility_before_locked AS ENUM ('archive', 'timeline', 'hidden');
                ALTER TABLE asset ALTER COLUMN visibility DROP DEFAULT;
                ALTER TABLE asset ALTER COLUMN visibility TYPE visibility_before_locked USING visibility::text::visibility_before_locked;
                """)
            let result = await sandbox.run { $0.selection.includeArchived = false }
            #expect(result.status == .complete, "\(result.error ?? "")")
            #expect(sandbox.textTree()["Holiday/locked.jpg"] != nil)
            #expect(sandbox.textTree()["Holiday/archived.jpg"] == nil)
            #expect(sandbox.textTree()["Holiday/beach.jpg"] != nil)
        }
    }
}
