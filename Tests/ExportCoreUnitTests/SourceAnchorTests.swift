import Foundation
import Testing
import TestHelpers
@testable import ExportCore

/// `FileSystem.Anchor` stats the library through kept folder descriptors; every answer must be
/// the one a plain stat of the whole path gives.
@Suite("Source stats through kept folders")
struct SourceAnchorTests {
    /// upload/<user>/ab/cd/<name> files, like Immich's tree, with distinct sizes.
    static func library(files: Int) throws -> (root: String, paths: [String]) {
        let root = try TempDirectory.make("anchor")
        var paths: [String] = []
        for i in 0..<files {
            let relative = String(format: "upload/user-%d/%02x/%02x/asset-%d.jpg", i % 3, i % 7, i % 11, i)
            let full = root + "/" + relative
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(repeating: 1, count: i + 1).write(to: URL(fileURLWithPath: full))
            paths.append(full)
        }
        return (root, paths)
    }

    @Test("same size and time as a whole-path stat, from two threads, with few folders kept")
    func matchesPlainStat() throws {
        let (root, paths) = try Self.library(files: 300)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for keep in [nil, 5] as [Int?] {
            let anchor = try #require(FileSystem.Anchor(root, keepFolders: keep))
            var answers = [FileSystem.Stat?](repeating: nil, count: paths.count)
            answers.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let out = buffer   // each lane writes its own indices
                DispatchQueue.concurrentPerform(iterations: 2) { lane in
                    for i in stride(from: lane, to: paths.count, by: 2) { out[i] = try? anchor.stat(paths[i]) }
                }
            }
            for (i, path) in paths.enumerated() {
                #expect(answers[i] == (try? FileSystem.statPath(path)))
                #expect(answers[i]?.size == Int64(i + 1))
            }
            #expect(anchor.keptFolders <= (keep ?? .max))
            #expect(anchor.keptFolders > 0)
        }
    }

    @Test("mapped parts: the anchor itself, a folder below it, or somewhere else entirely")
    func mappedParts() throws {
        let (root, paths) = try Self.library(files: 3)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let anchor = try #require(FileSystem.Anchor(root))
        let relative = String(paths[1].dropFirst(root.count + 1))
        #expect(try anchor.stat(target: root + "/", rest: Substring(relative), path: { paths[1] }).size == 2)
        let (head, tail) = (relative.prefix(while: { $0 != "/" }), relative.drop(while: { $0 != "/" }).dropFirst())
        #expect(try anchor.stat(target: root + "/" + head + "/", rest: tail, path: { paths[1] }).size == 2)
        // Outside the anchor: looked up whole.
        let other = try Self.library(files: 2)
        defer { try? FileManager.default.removeItem(atPath: other.root) }
        #expect(try anchor.stat(target: other.root + "/", rest: Substring(String(other.paths[1].dropFirst(other.root.count + 1))),
                                path: { other.paths[1] }).size == 2)
        #expect(try anchor.stat(other.paths[0]).size == 1)
    }

    @Test("a missing file or folder fails with the whole path; a folder made later is found")
    func missing() throws {
        let (root, _) = try Self.library(files: 1)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let anchor = try #require(FileSystem.Anchor(root))
        let path = root + "/upload/user-9/aa/bb/late.jpg"
        #expect(throws: SystemError.self) { try anchor.stat(path) }
        do { _ = try anchor.stat(path) } catch {
            #expect(error.code == ENOENT)
            #expect(error.path == path)
        }
        try FileManager.default.createDirectory(atPath: root + "/upload/user-9/aa/bb", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try anchor.stat(path).size == 1)
        // A symlinked source is followed, like stat(2).
        try FileManager.default.createSymbolicLink(atPath: root + "/upload/user-9/aa/bb/link.jpg", withDestinationPath: path)
        #expect(try anchor.stat(root + "/upload/user-9/aa/bb/link.jpg").isRegularFile)
    }

    /// The descriptor table's size, from /proc/self/status ("FDSize:").
    static func descriptorTableSize() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("FDSize:") }) else { return nil }
        return Int(line.dropFirst("FDSize:".count).trimmingCharacters(in: .whitespaces))
    }

    @Test("the descriptor table is grown for the anchor's folders at once, and no descriptor is opened or closed")
    func descriptorTableReserved() throws {
        let top = min(FileSystem.Anchor.openFileLimit - 1, FileSystem.Anchor.defaultCapacity + 512)
        try #require(top > 64)
        func openAtOrAbove() throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter { (Int($0) ?? 0) >= top })
        }
        // Nothing else in the test process opens this many files: the table is still small.
        try #require(try #require(Self.descriptorTableSize()) <= top)
        try #require(try openAtOrAbove().isEmpty)

        FileSystem.reserveDescriptorTable()
        #expect(try #require(Self.descriptorTableSize()) > top)
        #expect(try openAtOrAbove().isEmpty)

        // Called again with a descriptor at the top of the range: that one stays open.
        let null = open("/dev/null", O_RDONLY)
        try #require(null >= 0)
        defer { close(null) }
        let held = fcntl(null, F_DUPFD, Int32(top))
        try #require(held >= 0)
        defer { close(held) }
        FileSystem.reserveDescriptorTable()
        #expect(fcntl(held, F_GETFD) != -1)
        #expect(try openAtOrAbove() == [String(held)])
    }
}
