import ExportCore
import Foundation
import Logging
import Synchronization
import Testing
import TestSupport

@Suite("Keeping the export in sync")
struct SyncBehaviourTests {
    @Test("a changed source file is updated in place, atomically")
    func changedFileUpdated() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.c, lib.fixture) { sandbox in
            _ = await sandbox.run()
            var fixture = sandbox.fixture
            fixture.update(lib.sunset.id) {
                $0.content = Data("an edited sunset, now longer".utf8)
                $0.modified = Date(timeIntervalSince1970: 1_650_000_000)
            }
            try await sandbox.reload(fixture)
            let result = await sandbox.run()
            #expect(result.snapshot.updated == 1)
            #expect(result.snapshot.copied == 1)
            #expect(sandbox.textTree()["Holiday/sunset.HEIC"] == "an edited sunset, now longer")
            let st = try FileSystem.statPath(sandbox.exportDir + "/Holiday/sunset.HEIC")
            #expect(st.mtime == 1_650_000_000)
            // no temp files left behind
            let names = try FileManager.default.contentsOfDirectory(atPath: sandbox.exportDir + "/Holiday")
            #expect(!names.contains { FileCopier.isTempName($0) })
        }
    }

    @Test("an asset removed from its album is deleted; its other album keeps it")
    func removedAssetDeleted() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            _ = await sandbox.run()
            var fixture = sandbox.fixture
            fixture.remove(assetID: lib.beach.id, fromAlbum: lib.holiday.id)
            try await sandbox.reload(fixture, writeFiles: false)
            let result = await sandbox.run()
            #expect(result.status == .complete)
            #expect(result.snapshot.deleted == 1)
            #expect(result.snapshot.guardReason == nil)
            let tree = sandbox.textTree()
            #expect(tree["Holiday/beach.jpg"] == nil)
            #expect(tree["Family_ 2024_25/beach.jpg"] != nil)
        }
    }

    @Test("a deleted album's folder is removed once empty")
    func deletedAlbumFolderRemoved() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.b, lib.fixture) { sandbox in
            _ = await sandbox.run()
            var fixture = sandbox.fixture
            fixture.albums.removeAll { $0.id == lib.holidayBob.id }
            fixture.memberships.removeAll { $0.0 == lib.holidayBob.id }
            try await sandbox.reload(fixture, writeFiles: false)
            let result = await sandbox.run()
            #expect(result.snapshot.deleted == 1)
            #expect(!FileManager.default.fileExists(atPath: sandbox.exportDir + "/Holiday+1"))
            #expect(FileManager.default.fileExists(atPath: sandbox.exportDir + "/Holiday/beach.jpg"))
        }
    }

    @Test("assets_root emptied: the guard holds and nothing is deleted")
    func guardHoldsWhenRootEmpty() async throws {
        try await withSandbox(.c, StandardLibrary().fixture) { sandbox in
            _ = await sandbox.run()
            let before = sandbox.exportedTree()
            try FileManager.default.removeItem(atPath: sandbox.assetsRoot)
            try FileManager.default.createDirectory(atPath: sandbox.assetsRoot, withIntermediateDirectories: true)
            let result = await sandbox.run { $0.guardRule = GuardRule() }
            #expect(result.snapshot.deleted == 0)
            #expect(result.snapshot.guardReason?.contains("empty") == true)
            #expect(result.snapshot.failed == before.count)
            #expect(sandbox.exportedTree() == before)
        }
    }

    @Test("most sources missing (one user's folder gone) while an album left Immich: guard holds, nothing deleted")
    func guardHoldsWhenMostlyMissing() async throws {
        var fixture = ImmichFixture()
        let u = fixture.addUser("U")
        let big = fixture.addAlbum("Big", owner: u)
        let small = fixture.addAlbum("Small", owner: u)
        for i in 0..<40 { fixture.addAsset("p\(i).jpg", owner: u, in: [big]) }
        fixture.addAsset("s1.jpg", owner: u, in: [small])
        fixture.addAsset("s2.jpg", owner: u, in: [small])
        try await withSandbox(.d, fixture) { sandbox in
            #expect(await sandbox.run().snapshot.copied == 42)
            for asset in fixture.assets.prefix(39) {
                try FileManager.default.removeItem(atPath: sandbox.assetsRoot + "/" + asset.relativeLocation)
            }
            var changed = sandbox.fixture
            changed.memberships.removeAll { $0.0 == small.id }
            try await sandbox.reload(changed, writeFiles: false)
            let rule = GuardRule(minFoundAbsolute: 100, minFoundFraction: 0.5)
            let held = await sandbox.run { $0.guardRule = rule }
            #expect(held.snapshot.guardReason?.contains("only 1 of 40") == true)
            #expect(held.snapshot.deleted == 0)
            #expect(held.snapshot.failed == 39)
            #expect(sandbox.exportedTree().count == 42)
            // Sources back: the guard lets the cleanup through and only Small's files go.
            try fixture.writeFiles(assetsRoot: sandbox.assetsRoot)
            let cleaned = await sandbox.run { $0.guardRule = rule }
            #expect(cleaned.snapshot.guardReason == nil)
            #expect(cleaned.snapshot.deleted == 2)
            #expect(sandbox.exportedTree().count == 40)
        }
    }

    @Test("a file the user put into export_dir survives, and a name clash picks another name")
    func userFilesSurvive() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.c, lib.fixture) { sandbox in
            let fm = FileManager.default
            try fm.createDirectory(atPath: sandbox.exportDir + "/Holiday", withIntermediateDirectories: true)
            try Data("mine".utf8).write(to: URL(fileURLWithPath: sandbox.exportDir + "/Holiday/beach.jpg"))
            try Data("notes".utf8).write(to: URL(fileURLWithPath: sandbox.exportDir + "/Holiday/notes.txt"))
            try Data("top".utf8).write(to: URL(fileURLWithPath: sandbox.exportDir + "/README.txt"))
            _ = await sandbox.run()
            var tree = sandbox.textTree()
            #expect(tree["Holiday/beach.jpg"] == "mine")
            #expect(tree["Holiday/beach+1.jpg"] == "content of beach.jpg #0")
            // Remove everything from the album: only our files go.
            var fixture = sandbox.fixture
            fixture.memberships.removeAll { $0.0 == lib.holiday.id }
            try await sandbox.reload(fixture, writeFiles: false)
            let result = await sandbox.run()
            #expect(result.snapshot.deleted == 3)
            tree = sandbox.textTree()
            #expect(tree["Holiday/beach.jpg"] == "mine")
            #expect(tree["Holiday/notes.txt"] == "notes")
            #expect(tree["README.txt"] == "top")
            #expect(tree["Holiday/beach+1.jpg"] == nil)
        }
    }

    @Test("a file we wrote that the user then edited is never deleted")
    func editedExportKept() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            _ = await sandbox.run()
            try Data("rotated by the user".utf8).write(to: URL(fileURLWithPath: sandbox.exportDir + "/Holiday/sunset.HEIC"))
            var fixture = sandbox.fixture
            fixture.remove(assetID: lib.sunset.id, fromAlbum: lib.holiday.id)
            try await sandbox.reload(fixture, writeFiles: false)
            let result = await sandbox.run()
            #expect(result.snapshot.deleted == 0)
            #expect(sandbox.textTree()["Holiday/sunset.HEIC"] == "rotated by the user")
        }
    }

    @Test("identical files from an earlier exporter are adopted, not duplicated")
    func adoptsIdenticalFiles() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.c, lib.fixture) { sandbox in
            _ = await sandbox.run()
            // Forget our ownership record, as if the files came from the add-on we replace.
            try FileManager.default.removeItem(atPath: sandbox.exportDir + "/" + ManifestStore.folderName)
            let result = await sandbox.run()
            #expect(result.snapshot.copied == 0)
            #expect(result.snapshot.skipped == 7)
            #expect(sandbox.textTree() == lib.expectedTree)
            // adopted files are ours again: removing the asset deletes it
            var fixture = sandbox.fixture
            fixture.remove(assetID: lib.sunset.id, fromAlbum: lib.holiday.id)
            try await sandbox.reload(fixture, writeFiles: false)
            #expect(await sandbox.run().snapshot.deleted == 1)
        }
    }

    @Test("dry run changes nothing but progress.json and reports what would happen")
    func dryRunChangesNothing() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.d, lib.fixture) { sandbox in
            try FileManager.default.createDirectory(atPath: sandbox.exportDir, withIntermediateDirectories: true)
            let preview = await sandbox.run(dryRun: true)
            #expect(preview.status == .dryRun)
            #expect(preview.snapshot.copied == 7)
            #expect(preview.snapshot.preview.copy.paths.contains("Holiday/beach.jpg"))
            #expect(sandbox.exportedTree().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.exportDir).isEmpty)

            _ = await sandbox.run()
            var fixture = sandbox.fixture
            fixture.remove(assetID: lib.sunset.id, fromAlbum: lib.holiday.id)
            try await sandbox.reload(fixture, writeFiles: false)
            let before = sandbox.exportedTree()
            let manifestBefore = try String(contentsOfFile: sandbox.exportDir + "/.immich-export/manifest.tsv", encoding: .utf8)
            let second = await sandbox.run(dryRun: true)
            #expect(second.snapshot.deleted == 1)
            #expect(second.snapshot.preview.delete.paths == ["Holiday/sunset.HEIC"])
            #expect(sandbox.exportedTree() == before)
            #expect(try String(contentsOfFile: sandbox.exportDir + "/.immich-export/manifest.tsv", encoding: .utf8) == manifestBefore)
        }
    }

    @Test("duplicate names stay stable when an unrelated album with the same name appears")
    func namesStable() async throws {
        let lib = StandardLibrary()
        try await withSandbox(.c, lib.fixture) { sandbox in
            _ = await sandbox.run()
            var fixture = sandbox.fixture
            // A new album sorting first with the same name must not steal "Holiday".
            let earlier = ImmichFixture.Album(name: "holiday", ownerID: lib.alice.id, createdAt: Date(timeIntervalSince1970: 1))
            fixture.albums.insert(earlier, at: 0)
            let extra = fixture.addAsset("new.jpg", owner: lib.alice, in: [earlier])
            _ = extra
            try await sandbox.reload(fixture)
            let result = await sandbox.run()
            #expect(result.snapshot.deleted == 0)
            let tree = sandbox.textTree()
            #expect(tree["Holiday/beach.jpg"] != nil)
            #expect(tree["Holiday+1/bob.mp4"] != nil)
            #expect(tree["holiday+2/new.jpg"] != nil)
        }
    }

    @Test("a temp file left by a crash is removed and no partial file has a final name")
    func tempLeftoversCleaned() async throws {
        try await withSandbox(.d, StandardLibrary().fixture) { sandbox in
            _ = await sandbox.run()
            let junk = sandbox.exportDir + "/Holiday/" + FileCopier.tempPrefix + "deadbeef" + FileCopier.tempSuffix
            try Data("partial".utf8).write(to: URL(fileURLWithPath: junk))
            _ = await sandbox.run()
            #expect(!FileManager.default.fileExists(atPath: junk))
        }
    }

    @Test("only albums of immich_user_id when set")
    func ownerFilter() async throws {
        let lib = StandardLibrary()
        for generation in [SchemaGeneration.a1, .d] {
            try await withSandbox(generation, lib.fixture) { sandbox in
                let result = await sandbox.run { $0.immichUserID = lib.bob.id }
                #expect(result.status == .complete)
                #expect(Set(sandbox.textTree().keys) == ["Holiday/bob.mp4"])
            }
        }
    }

    @Test("progress.json is written with the documented keys")
    func progressFile() async throws {
        try await withSandbox(.c, StandardLibrary().fixture) { sandbox in
            let tracker = ProgressTracker()
            let config = sandbox.config()
            let sink = ProgressFileSink(exportDir: config.exportDir, logger: .init(label: "t"))
            let task = Task { await sink.run(tracker) }
            let result = await ExportRun(config: config, dryRun: false, tracker: tracker, control: RunControl(), logger: .init(label: "t")).run()
            tracker.finishSignals()
            await task.value
            sink.write(result.snapshot)
            let data = try Data(contentsOf: URL(fileURLWithPath: sandbox.exportDir + "/progress.json"))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            for key in ["status", "copied", "skipped", "failed", "deleted", "total", "current_album", "current_file",
                        "files_per_second", "estimated_remaining", "last_run", "guard", "error", "percent_copied",
                        "running", "run_id", "dry_run", "phase", "started_at", "finished_at", "bytes_copied",
                        "bytes_total", "albums", "schema"] {
                #expect(json.keys.contains(key), "missing \(key)")
            }
            #expect(json["status"] as? String == "complete")
            #expect((json["percent_copied"] as? Double) == 100)
            #expect((json["last_run"] as? String)?.contains("T") == true)
        }
    }

    @Test("copies run in lanes the albums share: the next album's copies start while one's last is still writing")
    func copyLanesSpanAlbums() async throws {
        try await withSandbox(.d, Self.lanes(albums: 3, files: 1)) { sandbox in
            // Every write is held until a copy of another album has begun as well (at most 5 s), so
            // overlapping copies are seen however late the pool starts the second one (the whole
            // suite shares its threads). Album by album, no other album's copy could begin meanwhile.
            let writes = WriteSpans()
            WriteFaults.register(under: sandbox.exportDir) { target in
                let folder = (target as NSString).deletingLastPathComponent
                let start = ContinuousClock.now
                writes.begin(folder: folder)
                writes.awaitFolders(2, limit: .seconds(5))
                usleep(50_000)
                writes.add(folder: folder, start, .now)
                return nil
            }
            defer { WriteFaults.remove(under: sandbox.exportDir) }
            let result = await sandbox.run { $0.copyConcurrency = 4 }
            #expect(result.status == .complete)
            #expect(result.snapshot.copied == 3)
            let spans = writes.all
            #expect(Set(spans.map(\.folder)).count == 3)
            // Album by album, each album's copies would end before the next album's began.
            #expect(spans.contains { a in spans.contains { b in a.folder != b.folder && b.start < a.end && a.start < b.end } })
            // Every copy was recorded as it landed: the re-run has nothing to do.
            let again = await sandbox.run()
            #expect(again.snapshot.skipped == 3)
            #expect(again.snapshot.copied == 0)
            #expect(sandbox.textTree() == ["Lane 0/IMG_0.jpg": "photo 0", "Lane 1/IMG_1.jpg": "photo 1", "Lane 2/IMG_2.jpg": "photo 2"])
        }
    }
}

