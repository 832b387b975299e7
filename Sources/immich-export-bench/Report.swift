import Foundation

/// The figures, as a terminal table and as the results section of docs/benchmarks.md.
struct Report {
    var parameters: Parameters
    var machine: [(String, String)]
    var label: String?
    var libraries: [LibraryResult] = []
    /// The album-count axis (7).
    var shapes: [LibraryResult] = []
    var catalog: [CatalogResult] = []
    var elapsed: Double = 0

    mutating func add(_ r: LibraryResult) { libraries.append(r) }

    struct Line {
        var measure: String
        var ours: String
        var reference: String
        var ratio: String
        var goal: String
        var met: String
    }

    static func bytes(_ n: Int) -> String {
        if n >= 1 << 30 { return String(format: "%.1f GiB", Double(n) / Double(1 << 30)) }
        if n >= 1 << 20 { return String(format: "%.0f MiB", Double(n) / Double(1 << 20)) }
        if n >= 1 << 10 { return String(format: "%.0f KiB", Double(n) / Double(1 << 10)) }
        return "\(n) B"
    }

    static func secs(_ s: Stats) -> String { String(format: "%.3f / %.3f s", s.min, s.median) }
    static func mark(_ ok: Bool?) -> String { ok.map { $0 ? "yes" : "NO" } ?? "–" }

    func lines() -> [Line] {
        var out: [Line] = []
        for lib in libraries {
            out += Self.goalLines(lib, tag: "\(lib.name) \(lib.assets) × \(Self.bytes(lib.fileSize))", numbers: ("1.", "2.", "3."))
        }
        out += memoryLines() + catalogLines() + hardlinkLines() + shapeLines()
        return out
    }

    /// The three goals of a library: full export vs cp -r, no-change and 1 % change re-runs vs rsync.
    static func goalLines(_ lib: LibraryResult, tag: String, numbers: (String, String, String)) -> [Line] {
        var out: [Line] = []
        let ours = Stats(values: lib.exportFull.map(\.seconds))
        let cp = Stats(values: lib.cp.map(\.seconds))
        // Throughput: bytes written per second (the export writes every album entry; cp each asset once).
        let ourBytes = Double(lib.entries * lib.fileSize)
        let cpBytes = Double(lib.assets * lib.fileSize)
        let ourMBs = ourBytes / ours.median / 1e6
        let cpMBs = cpBytes / cp.median / 1e6
        let ratio = ourMBs / cpMBs
        out.append(Line(measure: "\(numbers.0) full export (\(tag), \(lib.entries) entries) vs cp -r",
                        ours: Self.secs(ours) + String(format: ", %.0f MB/s, %.0f files/s", ourMBs, Double(lib.entries) / ours.median),
                        reference: Self.secs(cp) + String(format: ", %.0f MB/s, %.0f files/s", cpMBs, Double(lib.assets) / cp.median),
                        ratio: String(format: "%.2f× throughput", ratio), goal: "≥ 0.95", met: Self.mark(ratio >= 0.95)))
        if !lib.cpSync.isEmpty {
            let cs = Stats(values: lib.cpSync.map(\.seconds))
            let r = ourMBs / (cpBytes / cs.median / 1e6)
            out.append(Line(measure: "   (info) same vs cp -r + sync (durable, like the export)",
                            ours: "", reference: Self.secs(cs), ratio: String(format: "%.2f× throughput", r), goal: "", met: ""))
        }
        let nc = Stats(values: lib.exportNoChange.map(\.seconds))
        let rs = Stats(values: lib.rsyncNoChange.map(\.seconds))
        out.append(Line(measure: "\(numbers.1) no-change re-run (\(tag)) vs rsync -a", ours: Self.secs(nc), reference: Self.secs(rs),
                        ratio: String(format: "%.2f× time", nc.median / rs.median), goal: "≤ 1.0", met: Self.mark(nc.median <= rs.median)))
        let ch = Stats(values: lib.exportChange.map(\.seconds))
        let rc = Stats(values: lib.rsyncChange.map(\.seconds))
        out.append(Line(measure: "\(numbers.2) 1 % changed/added/removed (\(lib.changeEntries) assets, \(tag)) vs rsync -a --delete",
                        ours: Self.secs(ch), reference: Self.secs(rc),
                        ratio: String(format: "%.2f× time", ch.median / rc.median), goal: "≤ 1.0", met: Self.mark(ch.median <= rc.median)))
        return out
    }

