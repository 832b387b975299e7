import Foundation
import Logging
import Synchronization

/// Keeps `export_dir/progress.json` current: written atomically (temp + rename), at most about
/// twice a second, and sooner for milestones (start, phase change): at once, or half an interval
/// after the last write. A run passes several milestones within milliseconds, and each document
/// lists every album. The end of a run is written at once: whoever waits for it reads the file.
public struct ProgressFileSink: Sendable {
    public let path: String
    public let interval: Duration
    let logger: Logger
    /// One write at a time: the follower (`run`) and the owner's last document share the temp
    /// name, and two writers truncating and filling it at once would rename a mix of both.
    private let writing = WriteGate()

    private final class WriteGate: Sendable {
        let lock = Mutex(())
    }

    public init(exportDir: String, interval: Duration = .milliseconds(500), logger: Logger) {
        self.path = exportDir + "/progress.json"
        self.interval = interval
        self.logger = logger
    }

    /// Follows `tracker` in a task of its own; `Following.finish` ends it with the last document.
    public func follow(_ tracker: ProgressTracker) -> Following {
        Following(sink: self, task: Task { await run(tracker) })
    }

    /// A running follower. The last document is written only once the follower has stopped, so
    /// an older one it was still writing cannot land after it.
    public struct Following: Sendable {
        let sink: ProgressFileSink
        let task: Task<Void, Never>

        /// Stops the follower (at once, even mid-interval) and writes `snapshot` after it.
        public func finish(with snapshot: ProgressSnapshot) async {
            task.cancel()
            await task.value
            sink.write(snapshot)
        }
    }

    /// Follows the tracker until the signal stream ends or the task is cancelled. Cancelled, it
    /// returns at once without another write: the owner writes the last document itself.
    public func run(_ tracker: ProgressTracker) async {
        let clock = ContinuousClock()
        var lastWrite = clock.now - interval
        let milestoneGap = interval / 2
        for await signal in tracker.signals() {
            // Coalesce: wait out the rest of the interval (newer signals replace this one), in
            // short slices, so a milestone arriving meanwhile shortens the wait to its gap.
            var gap = signal == .milestone ? milestoneGap : interval
            let milestones = tracker.milestoneCount
            while !Task.isCancelled {
                if tracker.milestoneCount != milestones { gap = milestoneGap }
                if gap == milestoneGap, !tracker.isRunning { break }
                let left = gap - (clock.now - lastWrite)
                if left <= .zero { break }
                try? await Task.sleep(for: min(left, .milliseconds(20)))
            }
            if Task.isCancelled { return }
            // Off the cooperative threads: replacing the file frees the old one, and on a disk
            // mounted with `discard` that waits for the device.
            let snapshot = tracker.snapshot()
            _ = try? await BlockingIO.write { self.write(snapshot) }
            lastWrite = clock.now
        }
    }

    public func write(_ snapshot: ProgressSnapshot) {
        let directory = (path as NSString).deletingLastPathComponent
        guard FileSystem.exists(directory) else { return }
        do {
            let data = snapshot.jsonData()
            try writing.lock.withLock { _ throws(SystemError) in try FileSystem.writeAtomically(data, to: path) }
        } catch {
            logger.warning("cannot write progress.json", metadata: ["error": "\(error)"])
        }
    }

    /// The last document written, e.g. to restore `last_run` after a restart.
    public func read() -> ProgressSnapshot? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ProgressSnapshot.self, from: data)
    }
}
