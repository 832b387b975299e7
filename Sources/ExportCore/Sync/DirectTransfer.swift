#if canImport(Glibc)
import Glibc
#endif
import Synchronization

extension FileCopier {
    /// Files from this size on are written past the page cache (O_DIRECT) where that pays (see
    /// `writesDirectly`; the figures are in docs/benchmarks.md, "Copying and durability"). The
    /// export makes every file durable before naming it, so a buffered copy pays the writeback
    /// anyway, and the kernel's copying into the page cache and writing it back kept both CPUs
    /// busy. Direct writes also leave the page cache to the machine: a NAS does not lose its
    /// caches to an export. Smaller files stay buffered: a direct write waits for the device.
    static let directMinimumSize: Int64 = 1 << 20

    /// Whether a copy of `size` bytes into `output` from a file on `sourceDevice` is written
    /// directly, and if so, `output` is switched to direct writes. Only on local disk filesystems:
    /// a network share's direct writes wait for the server one by one, and where
    /// copy_file_range shares blocks instead of copying (btrfs, xfs on one filesystem) or copies
    /// on the server (NFS, SMB), no byte should pass through this process at all.
    static func writesDirectly(size: Int64, sourceDevice: UInt64, output: Int32) -> Bool {
        guard size >= directMinimumSize else { return false }
        var st = stat()
        guard let type = filesystemType(output), fstat(output, &st) == 0 else { return false }
        switch type {
        case 0xEF53, 0xF2F5_2010:          // ext2/3/4, f2fs: no shared blocks
            break
        case 0x5846_5342, 0x9123_683E:     // xfs, btrfs: shared blocks within one filesystem
            guard UInt64(st.st_dev) != sourceDevice else { return false }
        default:
            return false
        }
        return beginDirectWrites(output)
    }

    /// Direct writes must start, and be as long as, whole blocks; 4096 covers every block size
    /// a disk reports today.
    private static let directAlignment = 4096
    private static var directBufferSize: Int { BufferPool.shared.size }

    /// The filesystem's magic number (statfs f_type) for an open file.
    static func filesystemType(_ fd: Int32) -> UInt32? {
        guard let fstatfs = fileSystemStatus else { return nil }
        // struct statfs begins with f_type, a C long; 256 bytes hold the struct on every Linux ABI.
        return withUnsafeTemporaryAllocation(byteCount: 256, alignment: 8) { raw in
            fstatfs(fd, raw.baseAddress!) == 0 ? UInt32(truncatingIfNeeded: raw.load(as: Int.self)) : nil
        }
    }

    private typealias FStatFS = @convention(c) (Int32, UnsafeMutableRawPointer) -> Int32
    /// fstatfs(2), looked up like syncfs (Swift's Glibc module does not export sys/vfs.h).
    private static let fileSystemStatus: FStatFS? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fstatfs") else { return nil }
        return unsafeBitCast(symbol, to: FStatFS.self)
    }()

    /// Switches `output` to direct writes; false where the filesystem refuses them.
    private static func beginDirectWrites(_ output: Int32) -> Bool {
        guard let directFlag else { return false }
        let flags = fcntl(output, F_GETFL)
        return flags >= 0 && fcntl(output, F_SETFL, flags | directFlag) == 0
    }

    /// O_DIRECT, which Swift's Glibc module does not export (glibc defines it for _GNU_SOURCE
    /// only); its value differs between architectures.
    private static var directFlag: Int32? {
        #if os(Linux) && (arch(x86_64) || arch(i386))
        return 0o40000
        #elseif os(Linux) && (arch(arm64) || arch(arm))
        return 0o200000
        #else
        return nil
        #endif
    }

    /// Copies the rest of `input` to `output` through a pooled buffer, from both files' current
    /// offsets. With `direct` (`output` switched by `writesDirectly`), whole blocks are written
    /// directly; the last partial block, and anything after a write the device refused as
    /// misaligned, is written through the page cache, so any size works. Without, every block goes
    /// through the page cache (the tests compare both).
    static func transferThroughBuffer(from input: Int32, to output: Int32, direct: Bool, source: String, target: String,
                                      shouldStop: () -> Bool) throws(SystemError) {
        let buffer = BufferPool.shared.take()
        defer { BufferPool.shared.give(buffer) }
        var direct = direct
        // The rest goes through the page cache.
        func endDirectWrites() throws(SystemError) {
            direct = false
            let flags = fcntl(output, F_GETFL)
            guard flags >= 0, fcntl(output, F_SETFL, flags & ~(directFlag ?? 0)) == 0 else { throw SystemError("write", target) }
        }
        while true {
            if shouldStop() { throw SystemError("copy", target, code: ECANCELED) }
            let n = try readFull(input, into: buffer, count: directBufferSize, source: source)
            if n == 0 { return }
            var written = 0
            while written < n {
                if direct && (n - written) < directAlignment {
                    // The tail: a direct write would have to run past the end of the file.
                    try endDirectWrites()
                }
                let length = direct ? (n - written) & ~(directAlignment - 1) : n - written
                let w = write(output, buffer + written, length)
                if w < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    if direct && code == EINVAL {
                        // The device wants another alignment than ours: finish buffered.
                        try endDirectWrites()
                        continue
                    }
                    throw SystemError("write", target, code: code)
                }
                written += w
                if direct && w % directAlignment != 0 {
                    // A short direct write leaves the file offset off the block grid.
                    try endDirectWrites()
                }
            }
            if n < directBufferSize { return }
        }
    }

    /// Fills `buffer` unless the file ends first; returns the bytes read (0 at the end).
    private static func readFull(_ input: Int32, into buffer: UnsafeMutableRawPointer, count: Int,
                                 source: String) throws(SystemError) -> Int {
        var filled = 0
        while filled < count {
            let n = read(input, buffer + filled, count - filled)
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", source)
            }
            filled += n
        }
        return filled
    }
}

/// Aligned copy buffers, reused: the allocator maps every block this large afresh (the mmap
/// threshold is pinned at 128 KiB, see CGlibcMalloc), so a buffer per copy cost a megabyte of
/// page faults and zeroing per file. Holds at most one buffer per copy that ran at once, and
/// none after a run.
final class BufferPool: Sendable {
    static let shared = BufferPool(size: 1 << 20, alignment: 4096, keep: 8)

    let size: Int
    private let alignment: Int
    private let keep: Int
    /// Addresses (a raw pointer is not Sendable).
    private let free = Mutex<[UInt]>([])

    init(size: Int, alignment: Int, keep: Int) {
        self.size = size
        self.alignment = alignment
        self.keep = keep
    }

    func take() -> UnsafeMutableRawPointer {
        free.withLock { $0.popLast() }.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
            ?? .allocate(byteCount: size, alignment: alignment)
    }

    func give(_ buffer: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: buffer)
        let kept = free.withLock { list in
            guard list.count < keep else { return false }
            list.append(address)
            return true
        }
        if !kept { buffer.deallocate() }
    }

    /// Frees the buffers kept: an agent waiting for its next run holds none.
    func drain() {
        let addresses = free.withLock { list in
            defer { list = [] }
            return list
        }
        for address in addresses { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
    }

    /// Buffers kept for reuse.
    var keptCount: Int { free.withLock { $0.count } }
}