extension SyncBehaviourTests {
    /// Albums "Lane 0", "Lane 1", … with `files` small photos each (IMG_0.jpg, IMG_1.jpg, … in order).
    static func lanes(albums: Int, files: Int) -> ImmichFixture {
        var fixture = ImmichFixture()
        let owner = fixture.addUser("U")
        for a in 0..<albums {
            let album = fixture.addAlbum("Lane \(a)", owner: owner)
            for f in 0..<files {
                let i = a * files + f
                let asset = ImmichFixture.Asset(ownerID: owner.id, originalFileName: "IMG_\(i).jpg", content: Data("photo \(i)".utf8),
                                                modified: Date(timeIntervalSince1970: 1_600_000_000 + Double(i)))
                fixture.assets.append(asset)
                fixture.add(asset, to: album)
            }
        }
        return fixture
    }

    @Test("a few copies get their final names while the run goes on, not all at its end")
    func fewCopiesNamedEarly() async throws {
        try await withSandbox(.d, Self.lanes(albums: 3, files: 2)) { sandbox in
            let exportDir = sandbox.exportDir
            let writes = Counter()
            let sawNamed = Mutex(false)
            // Every write is held; the last two then look (up to 5 s) for another album's copies
            // under their final names. Six copies are far from a batch of 64, and the run is
            // shorter than a second: named only at the end, they are never seen.
            WriteFaults.register(under: exportDir) { target in
                usleep(150_000)
                guard writes.increment() >= 5 else { return nil }
                let folder = (target as NSString).deletingLastPathComponent
                for _ in 0..<100 {
                    if Self.finalNames(under: exportDir, except: folder) > 0 {
                        sawNamed.withLock { $0 = true }
                        break
                    }
                    usleep(50_000)
                }
                return nil
            }
            defer { WriteFaults.remove(under: exportDir) }
            let result = await sandbox.run { $0.copyConcurrency = 2 }
            #expect(result.status == .complete)
            #expect(result.snapshot.copied == 6)
            #expect(sawNamed.withLock { $0 })
        }
    }

