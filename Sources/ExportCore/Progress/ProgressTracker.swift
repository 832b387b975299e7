import Foundation
import Synchronization

/// Folds progress events into the current snapshot and wakes the sinks. Cheap per event (a lock
/// and a few counters), so a run can report every file; sinks read at their own pace.
public final class ProgressTracker: Sendable {
    public enum Signal: Sendable { case tick, milestone }

    private struct State {
        var snapshot = ProgressSnapshot()
        var albumIndex: [String: Int] = [:]
        /// `AlbumProgress.labels` of the snapshot's albums, for `current_album`.
        var albumLabels: [String] = []
        var started: Date?
        var copyingStarted: Date?
        var subscribers: [UUID: AsyncStream<Signal>.Continuation] = [:]
    }

    private let state: Mutex<State>
    /// Milestones emitted so far, readable without the lock (a coalescing sink polls it).
    private let milestones = Atomic<Int>(0)

    public init(initial: ProgressSnapshot = ProgressSnapshot()) {
        state = Mutex(State(snapshot: initial))
    }

    /// The current document, with rate and ETA computed now.
    public func snapshot(now: Date = Date()) -> ProgressSnapshot {
        state.withLock { s in
            var snap = s.snapshot
            if snap.running, let since = s.copyingStarted {
                let elapsed = now.timeIntervalSince(since)
                let done = snap.copied + snap.skipped + snap.failed
                if elapsed > 0.5 && done > 0 {
                    snap.filesPerSecond = Double(done) / elapsed
                    snap.estimatedRemaining = Int((Double(max(snap.total - done, 0)) / snap.filesPerSecond).rounded())
                }
            }
            if let started = s.started, snap.running { snap.durationSeconds = now.timeIntervalSince(started) }
            return snap
        }
    }

