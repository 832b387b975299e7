import ExportCore
import Foundation

/// One generated library under measurement: its folders, its database and its config.
struct LibraryTrial {
    let lib: SyntheticLibrary
    let label: String
    let dir: String
    let db: String

    var assetsRoot: String { dir + "/immich" }
    var exportDir: String { dir + "/export" }
    var cpDir: String { dir + "/cp" }
    var rsyncDir: String { dir + "/rsync" }
    var config: String { dir + "/config.yaml" }
    var log: String { dir + "/run.log" }
    /// rsync mirrors the export tree, leaving out what only the export keeps for itself.
    var rsyncArgs: [String] {
        ["-a", "--delete", "--exclude=/\(ManifestStore.folderName)/", "--exclude=/progress.json", exportDir + "/", rsyncDir + "/"]
    }
}

extension Runner {
    func writeConfig(_ t: LibraryTrial) throws {
        try """
            export_dir: \(t.exportDir)
            assets_root: \(t.assetsRoot)
            db_host: \(cluster.host)
            db_port: \(cluster.port)
            db_name: \(t.db)
            db_user: \(Self.reader)
            db_pass: \(Self.readerPassword)
            db_max_retries: 0
            min_found_abs: 1
            copy_concurrency: \(p.concurrency)
            log_level: warning
            schedule: ""

            """.write(toFile: t.config, atomically: true, encoding: .utf8)
    }

    /// One timed `immich-export run`; it must complete without failures (and copy `expectCopied`).
    func export(_ t: LibraryTrial, expectCopied: Int? = nil) throws -> Sample {
        try? FileManager.default.removeItem(atPath: t.log)
        let s = try Measure.run(exporter, ["run", "--config", t.config], log: t.log)
        let text = (try? String(contentsOfFile: t.log, encoding: .utf8)) ?? ""
        guard let summary = text.split(separator: "\n").last(where: { $0.hasPrefix("complete:") }) else {
            throw BenchError("immich-export did not complete:\n\(text.suffix(2000))")
        }
        if !summary.contains("failed 0,") { throw BenchError("immich-export reported failures: \(summary)\n\(text.suffix(2000))") }
        if let expectCopied, !summary.contains("copied \(expectCopied) ") {
            throw BenchError("expected \(expectCopied) copied: \(summary)")
        }
        return s
    }

    /// 1. Full export vs cp -r (alternating who goes first), after an untimed cp -r has warmed
    /// the page cache with the sources for both sides.
    func measureFullExports(_ t: LibraryTrial, into result: inout LibraryResult) throws {
        _ = try Measure.run("/usr/bin/cp", ["-r", t.assetsRoot, t.cpDir], log: t.log)
        Measure.removeTree(t.cpDir)
        Measure.settle()
        for r in 0..<p.repetitions {
            func ours(_ result: inout LibraryResult) throws {
                Measure.removeTree(t.exportDir); Measure.settle()
                result.exportFull.append(try export(t, expectCopied: t.lib.entries))
            }
            func theirs(_ result: inout LibraryResult) throws {
                Measure.removeTree(t.cpDir); Measure.settle()
                result.cp.append(try Measure.run("/usr/bin/cp", ["-r", t.assetsRoot, t.cpDir], log: t.log))
                Measure.removeTree(t.cpDir); Measure.settle()
                guard r == 0 else { return }
                // cp -r + sync: the durability immich-export gives (its copies are on disk before they get their names).
                let start = Date()
                _ = try Measure.run("/usr/bin/cp", ["-r", t.assetsRoot, t.cpDir], log: t.log)
                Measure.settle()
                result.cpSync.append(Sample(seconds: Date().timeIntervalSince(start), maxRSSKiB: 0))
            }
            if r % 2 == 0 { try ours(&result); try theirs(&result) } else { try theirs(&result); try ours(&result) }
            say("\(t.label): full export \(String(format: "%.2f", result.exportFull.last!.seconds)) s, cp -r \(String(format: "%.2f", result.cp.last!.seconds)) s")
        }
        Measure.removeTree(t.cpDir)
    }

    /// 2. No-change re-run vs rsync -a over the same tree (the export tree, mirrored once).
    /// Warm for both sides: the mirror's rsync reads the export tree and the mirror, an untimed
    /// re-run the sources' metadata (the full exports' gigabytes pushed it out of the cache;
    /// rsync never reads the sources) and the database.
    func measureNoChangeReruns(_ t: LibraryTrial, into result: inout LibraryResult) throws {
        _ = try Measure.run(rsync, t.rsyncArgs, log: t.log)
        _ = try export(t, expectCopied: 0)
        Measure.settle()
        for r in 0..<p.rerunRepetitions {
            if r % 2 == 0 {
                result.exportNoChange.append(try export(t, expectCopied: 0))
                result.rsyncNoChange.append(try Measure.run(rsync, t.rsyncArgs, log: t.log))
            } else {
                result.rsyncNoChange.append(try Measure.run(rsync, t.rsyncArgs, log: t.log))
                result.exportNoChange.append(try export(t, expectCopied: 0))
            }
            say("\(t.label): no-change re-run \(String(format: "%.3f", result.exportNoChange.last!.seconds)) s, rsync -a \(String(format: "%.3f", result.rsyncNoChange.last!.seconds)) s")
        }
    }

    /// 3. 1 % of the assets changed / added / removed, then the re-run; rsync mirrors the same change.
    func measureChangeReruns(_ t: LibraryTrial, into result: inout LibraryResult) async throws {
        for r in 0..<p.rerunRepetitions {
            let change = t.lib.change(round: r)
            try await cluster.execute(database: t.db, t.lib.changeSQL(change, round: r))
            try t.lib.applyFiles(change, root: t.assetsRoot, round: r)
            result.changeEntries = change.modified.count + change.added.count + change.removed.count
            Measure.settle()
            result.exportChange.append(try export(t))
            Measure.settle()
            result.rsyncChange.append(try Measure.run(rsync, t.rsyncArgs, log: t.log))
            say("\(t.label): 1 % change re-run \(String(format: "%.3f", result.exportChange.last!.seconds)) s, rsync -a --delete \(String(format: "%.3f", result.rsyncChange.last!.seconds)) s")
        }
    }

    /// 6. Hard links: the same library into a fresh folder, counting the bytes written.
    func measureHardlink(_ t: LibraryTrial, into result: inout LibraryResult) throws {
        let linkDir = t.dir + "/export-hardlink"
        let linkConfig = t.dir + "/config-hardlink.yaml"
        let base = try String(contentsOfFile: t.config, encoding: .utf8)
        try base.replacingOccurrences(of: "export_dir: \(t.exportDir)", with: "export_dir: \(linkDir)")
            .appending("export_mode: hardlink\n").write(toFile: linkConfig, atomically: true, encoding: .utf8)
        let linkSample = try Measure.run(exporter, ["run", "--config", linkConfig], log: t.log)
        if let data = FileManager.default.contents(atPath: linkDir + "/progress.json"),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let written = (json["bytes_copied"] as? NSNumber)?.int64Value ?? -1
            let files = (json["copied"] as? Int) ?? 0
            result.hardlink = (linkSample, written, files)
            say("\(t.label): hardlink export \(String(format: "%.2f", linkSample.seconds)) s, \(files) files, \(written) bytes written")
        }
    }
}
