@testable import ExportCore
import Testing
import TestHelpers

/// The run's cross-album lookups are built once, then asked per album or per copy: each answer
/// must be what a scan of every album gives, and cost only what it returns.
@Suite("Manifest indexes (one lookup per album, not a scan of all)")
struct ManifestIndexesTests {
    static func uuid(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
    }

    /// 3000 albums in 500 folders (some shared, some nested), each with a few files.
    static func manifest(_ g: inout SeededRandom) -> Manifest {
        var m = Manifest()
        for a in 0..<3000 {
            let folder = g.next() % 4 == 0 ? "Owner \(g.next() % 5)/Album \(g.next() % 500)" : "Album \(g.next() % 500)"
            var files = OwnedFiles()
            for k in 0..<Int(g.next() % 4) { files[uuid(a * 10 + k)] = .init(name: "IMG_\(a)_\(k).jpg", size: 1, mtime: 1) }
            m.albums[uuid(1_000_000 + a)] = .init(folder: folder, base: folder, files: files)
        }
        return m
    }

    @Test("a folder's owners are the albums a scan of every album finds there, and only those")
    func folderOwnersAgreeWithScan() {
        var g = SeededRandom(seed: 23)
        let m = Self.manifest(&g)
        let index = Manifest.FolderOwners(m)
        let folders = Set(m.albums.values.map(\.folder)).union(["Album 9999", "Owner 1", ""])
        for folder in folders {
            let scanned = m.albums.filter { $0.value.folder == folder }
            let owners = m.owners(ofFolder: folder, index: index)
            #expect(Set(owners.map(\.albumID)) == Set(scanned.keys), "\(folder)")
            #expect(owners.count == scanned.count)
            for (albumID, files) in owners { #expect(files == m.albums[albumID]!.files) }
            #expect(index.albumIDs(inFolder: folder).count == scanned.count)
        }
    }

    @Test("donors: an unclaimed file of a settled album, never the asking album's, never a claimed one")
    func donorsAgreeWithScan() {
        var g = SeededRandom(seed: 5)
        var m = Self.manifest(&g)
        // Every album shares a few assets with others; half the albums claim half their files.
        let albumIDs = m.albums.keys.sorted()
        for (i, albumID) in albumIDs.enumerated() {
            m.albums[albumID]!.files[Self.uuid(i % 700)] = .init(name: "shared_\(i).jpg", size: 2, mtime: 2)
            if i % 2 == 0 {
                for (assetID, file) in m.albums[albumID]!.files where g.next() % 2 == 0 {
                    m.albums[albumID]!.files.markSeen(assetID, ifNamed: file.name)
                }
            }
        }
        let settled = Set(albumIDs.filter { _ in g.next() % 3 != 0 })
        var donors = Manifest.Donors()
        for albumID in settled { donors.addUnclaimed(of: albumID, in: m) }

        var found = 0
        let assets = (0..<700).map(Self.uuid) + stride(from: 0, to: 30_000, by: 97).map(Self.uuid)
        for asset in assets {
            let id = OwnedFiles.PackedID(asset)
            let asking = albumIDs[Int(g.next() % UInt64(albumIDs.count))]
            let candidates = m.albums.filter { other in
                other.key != asking && settled.contains(other.key) && other.value.files[asset].map { !$0.seen } == true
            }
            let donor = ExportRun.movedFrom(id, otherThan: asking, manifest: m, donors: donors, exportDir: "/x")
            #expect((donor != nil) == !candidates.isEmpty, "\(asset)")
            if let donor {
                found += 1
                #expect(candidates.contains { "/x/" + $0.value.folder + "/" + $0.value.files[asset]!.name == donor.path })
            }
        }
        #expect(found > 100)
    }

    @Test("a file claimed after its album settled is no donor any more")
    func claimedLaterIsNoDonor() {
        var m = Manifest()
        let asset = Self.uuid(1)
        m.albums["a"] = .init(folder: "A", base: "A", files: [asset: .init(name: "x.jpg", size: 1, mtime: 1)])
        var donors = Manifest.Donors()
        donors.addUnclaimed(of: "a", in: m)
        #expect(ExportRun.movedFrom(.init(asset), otherThan: "b", manifest: m, donors: donors, exportDir: "/e")?.path == "/e/A/x.jpg")
        #expect(ExportRun.movedFrom(.init(asset), otherThan: "a", manifest: m, donors: donors, exportDir: "/e") == nil)
        m.albums["a"]!.files.markSeen(asset, ifNamed: "x.jpg")
        #expect(ExportRun.movedFrom(.init(asset), otherThan: "b", manifest: m, donors: donors, exportDir: "/e") == nil)
        // An album not added is not settled: its files are no donors.
        m.albums["c"] = .init(folder: "C", base: "C", files: [asset: .init(name: "y.jpg", size: 1, mtime: 1)])
        #expect(ExportRun.movedFrom(.init(asset), otherThan: "b", manifest: m, donors: donors, exportDir: "/e") == nil)
    }
}