    /// 4. Peak RSS of the immich-export process.
    private func memoryLines() -> [Line] {
        var out: [Line] = []
        let small = libraries.filter { $0.name == "small" }.sorted { $0.assets < $1.assets }
        for lib in libraries {
            let mib = Double(lib.peakRSSKiB) / 1024
            let isLargest = lib.name == "small" && lib.assets == small.last?.assets
            out.append(Line(measure: "4. peak RSS, \(lib.name) \(lib.assets) assets (\(lib.entries) entries)",
                            ours: String(format: "%.1f MiB", mib), reference: "", ratio: "",
                            goal: isLargest ? "≤ 50 MB at 100k" : "", met: isLargest && lib.assets >= 100_000 ? Self.mark(mib * 1_048_576 <= 50e6) : ""))
            out.append(Line(measure: "4. … of it anonymous (heap, stacks; sampled), \(lib.name) \(lib.assets) assets",
                            ours: String(format: "%.1f MiB", Double(lib.peakAnonKiB) / 1024), reference: "", ratio: "", goal: "", met: ""))
        }
        if small.count >= 2 {
            let a = small[0], b = small[small.count - 1]
            let growth = Double(b.peakRSSKiB - a.peakRSSKiB) * 1024 / Double(b.assets - a.assets)
            out.append(Line(measure: "4. RSS growth \(a.assets) → \(b.assets) assets", ours: String(format: "%.0f bytes/asset", growth),
                            reference: "", ratio: "", goal: "< 300 B/asset", met: Self.mark(growth < 300)))
            let anonGrowth = Double(b.peakAnonKiB - a.peakAnonKiB) * 1024 / Double(b.assets - a.assets)
            out.append(Line(measure: "4. anonymous memory growth \(a.assets) → \(b.assets) assets",
                            ours: String(format: "%.0f bytes/asset", anonGrowth), reference: "", ratio: "", goal: "", met: ""))
        }
        return out
    }

    /// 5. Catalog alone.
    private func catalogLines() -> [Line] {
        var out: [Line] = []
        for generation in ["C", "D"] {
            let results = catalog.filter { $0.generation.rawValue == generation }.sorted { $0.rows < $1.rows }
            for c in results {
                let s = Stats(values: c.seconds)
                let per100k = s.median / Double(c.rows) * 100_000
                out.append(Line(measure: "5. catalog, gen \(generation), \(c.rows) rows", ours: Self.secs(s),
                                reference: "", ratio: String(format: "%.2f s / 100k rows", per100k),
                                goal: "≤ 2 s / 100k", met: Self.mark(per100k <= 2)))
            }
            if results.count >= 2, let a = results.first, let b = results.last {
                let pa = Stats(values: a.seconds).median / Double(a.rows)
                let pb = Stats(values: b.seconds).median / Double(b.rows)
                out.append(Line(measure: "5. catalog linearity, gen \(generation) (\(a.rows) → \(b.rows) rows)",
                                ours: String(format: "%.2f× time per row", pb / pa), reference: "", ratio: "",
                                goal: "≈ 1 (≤ 1.5)", met: Self.mark(pb / pa <= 1.5)))
            }
        }
        return out
    }

    private func hardlinkLines() -> [Line] {
        var out: [Line] = []
        for lib in libraries {
            guard let link = lib.hardlink else { continue }
            let full = Stats(values: lib.exportFull.map(\.seconds)).median
            out.append(Line(measure: "6. hardlink mode, \(lib.name) \(lib.assets) (bytes written)",
                            ours: "\(link.bytesWritten) B for \(link.files) files in \(String(format: "%.3f", link.sample.seconds)) s",
                            reference: "copy: \(String(format: "%.3f", full)) s", ratio: String(format: "%.2f× time", link.sample.seconds / max(full, 0.000_001)),
                            goal: "0 bytes", met: Self.mark(link.bytesWritten == 0)))
        }
        return out
    }

