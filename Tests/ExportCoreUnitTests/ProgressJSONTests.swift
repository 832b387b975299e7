@testable import ExportCore
import Foundation
import Testing

@Suite("The progress document written directly (ProgressJSON) is the encoder's document")
struct ProgressJSONTests {
    /// Every field set, strings that need escaping, empty and full lists, whole and fractional numbers.
    static func sample(seed: UInt64) -> ProgressSnapshot {
        var rng = SeededGenerator(seed: seed)
        let awkward = ["plain", "quote \" and back\\slash", "tab\tnew\nline\r", "ctrl \u{1}\u{1f}\u{7f}", "a/b/c",
                       "Ürlaub 🏖️ 2024", "", " spaces ", "\u{202E}gpj.exe", "{\"json\": [1]}"]
        func text() -> String { awkward.randomElement(using: &rng)! + String(Int.random(in: 0..<1000, using: &rng)) }
        var s = ProgressSnapshot()
        s.status = [.idle, .running, .complete, .failed, .dryRun].randomElement(using: &rng)!
        s.phase = [.idle, .scanning, .copying, .cleanup, .finished].randomElement(using: &rng)!
        s.copied = Int.random(in: 0..<100_000, using: &rng)
        s.skipped = Int.random(in: 0..<100_000, using: &rng)
        s.failed = Int.random(in: 0..<10, using: &rng)
        s.total = s.copied + s.skipped + s.failed
        s.currentAlbum = Bool.random(using: &rng) ? text() : nil
        s.currentFile = Bool.random(using: &rng) ? text() : nil
        s.filesPerSecond = [0, 12, 0.05, 1234.56, 99.95].randomElement(using: &rng)!
        s.estimatedRemaining = Bool.random(using: &rng) ? Int.random(in: 0..<9999, using: &rng) : nil
        s.guardReason = Bool.random(using: &rng) ? text() : nil
        s.error = Bool.random(using: &rng) ? text() : nil
        s.percentCopied = [0, 100, 33.333, 66.66, 0.04].randomElement(using: &rng)!
        s.running = Bool.random(using: &rng)
        s.runID = "20261203-101010-ab12"
        s.dryRun = Bool.random(using: &rng)
        s.startedAt = "2026-12-03T10:10:10Z"
        s.durationSeconds = Bool.random(using: &rng) ? Double.random(in: 0..<5000, using: &rng) : nil
        s.bytesCopied = Int64.random(in: 0..<(1 << 40), using: &rng)
        s.bytesTotal = s.bytesCopied * 2
        s.schema = "D"
        s.albums = (0..<Int.random(in: 0..<40, using: &rng)).map { i in
            var a = ProgressSnapshot.AlbumProgress(id: UUID().uuidString.lowercased(), name: text(), folder: text(), total: i * 3)
            a.copied = i
            a.state = ["pending", "running", "done"][i % 3]
            return a
        }
        s.albumsTotal = s.albums.count
        s.failures = (0..<Int.random(in: 0..<3, using: &rng)).map { _ in .init(path: text(), reason: text()) }
        for _ in 0..<Int.random(in: 0..<60, using: &rng) { s.preview.copy.add(text()) }
        if Bool.random(using: &rng) { s.preview.move.add(text() + " → " + text()) }
        return s
    }

    @Test("200 generated snapshots, pretty and compact: same keys, same values as JSONEncoder's")
    func sameDocument() throws {
        for seed in 0..<200 as Range<UInt64> {
            let s = Self.sample(seed: seed)
            for pretty in [true, false] {
                let written = ProgressJSON.data(s, pretty: pretty)
                let encoded = s.encodedData(pretty: pretty)
                // As JSON values: every key, every value, nulls included.
                let a = try JSONSerialization.jsonObject(with: written) as? NSDictionary
                let b = try JSONSerialization.jsonObject(with: encoded) as? NSDictionary
                #expect(a != nil && a == b, "seed \(seed), pretty \(pretty)")
                // And read back as the snapshot the file sink's reader sees.
                #expect(try JSONDecoder().decode(ProgressSnapshot.self, from: written)
                    == JSONDecoder().decode(ProgressSnapshot.self, from: encoded))
            }
        }
    }

    @Test("the layout is the encoder's too: byte for byte on a typical document")
    func sameText() {
        var s = Self.sample(seed: 7)
        s.filesPerSecond = 12.5
        s.percentCopied = 40
        s.durationSeconds = 3
        #expect(String(decoding: ProgressJSON.data(s, pretty: true), as: UTF8.self)
            == String(decoding: s.encodedData(pretty: true), as: UTF8.self))
        #expect(ProgressJSON.data(ProgressSnapshot(), pretty: false) == ProgressSnapshot().encodedData(pretty: false))
    }
}

/// Deterministic random values, so a failing seed can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
