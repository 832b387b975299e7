import ExportCore
import Foundation
import TestSupport

/// A synthetic Immich library generated with set-based SQL (one statement per table, rows from
/// `generate_series`), plus its files written with one reused buffer. Asset `i` lives at
/// `upload/u<i % users>/<xx>/<yy>/asset-<i>.jpg`, so the files can be written without reading the
/// rows back. Albums hold contiguous runs of assets, 10–5000 each (or all `albumSize`, for the
/// album-count axis); every `secondaryEvery`-th asset is also in the next album.
struct SyntheticLibrary {
    var generation: SchemaGeneration
    var assets: Int
    var fileSize: Int
    var users = 4
    /// Every n-th asset is in a second album too (0 = each asset in one album).
    var secondaryEvery = 5
    /// Every album this size (the last one takes what is left) instead of `albumPattern`.
    var albumSize: Int?

    /// The same assets in `albums` albums of equal size, each asset in one album: the
    /// album-count axis compares two of these that differ only in their album count.
    static func shaped(assets: Int, albums: Int, fileSize: Int) -> SyntheticLibrary {
        var lib = SyntheticLibrary(generation: .d, assets: assets, fileSize: fileSize, secondaryEvery: 0)
        lib.albumSize = max(1, (assets + max(albums, 1) - 1) / max(albums, 1))
        return lib
    }

    /// Album sizes cycle through this pattern (10–5000), the last one takes what is left.
    static let albumPattern = [10, 40, 150, 600, 2500, 5000, 25, 300, 1200, 80]

    var albumRanges: [(start: Int, count: Int)] {
        var ranges: [(Int, Int)] = []
        var start = 0
        var k = 0
        while start < assets {
            let size = min(albumSize ?? Self.albumPattern[k % Self.albumPattern.count], assets - start)
            ranges.append((start, size))
            start += size
            k += 1
        }
        return ranges
    }

    /// Album×asset rows the catalog will stream.
    var entries: Int {
        let albums = albumRanges.count
        guard secondaryEvery > 0, albums > 1 else { return assets }
        return assets + (assets + secondaryEvery - 1) / secondaryEvery
    }

    static func relativePath(_ i: Int, users: Int) -> String {
        "upload/u\(i % users)/" + hex2(i & 0xff) + "/" + hex2((i >> 8) & 0xff) + "/asset-\(i).jpg"
    }

