import Foundation
import Testing
import TestSupport

/// Runs `immich-export-bench --tiny` (built next to the tests) so the benchmark harness never
/// rots. Checks that it produced its table and report; the figures themselves are not asserted.
@Suite("benchmark harness smoke run")
struct BenchmarkSmokeTests {
    func sibling(_ name: String) -> String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    @Test func tinyRunWritesTableAndReport() throws {
        let bench = try #require(sibling("immich-export-bench"), "immich-export-bench not built next to the tests")
        try #require(Shell.which("rsync") != nil, "rsync is not installed")
        let dir = try TempDirectory.make("immich-export-bench-smoke")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = dir + "/benchmarks.md"
        try "# Benchmarks\n\nkept text\n".write(toFile: report, atomically: true, encoding: .utf8)

        let output = try Shell.run(bench, ["--tiny", "--output", report, "--work-dir", dir])

        #expect(output.contains("immich-export min / median"))
        #expect(output.contains("full export"))
        #expect(output.contains("vs rsync -a"))
        #expect(output.contains("peak RSS"))
        #expect(output.contains("catalog, gen C"))
        #expect(output.contains("catalog, gen D"))
        #expect(output.contains("hardlink mode"))
        // The album-count axis: the same 200 assets in 2 and in 100 albums, each against cp and rsync.
        for shape in ["200 × 1 KiB in 2 albums", "200 × 1 KiB in 100 albums"] {
            #expect(output.contains("7. full export (\(shape), 200 entries) vs cp -r"))
            #expect(output.contains("7. no-change re-run (\(shape)) vs rsync -a"))
            #expect(output.contains("7. CPU time and peak RSS (\(shape))"))
        }
        #expect(output.contains("7. 100 vs 2 albums (200 assets)"))
        // The memory sampler read the children's status: their anonymous memory has no fallback.
        let anonymous = output.split(separator: "\n").filter { $0.contains("of it anonymous") }.compactMap { line in
            line.split(separator: "|").dropFirst().first.flatMap { Double($0.split(separator: " ").first ?? "") }
        }
        #expect(anonymous.count == 3)
        #expect(anonymous.allSatisfy { $0 > 0.5 && $0 < 500 }, "anonymous MiB: \(anonymous)")
        let md = try String(contentsOfFile: report, encoding: .utf8)
        #expect(md.contains("kept text"))
        #expect(md.contains("<!-- bench:results:begin -->"))
        #expect(md.contains("| measure | immich-export min / median |"))
        #expect(md.contains("kernel"))
        #expect(md.contains("album-count axis (7): 200 in 2, 200 in 100 albums"))
        // Generated data is gone; only the report is left in the folder.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(left == ["benchmarks.md"])
    }
}
