#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-wise equality by `memcmp`. The generic `elementsEqual` walked these one element at a
/// time, and they run once per file (manifest lines, folder keys, names).
enum Bytes {
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    static func equal(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        a.withUnsafeBytes { equal($0, b) }
    }

    static func equal(_ a: String, _ b: UnsafeRawBufferPointer) -> Bool {
        var a = a   // withUTF8 may make a bridged string contiguous; ours already are
        return a.withUTF8 { equal(UnsafeRawBufferPointer($0), b) }
    }
}