    private static func hex2(_ v: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[v >> 4], digits[v & 15]])
    }

    // MARK: SQL

    private var isD: Bool { generation == .d }

    /// `originalPath` / `originalFileName` expressions for asset number `i` (an SQL integer).
    private func assetSelect(_ i: String, size: String) -> String {
        let path = #"'/data/upload/u' || (\#(i) % \#(users)) || '/' || lpad(to_hex(\#(i) & 255), 2, '0') || '/' || lpad(to_hex((\#(i) >> 8) & 255), 2, '0') || '/asset-' || \#(i) || '.jpg'"#
        let name = #"'PXL_20240101_' || lpad(\#(i)::text, 9, '0') || '.jpg'"#
        let ts = #"(timestamptz '2020-01-01 00:00:00+00' + \#(i) * interval '1 second')"#
        return #"""
            SELECT md5('asset' || \#(i))::uuid, md5('user' || (\#(i) % \#(users)))::uuid, 'IMAGE', \#(path), \#(name),
                   \#(ts), \#(ts), \#(ts), decode(md5('c' || \#(i)) || substr(md5('d' || \#(i)), 1, 8), 'hex')
            """#
    }

    private static let assetColumns = #"(id, "ownerId", type, "originalPath", "originalFileName", "fileCreatedAt", "fileModifiedAt", "localDateTime", checksum)"#

    /// The whole library: a handful of statements whatever the size.
    func insertSQL() -> String {
        let ranges = albumRanges
        let starts = ranges.map { String($0.start) }.joined(separator: ",")
        let counts = ranges.map { String($0.count) }.joined(separator: ",")
        let albumCount = ranges.count
        let nameDigits = max(4, String(albumCount - 1).count)   // distinct names however many albums
        var sql = """
            INSERT INTO version_history (version) VALUES ('\(ImmichFixture.versionString(generation))');
            INSERT INTO "user" (id, email, name)
              SELECT md5('user' || u)::uuid, 'bench' || u || '@example.test', 'Bench ' || u FROM generate_series(0, \(users - 1)) u;
            INSERT INTO asset \(Self.assetColumns)
            \(assetSelect("i", size: "\(fileSize)")) FROM generate_series(0, \(assets - 1)) i;
            INSERT INTO asset_exif ("assetId", "fileSizeInByte") SELECT md5('asset' || i)::uuid, \(fileSize) FROM generate_series(0, \(assets - 1)) i;
            CREATE TEMP TABLE bench_album AS
              SELECT (o - 1)::int AS idx, s AS start, c AS cnt FROM unnest(ARRAY[\(starts)]::int[], ARRAY[\(counts)]::int[]) WITH ORDINALITY AS x(s, c, o);

            """
        if isD {
            sql += """
                INSERT INTO album (id, "albumName", "createdAt")
                  SELECT md5('album' || idx)::uuid, 'Bench album ' || lpad(idx::text, \(nameDigits), '0'), timestamptz '2021-01-01 00:00:00+00' + idx * interval '1 minute' FROM bench_album;
                INSERT INTO album_user ("albumId", "userId", role) SELECT md5('album' || idx)::uuid, md5('user' || (idx % \(users)))::uuid, 'owner' FROM bench_album;

                """
        } else {
            sql += """
                INSERT INTO album (id, "ownerId", "albumName", "createdAt")
                  SELECT md5('album' || idx)::uuid, md5('user' || (idx % \(users)))::uuid, 'Bench album ' || lpad(idx::text, \(nameDigits), '0'), timestamptz '2021-01-01 00:00:00+00' + idx * interval '1 minute' FROM bench_album;

                """
        }
        sql += """
            INSERT INTO album_asset ("albumId", "assetId")
              SELECT md5('album' || b.idx)::uuid, md5('asset' || i)::uuid FROM bench_album b, generate_series(b.start, b.start + b.cnt - 1) i;

            """
        if secondaryEvery > 0 && albumCount > 1 {
            sql += """
                INSERT INTO album_asset ("albumId", "assetId")
                  SELECT md5('album' || ((b.idx + 1) % \(albumCount)))::uuid, md5('asset' || i)::uuid
                  FROM bench_album b, generate_series(b.start, b.start + b.cnt - 1) i WHERE i % \(secondaryEvery) = 0;

                """
        }
        sql += "DROP TABLE bench_album;\n"
        return sql
    }

    // MARK: Files

    /// Writes `assets` files (or a subset) of `size` bytes, stamped with a fixed mtime.
    static func writeFiles(root: String, indices: some Sequence<Int>, size: Int, users: Int, seed: UInt8 = 0) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 4096)
        defer { buffer.deallocate() }
        for k in 0..<buffer.count { buffer[k] = UInt8(truncatingIfNeeded: k &* 31 &+ Int(seed)) }
        var madeDirs = Set<String>()
        for i in indices {
            let rel = relativePath(i, users: users)
            let dir = root + "/" + rel[..<rel.lastIndex(of: "/")!]
            if !madeDirs.contains(dir) {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                madeDirs.insert(dir)
            }
            let path = root + "/" + rel
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))") }
            // A distinct first 8 bytes per file, so no two files are identical.
            var tag = UInt64(i).littleEndian
            withUnsafeBytes(of: &tag) { t in
                for k in 0..<min(8, size) { buffer[k] = t[k] }
            }
            var off = 0
            while off < size {
                let n = write(fd, buffer.baseAddress! + off, size - off)
                if n < 0 { if errno == EINTR { continue }; close(fd); throw BenchError("write \(path) failed") }
                off += n
            }
            var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
            futimens(fd, &times)
            close(fd)
        }
    }

    // MARK: The 1 % change

    struct Change {
        var modified: [Int]
        var added: [Int]
        var removed: [Int]
    }

    /// Round `round`'s change: 0.4 % modified (new content and size, later fileModifiedAt),
    /// 0.3 % added (new assets in existing albums), 0.3 % removed from their albums.
    func change(round: Int) -> Change {
        let modified = max(1, assets * 4 / 1000)
        let added = max(1, assets * 3 / 1000)
        let removed = max(1, assets * 3 / 1000)
        func spread(_ count: Int, offset: Int) -> [Int] {
            let step = max(1, assets / count)
            return (0..<count).map { ($0 * step + offset + round * 17) % assets }
        }
        let mod = spread(modified, offset: 1)
        let modSet = Set(mod)
        let rem = spread(removed, offset: 7).filter { !modSet.contains($0) }
        let base = assets + round * added
        return Change(modified: mod, added: Array(base..<(base + added)), removed: rem)
    }

    func changeSQL(_ c: Change, round: Int) -> String {
        func list(_ xs: [Int]) -> String { "ARRAY[" + xs.map(String.init).joined(separator: ",") + "]::int[]" }
        let albums = albumRanges.count
        let newSize = fileSize + 1 + round
        return """
            UPDATE asset SET "fileModifiedAt" = "fileModifiedAt" + interval '1 day' * \(round + 1)
              WHERE id IN (SELECT md5('asset' || i)::uuid FROM unnest(\(list(c.modified))) i);
            UPDATE asset_exif SET "fileSizeInByte" = \(newSize)
              WHERE "assetId" IN (SELECT md5('asset' || i)::uuid FROM unnest(\(list(c.modified))) i);
            DELETE FROM album_asset WHERE "assetId" IN (SELECT md5('asset' || i)::uuid FROM unnest(\(list(c.removed))) i);
            INSERT INTO asset \(Self.assetColumns)
            \(assetSelect("i", size: "\(fileSize)")) FROM unnest(\(list(c.added))) i;
            INSERT INTO asset_exif ("assetId", "fileSizeInByte") SELECT md5('asset' || i)::uuid, \(fileSize) FROM unnest(\(list(c.added))) i;
            INSERT INTO album_asset ("albumId", "assetId") SELECT md5('album' || (i % \(albums)))::uuid, md5('asset' || i)::uuid FROM unnest(\(list(c.added))) i;

            """
    }

    /// Applies the change to the files (modified: rewritten with a new size; added: new files).
    func applyFiles(_ c: Change, root: String, round: Int) throws {
        try Self.writeFiles(root: root, indices: c.modified, size: fileSize + 1 + round, users: users, seed: UInt8(truncatingIfNeeded: round + 1))
        try Self.writeFiles(root: root, indices: c.added, size: fileSize, users: users)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
