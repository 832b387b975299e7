@testable import ExportCore
import Foundation
import Testing
import TestHelpers

@Suite("Large files copied past the page cache")
struct DirectCopyTests {
    /// Random bytes, so a block written at the wrong offset cannot compare equal.
    private static func randomBytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) in
            var i = 0
            while i < count {
                let word = generator.next() as UInt64
                let n = min(8, count - i)
                withUnsafeBytes(of: word) { raw.baseAddress!.advanced(by: i).copyMemory(from: $0.baseAddress!, byteCount: n) }
                i += n
            }
        }
        return Data(bytes)
    }

    /// Pages of `path` in the page cache (mincore over a read-only mapping; mapping faults none in).
    private static func residentPages(_ path: String) -> (resident: Int, total: Int) {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let size = Int(st.st_size)
        guard size > 0, let map = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { return (0, 0) }
        defer { munmap(map, size) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var vector = [UInt8](repeating: 0, count: (size + page - 1) / page)
        guard mincore(map, size, &vector) == 0 else { return (-1, vector.count) }
        return (vector.filter { $0 & 1 == 1 }.count, vector.count)
    }

    /// Switches a fresh file in `dir` to direct writes, as the copier does for a large file.
    private static func directOutput(_ path: String) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(FileCopier.writesDirectly(size: FileCopier.directMinimumSize, sourceDevice: .max, output: fd),
                "the test folder is on a filesystem that takes direct writes (ext4, xfs, btrfs, f2fs)")
        return fd
    }

    private static let edgeSizes = [0, 1, 4095, 4096, 4097, 3 * 4096 + 5, (1 << 20) - 1, 1 << 20, (1 << 20) + 1,
                                    (1 << 20) + 4096, 3 * (1 << 20) + 4097]

    @Test("the buffer copy, direct and buffered, copies every size around the block and buffer edges byte for byte",
          arguments: edgeSizes)
    func bufferCopy(size: Int) throws {
        let dir = try TempDirectory.make("direct-copy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let content = Self.randomBytes(size)
        try content.write(to: URL(fileURLWithPath: dir + "/source.bin"))
        for direct in [true, false] {
            let input = open(dir + "/source.bin", O_RDONLY)
            defer { close(input) }
            let copy = dir + "/copy-\(direct).bin"
            let output = direct ? Self.directOutput(copy) : open(copy, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            try FileCopier.transferThroughBuffer(from: input, to: output, direct: direct, source: "source.bin", target: copy,
                                                 shouldStop: { false })
            #expect(close(output) == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == content, "direct: \(direct)")
        }
    }

    @Test("both copy engines, plain and tuned, copy every size byte for byte", arguments: edgeSizes)
    func engines(size: Int) throws {
        let dir = try TempDirectory.make("copy-engine")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let content = Self.randomBytes(size)
        try content.write(to: URL(fileURLWithPath: dir + "/source.bin"))
        for engine in [CopyEngine.plain, .tuned] {
            let input = open(dir + "/source.bin", O_RDONLY)
            defer { close(input) }
            let copy = dir + "/copy-\(engine).bin"
            let output = open(copy, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            try engine.transfer(from: input, to: output, size: Int64(size), sourceDevice: .max, source: "source.bin",
                                target: copy, shouldStop: { false })
            #expect(close(output) == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == content, "\(engine)")
        }
    }

    @Test("a copy of every size arrives byte for byte, stamped, under its final name only", arguments: edgeSizes)
    func copies(size: Int) throws {
        let dir = try TempDirectory.make("direct-copy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = dir + "/source.bin"
        let content = Self.randomBytes(size)
        try content.write(to: URL(fileURLWithPath: source))
        try FileManager.default.createDirectory(atPath: dir + "/album", withIntermediateDirectories: true)

        let copied = try FileCopier.copy(from: source, toFolder: dir + "/album", name: "IMG_1.jpg", mtime: 1_600_000_000)
        #expect(copied == Int64(size))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/album/IMG_1.jpg")) == content)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/album/IMG_1.jpg")
        #expect((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 == 1_600_000_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/album") == ["IMG_1.jpg"])
    }

    @Test("a large copy's whole blocks bypass the page cache (only its tail may be cached); a small one's do not",
          .enabled(if: CopyEngine.selected == .tuned, "the plain copy engine writes through the page cache"))
    func bypassesPageCache() throws {
        let dir = try TempDirectory.make("direct-copy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let size = 3 * (1 << 20) + 100
        #expect(Int64(size) >= FileCopier.directMinimumSize)
        let source = dir + "/source.bin"
        try Self.randomBytes(size).write(to: URL(fileURLWithPath: source))
        close(Self.directOutput(dir + "/probe"))

        _ = try FileCopier.copy(from: source, toFolder: dir, name: "big.mov", mtime: 1_600_000_000)
        let pages = Self.residentPages(dir + "/big.mov")
        #expect(pages.total == (size + 4095) / 4096)
        // The buffered tail is one page; everything before it went straight to the disk.
        #expect(pages.resident >= 0 && pages.resident <= 1, "\(pages.resident) of \(pages.total) pages cached")
        // A small file takes the buffered path (and so sits in the cache).
        try Self.randomBytes(64 << 10).write(to: URL(fileURLWithPath: dir + "/small.bin"))
        _ = try FileCopier.copy(from: dir + "/small.bin", toFolder: dir, name: "small.jpg", mtime: 1_600_000_000)
        #expect(Self.residentPages(dir + "/small.jpg").resident == 16)
    }

    @Test("a cancel during a large copy stops it and leaves no file behind")
    func cancel() throws {
        let dir = try TempDirectory.make("direct-copy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.randomBytes(4 << 20).write(to: URL(fileURLWithPath: dir + "/source.bin"))
        try FileManager.default.createDirectory(atPath: dir + "/album", withIntermediateDirectories: true)
        var polls = 0
        #expect(throws: SystemError.self) {
            _ = try FileCopier.copy(from: dir + "/source.bin", toFolder: dir + "/album", name: "clip.mp4", mtime: 0,
                                    shouldStop: { polls += 1; return polls > 2 })
        }
        #expect(polls == 3, "stopped after its second megabyte")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/album").isEmpty)
    }
}

extension DirectCopyTests {
    @Test("small files, and filesystems other than local disks (tmpfs here), are copied through the page cache")
    func buffered() throws {
        let dir = try TempDirectory.make("direct-copy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let disk = open(dir + "/small", O_WRONLY | O_CREAT, 0o644)
        defer { close(disk) }
        #expect(!FileCopier.writesDirectly(size: FileCopier.directMinimumSize - 1, sourceDevice: .max, output: disk))

        let shm = "/dev/shm/direct-copy-\(getpid())"
        let memory = open(shm, O_WRONLY | O_CREAT, 0o644)
        defer { close(memory); unlink(shm) }
        guard FileCopier.filesystemType(memory) == 0x0102_1994 else { return }   // no tmpfs to try
        #expect(!FileCopier.writesDirectly(size: 1 << 30, sourceDevice: .max, output: memory))
    }
}

extension DirectCopyTests {
    @Test("copy buffers are reused, kept up to the pool's limit, and freed by a drain")
    func bufferPool() {
        let pool = BufferPool(size: 8192, alignment: 4096, keep: 2)
        let first = pool.take()
        #expect(Int(bitPattern: first) % 4096 == 0)
        pool.give(first)
        #expect(pool.take() == first, "a returned buffer is handed out again")
        let second = pool.take(), third = pool.take()
        #expect(Set([first, second, third]).count == 3, "buffers in use are never shared")
        pool.give(first); pool.give(second); pool.give(third)
        #expect(pool.keptCount == 2)
        pool.drain()
        #expect(pool.keptCount == 0)
    }
}