    @Test("many files leaving their albums are deleted on two threads, each once; one the user changed stays")
    func manyRemovals() async throws {
        try await withSandbox(.d, Self.lanes(albums: 2, files: 60)) { sandbox in
            _ = await sandbox.run()
            var fixture = sandbox.fixture
            // 80 of the 120 leave their albums (two of every three).
            for (n, (albumID, assetID)) in sandbox.fixture.memberships.enumerated() where n % 3 != 0 {
                fixture.remove(assetID: assetID, fromAlbum: albumID)
            }
            try await sandbox.reload(fixture, writeFiles: false)
            try "edited by the user".write(toFile: sandbox.exportDir + "/Lane 0/IMG_1.jpg", atomically: true, encoding: .utf8)
            let result = await sandbox.run()
            #expect(result.status == .complete)
            #expect(result.snapshot.deleted == 79)
            let tree = sandbox.textTree()
            #expect(tree.count == 41)
            #expect(tree["Lane 0/IMG_1.jpg"] == "edited by the user")
            #expect(tree["Lane 0/IMG_2.jpg"] == nil)
            #expect(tree["Lane 1/IMG_63.jpg"] == "photo 63")
            // The record agrees with the disk: nothing left to do, and the user's file stays.
            let again = await sandbox.run()
            #expect(again.snapshot.deleted == 0)
            #expect(again.snapshot.copied == 0)
            #expect(sandbox.textTree() == tree)
        }
    }

