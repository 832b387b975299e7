@testable import ExportCore
import Testing

@Suite("What gets exported: the catalog's label filters and the album filter")
struct SelectionFilterTests {
    @Test("label filters compare an enum as itself, text as text, and drop labels the enum lacks (pure)")
    func labelFilters() {
        var schema = SchemaInfo(generation: .d, immichVersion: nil, columns: ["asset": ["status", "visibility", "checksumAlgorithm"]])
        schema.enumLabels = ["asset.status": ["active", "trashed"], "asset.visibility": ["archive", "timeline"]]
        let q = CatalogQueries(schema: schema, ownerFilter: false)
        #expect(q.isNone(of: ["trashed", "deleted"], "a", "asset", "status") == #"a."status" NOT IN ('trashed')"#)
        #expect(q.isNone(of: ["deleted"], "a", "asset", "status") == #"a."status" IS NOT NULL"#)
        #expect(q.isNone(of: ["locked"], "a", "asset", "visibility", nullMatches: true) == "TRUE")
        #expect(q.isNone(of: ["archive"], "a", "asset", "visibility", nullMatches: true) == #"a."visibility" IS DISTINCT FROM 'archive'"#)
        #expect(q.isEqual(to: "sha1", "a", "asset", "checksumAlgorithm") == #"a."checksumAlgorithm"::text = 'sha1'"#)
        #expect(q.isEqual(to: "deleted", "a", "asset", "status") == "FALSE")
        #expect(q.isNone(of: ["it's"], "a", "asset", "checksumAlgorithm") == #"a."checksumAlgorithm"::text NOT IN ('it''s')"#)
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