    /// A stream of wake-ups; `milestone` for changes a sink should show at once (start, phase, end).
    public func signals() -> AsyncStream<Signal> {
        let (stream, continuation) = AsyncStream.makeStream(of: Signal.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        state.withLock { $0.subscribers[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// A run has started and not finished.
    public var isRunning: Bool { state.withLock { $0.snapshot.running } }

    /// Grows with every milestone (start, phase, end, …): lets a sink that is waiting out its
    /// interval notice one at once.
    public var milestoneCount: Int { milestones.load(ordering: .acquiring) }

    /// Ends every subscriber's stream (the agent's shutdown).
    public func finishSignals() {
        let subs = state.withLock { s in
            let subs = s.subscribers
            s.subscribers = [:]
            return subs
        }
        subs.values.forEach { $0.finish() }
    }

    public func emit(_ event: ProgressEvent) {
        let (subscribers, signal) = state.withLock { s -> ([AsyncStream<Signal>.Continuation], Signal) in
            let signal = Self.reduce(&s, event)
            return (Array(s.subscribers.values), signal)
        }
        if signal == .milestone { milestones.add(1, ordering: .releasing) }
        for subscriber in subscribers { subscriber.yield(signal) }
    }

    private static func reduce(_ s: inout State, _ event: ProgressEvent) -> Signal {
        switch event {
        case let .started(runID, dryRun, at):
            start(&s, runID: runID, dryRun: dryRun, at: at)
            return .milestone
        case let .phase(phase):
            s.snapshot.phase = phase
            if phase == .copying {
                s.snapshot.status = .running
                s.copyingStarted = Date()
            }
            if phase == .cleanup { s.snapshot.currentFile = nil }
            return .milestone
        case let .schema(generation, version):
            s.snapshot.schema = generation
            s.snapshot.immichVersion = version
            return .milestone
        case let .catalog(albums, bytesTotal):
            s.snapshot.albums = albums
            s.snapshot.albumsTotal = albums.count
            s.snapshot.total = albums.reduce(0) { $0 + $1.total }
            s.snapshot.bytesTotal = bytesTotal
            s.albumIndex.reserveCapacity(albums.count)
            for (i, album) in albums.enumerated() { s.albumIndex[album.id] = i }
            s.albumLabels = ProgressSnapshot.AlbumProgress.labels(albums)
            return .milestone
        case let .albumStarted(albumID):
            if let i = s.albumIndex[albumID] {
                s.snapshot.albums[i].state = "running"
                s.snapshot.currentAlbum = s.albumLabels[i]
            }
            return .tick
        case let .fileStarted(path):
            s.snapshot.currentFile = path
            return .tick
        case let .fileFinished(albumID, path, outcome):
            Self.count(outcome, path: path, album: s.albumIndex[albumID], in: &s.snapshot)
            return .tick
        case let .filesSkipped(albumID, count):
            s.snapshot.skipped += count
            if let i = s.albumIndex[albumID] { s.snapshot.albums[i].skipped += count }
            s.snapshot.percentCopied = Self.percentDone(s.snapshot)
            return .tick
        case let .albumSized(recorded, actual):
            s.snapshot.bytesTotal = max(s.snapshot.bytesTotal + actual - recorded, s.snapshot.bytesCopied)
            return .tick
        case let .extraFiles(albumID, count):
            s.snapshot.total += count
            if let i = s.albumIndex[albumID] { s.snapshot.albums[i].total += count }
            return .tick
        case let .albumFinished(albumID):
            if let i = s.albumIndex[albumID] { s.snapshot.albums[i].state = "done" }
            return .tick
        case let .deleted(albumID, path):
            s.snapshot.deleted += 1
            if let albumID, let i = s.albumIndex[albumID] { s.snapshot.albums[i].deleted += 1 }
            s.snapshot.preview.delete.add(path)
            return .tick
        case let .folderMoved(from, to):
            s.snapshot.preview.move.add(from + " → " + to)
            return .tick
        case let .guardDecision(reason):
            s.snapshot.guardReason = reason
            return .milestone
        case let .finished(status, error, at):
            finish(&s, status: status, error: error, at: at)
            return .milestone
        }
    }

    /// A new run: a fresh snapshot that keeps only when the last run was.
    private static func start(_ s: inout State, runID: String, dryRun: Bool, at: Date) {
        let lastRun = s.snapshot.lastRun
        s.snapshot = ProgressSnapshot()
        s.albumIndex = [:]
        s.albumLabels = []
        s.snapshot.lastRun = lastRun
        s.snapshot.status = .starting
        s.snapshot.running = true
        s.snapshot.runID = runID
        s.snapshot.dryRun = dryRun
        s.snapshot.startedAt = Timestamp.iso8601(at)
        s.snapshot.phase = .connecting
        s.started = at
        s.copyingStarted = nil
    }

    /// The run's end: its status and error, its duration and rate; a complete run is at 100 %.
    private static func finish(_ s: inout State, status: ProgressSnapshot.Status, error: String?, at: Date) {
        s.snapshot.status = status
        s.snapshot.error = error
        s.snapshot.running = false
        s.snapshot.phase = .finished
        s.snapshot.currentFile = nil
        s.snapshot.currentAlbum = nil
        s.snapshot.finishedAt = Timestamp.iso8601(at)
        s.snapshot.lastRun = Timestamp.iso8601(at)
        if let started = s.started { s.snapshot.durationSeconds = at.timeIntervalSince(started) }
        if let since = s.copyingStarted {
            let elapsed = at.timeIntervalSince(since)
            let done = s.snapshot.copied + s.snapshot.skipped + s.snapshot.failed
            s.snapshot.filesPerSecond = elapsed > 0 ? Double(done) / elapsed : 0
        }
        s.snapshot.estimatedRemaining = status == .complete || status == .dryRun ? 0 : nil
        if status == .complete || status == .dryRun { s.snapshot.percentCopied = s.snapshot.total > 0 ? 100 : 0 }
    }

    /// One finished file. Bytes done never exceed the total: a source can grow between its stat
    /// and its copy.
    private static func count(_ outcome: ProgressEvent.Outcome, path: String, album i: Int?, in snapshot: inout ProgressSnapshot) {
        switch outcome {
        case let .copied(bytes):
            snapshot.copied += 1
            snapshot.bytesCopied += bytes
            if let i { snapshot.albums[i].copied += 1 }
            snapshot.preview.copy.add(path)
        case let .updated(bytes):
            snapshot.copied += 1
            snapshot.updated += 1
            snapshot.bytesCopied += bytes
            if let i { snapshot.albums[i].copied += 1 }
            snapshot.preview.update.add(path)
        case .skipped:
            snapshot.skipped += 1
            if let i { snapshot.albums[i].skipped += 1 }
        case let .failed(reason):
            snapshot.failed += 1
            if let i { snapshot.albums[i].failed += 1 }
            if snapshot.failures.count < ProgressSnapshot.PathList.limit {
                snapshot.failures.append(.init(path: path, reason: reason))
            }
        }
        snapshot.bytesTotal = max(snapshot.bytesTotal, snapshot.bytesCopied)
        snapshot.percentCopied = percentDone(snapshot)
    }

    private static func percentDone(_ snapshot: ProgressSnapshot) -> Double {
        let done = snapshot.copied + snapshot.skipped + snapshot.failed
        return snapshot.total > 0 ? min(100, Double(done) / Double(snapshot.total) * 100) : 0
    }
}
