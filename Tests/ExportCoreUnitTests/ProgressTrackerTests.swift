import ExportCore
import Foundation
import Testing

/// The tracker's folding of events into the progress document (pure, no run).
@Suite("Progress tracker")
struct ProgressTrackerTests {
    @Test("bytes done never exceed the total, whatever was expected")
    func bytesDoneNeverExceedTheTotal() {
        let tracker = ProgressTracker()
        tracker.emit(.started(runID: "r", dryRun: false, at: Date()))
        tracker.emit(.catalog(albums: [.init(id: "a", name: "A", folder: "A", total: 2)], bytesTotal: 36_000))
        tracker.emit(.fileFinished(albumID: "a", path: "A/1.jpg", outcome: .copied(bytes: 30_000)))
        #expect(tracker.snapshot().bytesTotal == 36_000)
        tracker.emit(.fileFinished(albumID: "a", path: "A/2.jpg", outcome: .copied(bytes: 42_000)))
        #expect(tracker.snapshot().bytesCopied == 72_000 && tracker.snapshot().bytesTotal == 72_000)
        // A measured album corrects the total by its difference, never below what is done.
        tracker.emit(.albumSized(recordedBytes: 0, actualBytes: 5_000))
        #expect(tracker.snapshot().bytesTotal == 77_000)
        tracker.emit(.albumSized(recordedBytes: 50_000, actualBytes: 0))
        #expect(tracker.snapshot().bytesTotal == 72_000)
    }

    @Test("albums that share a name are told apart by their folder; unique names stay as they are")
    func sameNamedAlbumsShowTheirFolder() {
        let albums: [ProgressSnapshot.AlbumProgress] = [
            .init(id: "1", name: "Holiday", folder: "Holiday", total: 1),
            .init(id: "2", name: "holiday ", folder: "holiday +1", total: 1),
            .init(id: "3", name: "Pets", folder: "Pets", total: 1),
            .init(id: "4", name: "Family: 2024/25", folder: "Family_ 2024_25", total: 1),
        ]
        #expect(ProgressSnapshot.AlbumProgress.labels(albums) == [
            "Holiday (folder Holiday)", "holiday  (folder holiday +1)", "Pets", "Family: 2024/25",
        ])
        let tracker = ProgressTracker()
        tracker.emit(.started(runID: "r", dryRun: false, at: Date()))
        tracker.emit(.catalog(albums: albums, bytesTotal: 0))
        tracker.emit(.albumStarted(albumID: "2"))
        #expect(tracker.snapshot().currentAlbum == "holiday  (folder holiday +1)")
        tracker.emit(.albumStarted(albumID: "3"))
        #expect(tracker.snapshot().currentAlbum == "Pets")
        // progress.json keeps each album's own name and folder.
        #expect(tracker.snapshot().albums.map(\.name) == albums.map(\.name))
    }
}