    /// Files under their final names in the album folders of `exportDir`, except `folder`.
    static func finalNames(under exportDir: String, except folder: String) -> Int {
        let albums = (try? FileManager.default.contentsOfDirectory(atPath: exportDir)) ?? []
        return albums.filter { !$0.hasPrefix(".") && exportDir + "/" + $0 != folder }.reduce(0) { count, album in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: exportDir + "/" + album)) ?? []
            return count + names.filter { !FileCopier.isTempName($0) }.count
        }
    }
}

/// When each held write began and ended, by album folder (written from the copy threads).
private final class WriteSpans: @unchecked Sendable {
    struct Span { var folder: String; var start: ContinuousClock.Instant; var end: ContinuousClock.Instant }
    private var spans: [Span] = []
    private var begun: Set<String> = []
    private let lock = NSLock()
    func begin(folder: String) {
        lock.withLock { _ = begun.insert(folder) }
    }
    /// Blocks until writes into `count` folders have begun, or `limit` has passed.
    func awaitFolders(_ count: Int, limit: Duration) {
        let deadline = ContinuousClock.now + limit
        while lock.withLock({ begun.count }) < count && ContinuousClock.now < deadline { usleep(2_000) }
    }
    func add(folder: String, _ start: ContinuousClock.Instant, _ end: ContinuousClock.Instant) {
        lock.lock(); defer { lock.unlock() }
        spans.append(Span(folder: folder, start: start, end: end))
    }
    var all: [Span] {
        lock.lock(); defer { lock.unlock() }
        return spans
    }
}