    /// 7. The album-count axis: each shape's goals, then, per asset count, the many-album shape's
    /// times over the few-album one's (linear cost in albums keeps them near rsync's and cp's own).
    private func shapeLines() -> [Line] {
        var out: [Line] = []
        func tag(_ lib: LibraryResult) -> String { "\(lib.assets) × \(Self.bytes(lib.fileSize)) in \(lib.albums) albums" }
        func median(_ samples: [Sample], _ value: KeyPath<Sample, Double> = \.seconds) -> Double { Stats(values: samples.map { $0[keyPath: value] }).median }
        for lib in shapes {
            out += Self.goalLines(lib, tag: tag(lib), numbers: ("7.", "7.", "7."))
            out.append(Line(measure: "7. CPU time and peak RSS (\(tag(lib)))",
                            ours: String(format: "full %.2f s, no change %.3f s, 1 %% %.3f s CPU; %.1f MiB",
                                         median(lib.exportFull, \.cpuSeconds), median(lib.exportNoChange, \.cpuSeconds),
                                         median(lib.exportChange, \.cpuSeconds), Double(lib.peakRSSKiB) / 1024),
                            reference: "", ratio: "", goal: "", met: ""))
        }
        for assets in Set(shapes.map(\.assets)).sorted() {
            let same = shapes.filter { $0.assets == assets }.sorted { $0.albums < $1.albums }
            guard let few = same.first, let many = same.last, many.albums > few.albums else { continue }
            func ratio(_ k: KeyPath<LibraryResult, [Sample]>, _ value: KeyPath<Sample, Double> = \.seconds) -> String {
                String(format: "%.2f×", median(many[keyPath: k], value) / median(few[keyPath: k], value))
            }
            out.append(Line(measure: "7. \(many.albums) vs \(few.albums) albums (\(assets) assets): time with many / with few; full, no change, 1 %",
                            ours: "\(ratio(\.exportFull)), \(ratio(\.exportNoChange)), \(ratio(\.exportChange)) (CPU \(ratio(\.exportFull, \.cpuSeconds)), \(ratio(\.exportNoChange, \.cpuSeconds)), \(ratio(\.exportChange, \.cpuSeconds)))",
                            reference: "cp \(ratio(\.cp)), rsync \(ratio(\.rsyncNoChange)), rsync \(ratio(\.rsyncChange))",
                            ratio: "", goal: "", met: ""))
        }
        return out
    }

    func table() -> String {
        let header = Line(measure: "measure", ours: "immich-export min / median", reference: "reference min / median",
                          ratio: "ratio (medians)", goal: "goal", met: "met")
        let rows = [header] + lines()
        func width(_ k: KeyPath<Line, String>) -> Int { rows.map { $0[keyPath: k].count }.max() ?? 0 }
        let w = [width(\.measure), width(\.ours), width(\.reference), width(\.ratio), width(\.goal)]
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        return rows.map { r in
            [pad(r.measure, w[0]), pad(r.ours, w[1]), pad(r.reference, w[2]), pad(r.ratio, w[3]), pad(r.goal, w[4]), r.met]
                .joined(separator: " | ")
        }.joined(separator: "\n")
    }

    static let begin = "<!-- bench:results:begin -->"
    static let end = "<!-- bench:results:end -->"

    func markdown() -> String {
        let p = parameters
        var md = Self.begin + "\n"
        md += "### Latest run\(label.map { " — \($0)" } ?? "") (`\(p.mode)`)\n\n"
        md += "| machine | |\n|---|---|\n"
        for (k, v) in machine { md += "| \(k) | \(v.replacingOccurrences(of: "|", with: "/")) |\n" }
        md += "\n"
        md += "Parameters: large-file library \(p.largeCount) × \(Self.bytes(p.largeSize)) (each asset in one album); "
        md += "small-file libraries \(p.smallCounts.map(String.init).joined(separator: ", ")) × \(Self.bytes(p.smallSize)) "
        md += "(every 5th asset in two albums); albums of 10–5000 assets; schema generation D for the exports, C and D for the catalog; "
        if !p.albumShapes.isEmpty {
            md += "album-count axis (7): " + p.albumShapes.map { "\($0.assets) in \($0.albums)" }.joined(separator: ", ")
            md += " albums of equal size × \(Self.bytes(p.smallSize)), each asset in one album; "
        }
        md += "catalog rows \(p.catalogRows.map(String.init).joined(separator: ", ")); \(p.repetitions) repetitions (re-runs \(p.rerunRepetitions)); copy_concurrency \(p.concurrency). "
        md += String(format: "Whole run %.0f s.\n\n", elapsed)
        md += "| measure | immich-export min / median | reference min / median | ratio (medians) | goal | met |\n"
        md += "|---|---|---|---|---|---|\n"
        for l in lines() {
            md += "| \(l.measure) | \(l.ours) | \(l.reference) | \(l.ratio) | \(l.goal) | \(l.met) |\n"
        }
        md += "\nLibraries: "
        md += (libraries + shapes).map { "\($0.name) \($0.assets): \($0.albums) albums, \($0.entries) entries, generated in \(String(format: "%.1f", $0.generateSeconds)) s" }
            .joined(separator: "; ")
        md += ".\n" + Self.end + "\n"
        return md
    }

    /// Replaces the results section of `path`, keeping everything else; creates the file if needed.
    func writeMarkdown(to path: String) throws {
        let section = markdown()
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        if let a = text.range(of: Self.begin), let b = text.range(of: Self.end), a.lowerBound < b.upperBound {
            var upper = b.upperBound
            if upper < text.endIndex && text[upper] == "\n" { upper = text.index(after: upper) }
            text.replaceSubrange(a.lowerBound..<upper, with: section)
        } else {
            if text.isEmpty { text = "# Benchmarks\n\nGenerated by `scripts/bench`.\n\n" }
            text += (text.hasSuffix("\n\n") ? "" : "\n") + section
        }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
