@testable import ExportCore
import Foundation
import Testing
import TestSupport

/// Against `sha1sum`, a separate program: here, not among the unit tests, which start none.
@Suite("SHA1 of a file")
struct SHA1FileTests {
    @Test("a random 3 MB file hashes like sha1sum; the reused buffer gives the same result twice")
    func fileAgainstSha1sum() throws {
        let dir = try TempDirectory.make("sha1-test")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/random.bin"
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 3 * 1024 * 1024 + 17)
        for i in stride(from: 0, to: bytes.count - 8, by: 8) {
            withUnsafeBytes(of: generator.next() as UInt64) { raw in for j in 0..<8 { bytes[i + j] = raw[j] } }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reference = try Shell.run("/usr/bin/env", ["sha1sum", path]).split(separator: " ").first.map(String.init)
        let hasher = SHA1.FileHasher(bufferSize: 64 * 1024)
        let first = try hasher.hash(path: path)
        let second = try hasher.hash(path: path)
        #expect(first.hex == reference)
        #expect(second.hex == reference)
        #expect(first.bytes == Int64(bytes.count))
        #expect(SHA1.hex(of: Data(bytes)) == reference)
        #expect(throws: SystemError.self) { try hasher.hash(path: dir + "/missing.bin") }
    }
}
