import Crypto
import Foundation
import Glibc

/// SHA-1, the digest Immich stores as an asset's `checksum`, computed by swift-crypto
/// (`Insecure.SHA1`). Used only to compare files with Immich's record, never for security.
/// Streaming: `update` any number of times, then `finalize`.
public struct SHA1: Sendable {
    private var hasher = Insecure.SHA1()

    public static let digestSize = Insecure.SHA1.byteCount

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }
    public mutating func update(_ data: Data) { hasher.update(data: data) }
    public mutating func update(_ bytes: [UInt8]) { hasher.update(data: bytes) }
    public mutating func update(_ string: String) { hasher.update(data: Array(string.utf8)) }

    /// The 20-byte digest. The hasher should not be used afterwards.
    public mutating func finalize() -> [UInt8] { Array(hasher.finalize()) }

    public mutating func finalizeHex() -> String { Self.hex(finalize()) }

    public static func hash(_ data: Data) -> [UInt8] { Array(Insecure.SHA1.hash(data: data)) }

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
