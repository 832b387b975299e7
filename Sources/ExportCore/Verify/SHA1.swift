#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// SHA-1 (FIPS 180-4), the digest Immich stores as an asset's `checksum`. Used only to compare
/// files with Immich's record, never for security. Streaming: `update` any number of times, then
/// `finalize`. Full blocks are compressed straight from the caller's memory; only a partial
/// block is buffered (inline, no heap).
public struct SHA1: Sendable {
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
    /// A partial block waiting for more input.
    private var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var blockCount = 0
    private var totalBytes: UInt64 = 0

    public static let digestSize = 20

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, bytes.count > 0 else { return }
        var count = bytes.count
        totalBytes &+= UInt64(count)
        if blockCount > 0 {
            let take = min(64 - blockCount, count)
            let filled = blockCount
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.advanced(by: filled).copyMemory(from: base, byteCount: take) }
            blockCount += take
            base += take
            count -= take
            if blockCount < 64 { return }
            var pending = block
            withUnsafeBytes(of: &pending) { Self.compress(&h, $0.baseAddress!, blocks: 1) }
            blockCount = 0
        }
        let whole = count / 64
        if whole > 0 {
            Self.compress(&h, base, blocks: whole)
            base += whole * 64
            count -= whole * 64
        }
        if count > 0 {
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.copyMemory(from: base, byteCount: count) }
            blockCount = count
        }
    }

    public mutating func update(_ data: Data) { data.withUnsafeBytes { update($0) } }
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }
    public mutating func update(_ string: String) { update(Array(string.utf8)) }

    /// The 20-byte digest. The hasher should not be used afterwards.
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        var padding = [UInt8](repeating: 0, count: 72)
        padding[0] = 0x80
        let padCount = (blockCount < 56 ? 56 : 120) - blockCount
        padding.withUnsafeBytes { update(UnsafeRawBufferPointer(rebasing: $0[0..<padCount])) }
        var lengthBytes = bitLength.bigEndian
        withUnsafeBytes(of: &lengthBytes) { update($0) }
        precondition(blockCount == 0)
        var out = [UInt8]()
        out.reserveCapacity(20)
        for word in [h.0, h.1, h.2, h.3, h.4] {
            out.append(UInt8(truncatingIfNeeded: word >> 24))
            out.append(UInt8(truncatingIfNeeded: word >> 16))
            out.append(UInt8(truncatingIfNeeded: word >> 8))
            out.append(UInt8(truncatingIfNeeded: word))
        }
        return out
    }

    public mutating func finalizeHex() -> String { Self.hex(finalize()) }

    public static func hash(_ data: Data) -> [UInt8] {
        var s = SHA1()
        s.update(data)
        return s.finalize()
    }

    public static func hex(of data: Data) -> String { hex(hash(data)) }
    public static func hex(of string: String) -> String { hex(of: Data(string.utf8)) }

    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var chars = [UInt8]()
        chars.reserveCapacity(digest.count * 2)
        for b in digest {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    @inline(__always)
    private static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }

    /// Compresses `blocks` consecutive 64-byte blocks starting at `p` (any alignment).
    private static func compress(_ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32), _ p: UnsafeRawPointer, blocks: Int) {
        var (h0, h1, h2, h3, h4) = h
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { w in
            var p = p
            for _ in 0..<blocks {
                for i in 0..<16 { w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
                var a = h0, b = h1, c = h2, d = h3, e = h4
                @inline(__always) func schedule(_ t: Int) -> UInt32 {
                    if t < 16 { return w[t] }
                    let v = rotl(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15], 1)
                    w[t & 15] = v
                    return v
                }
                for t in 0..<20 {
                    let tmp = rotl(a, 5) &+ ((b & c) | (~b & d)) &+ e &+ 0x5A82_7999 &+ schedule(t)
                    e = d; d = c; c = rotl(b, 30); b = a; a = tmp
                }
                for t in 20..<40 {
                    let tmp = rotl(a, 5) &+ (b ^ c ^ d) &+ e &+ 0x6ED9_EBA1 &+ schedule(t)
                    e = d; d = c; c = rotl(b, 30); b = a; a = tmp
                }
                for t in 40..<60 {
                    let tmp = rotl(a, 5) &+ ((b & c) | (b & d) | (c & d)) &+ e &+ 0x8F1B_BCDC &+ schedule(t)
                    e = d; d = c; c = rotl(b, 30); b = a; a = tmp
                }
                for t in 60..<80 {
                    let tmp = rotl(a, 5) &+ (b ^ c ^ d) &+ e &+ 0xCA62_C1D6 &+ schedule(t)
                    e = d; d = c; c = rotl(b, 30); b = a; a = tmp
                }
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e
                p += 64
            }
        }
        h = (h0, h1, h2, h3, h4)
    }
}

extension SHA1 {
    /// Hashes whole files with one reused read buffer. Not thread-safe: one per worker thread.
    public final class FileHasher {
        private let buffer: UnsafeMutableRawBufferPointer

        public init(bufferSize: Int = 1 << 20) {
            buffer = .allocate(byteCount: max(4096, bufferSize), alignment: 4096)
        }

        deinit { buffer.deallocate() }

        /// Hex SHA-1 of the file at `path` (symlinks followed) and its size.
        /// - Parameter shouldStop: polled every few MiB; a stop throws ECANCELED.
        public func hash(path: String, shouldStop: () -> Bool = { false }) throws(SystemError) -> (hex: String, bytes: Int64) {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SystemError("read", path) }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw SystemError("stat", path) }
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw SystemError("read", path, code: EISDIR) }
            #if os(Linux)
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
            #endif
            var sha = SHA1()
            var total: Int64 = 0
            var reads = 0
            while true {
                let n = read(fd, buffer.baseAddress!, buffer.count)
                if n == 0 { break }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SystemError("read", path)
                }
                sha.update(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: n))
                total += Int64(n)
                reads += 1
                if reads % 8 == 0 && shouldStop() { throw SystemError("verify", path, code: ECANCELED) }
            }
            return (sha.finalizeHex(), total)
        }
    }

    /// Hex SHA-1 of one file (allocates a buffer; use `FileHasher` for many files).
    public static func hexOfFile(atPath path: String) throws(SystemError) -> String {
        try FileHasher().hash(path: path).hex
    }
}
