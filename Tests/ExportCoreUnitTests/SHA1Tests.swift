@testable import ExportCore
import Foundation
import Testing

@Suite("SHA1")
struct SHA1Tests {
    @Test("FIPS 180 / NIST vectors")
    func vectors() {
        #expect(SHA1.hex(of: "") == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hex(of: "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hex(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(SHA1.hex(of: "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
                == "a49b2446a02c645bf419f995b67091253a04a259")
        #expect(SHA1.hex(of: String(repeating: "a", count: 1_000_000)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(SHA1.hex(of: "The quick brown fox jumps over the lazy dog") == "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12")
    }

    @Test("every length around the padding boundary, fed whole and byte by byte, agrees")
    func streamingSplits() {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) })
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 300] {
            let slice = data.prefix(length)
            let whole = SHA1.hex(of: Data(slice))
            var bytewise = SHA1()
            for b in slice { bytewise.update([b]) }
            #expect(bytewise.finalizeHex() == whole, "length \(length)")
            var uneven = SHA1()
            var rest = Data(slice)
            var step = 1
            while !rest.isEmpty {
                uneven.update(Data(rest.prefix(step)))
                rest = Data(rest.dropFirst(step))
                step = step * 3 % 67 + 1
            }
            #expect(uneven.finalizeHex() == whole, "length \(length)")
        }
        // one million 'a's in odd chunks
        var million = SHA1()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var left = 1_000_000
        while left > 0 {
            let n = min(left, chunk.count)
            chunk.withUnsafeBytes { million.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            left -= n
        }
        #expect(million.finalizeHex() == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }
}
