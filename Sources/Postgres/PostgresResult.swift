import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// One PGresult, in text format or (from a binary cursor) in PostgreSQL's binary format, per
/// column as the server sent it. Immutable once created, so reading it from any thread is safe.
public final class PostgresResult: @unchecked Sendable {
    private let handle: OpaquePointer
    public let rowCount: Int
    public let columnCount: Int

    init(taking handle: OpaquePointer) {
        self.handle = handle
        self.rowCount = Int(PQntuples(handle))
        self.columnCount = Int(PQnfields(handle))
    }

    deinit { PQclear(handle) }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    public func string(_ row: Int, _ column: Int) -> String? {
        if isNull(row, column) { return nil }
        guard let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        return String(cString: value)
    }

    /// `previous` itself when the value has the same bytes: repeated values (an album id on every
    /// row of its album) then share one allocation.
    public func string(_ row: Int, _ column: Int, reusing previous: String) -> String? {
        if isNull(row, column) { return nil }
        guard let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        if previous.withCString({ strcmp($0, value) == 0 }) { return previous }
        return String(cString: value)
    }

    /// A `uuid` column in binary format (16 bytes) as PostgreSQL writes it as text: lowercase,
    /// 8-4-4-4-12. The server then sorts and sends 16 bytes instead of 36 characters it formats
    /// per row. `previous` itself when equal. Any other column is read as `string(_:_:reusing:)`.
    public func uuidString(_ row: Int, _ column: Int, reusing previous: String = "") -> String? {
        if isNull(row, column) { return nil }
        guard PQfformat(handle, Int32(column)) == 1, PQftype(handle, Int32(column)) == Self.uuidType,
              PQgetlength(handle, Int32(row), Int32(column)) == 16,
              let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return string(row, column, reusing: previous) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { text in
            value.withMemoryRebound(to: UInt8.self, capacity: 16) { bytes in
                var out = 0
                for i in 0..<16 {
                    if i == 4 || i == 6 || i == 8 || i == 10 { text[out] = UInt8(ascii: "-"); out += 1 }
                    text[out] = Self.hexDigit(bytes[i] >> 4)
                    text[out + 1] = Self.hexDigit(bytes[i] & 0x0F)
                    out += 2
                }
            }
            let formatted = UnsafeBufferPointer(text)
            if previous.utf8.count == 36, previous.utf8.elementsEqual(formatted) { return previous }
            return String(decoding: formatted, as: UTF8.self)
        }
    }

    /// The `uuid` type's fixed oid (pg_type).
    static let uuidType: Oid = 2950

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// An integer column: the binary form (int2/int4/int8, big-endian) or the text form, parsed
    /// without building an intermediate String.
    public func int64(_ row: Int, _ column: Int) -> Int64? {
        if isNull(row, column) { return nil }
        guard let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        if PQfformat(handle, Int32(column)) == 1 { return Self.bigEndian(value, length: Int(PQgetlength(handle, Int32(row), Int32(column)))) }
        var result: Int64 = 0
        var negative = false
        var p = value
        if p.pointee == UInt8(ascii: "-") { negative = true; p += 1 }
        var sawDigit = false
        while case let c = UInt8(bitPattern: p.pointee), c >= 48, c <= 57 {
            let (m, o1) = result.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(c - 48))
            if o1 || o2 { return nil }
            result = s
            sawDigit = true
            p += 1
        }
        guard sawDigit, p.pointee == 0 else { return nil }
        return negative ? -result : result
    }

    /// A `timestamptz`/`timestamp` column in binary format as microseconds since 1970 (the wire
    /// carries microseconds since 2000: no text formatting or time-zone work on the server).
    /// nil for NULL, ±infinity, or a column that is not in binary format.
    public func unixMicros(_ row: Int, _ column: Int) -> Int64? {
        guard !isNull(row, column), PQfformat(handle, Int32(column)) == 1,
              PQgetlength(handle, Int32(row), Int32(column)) == 8,
              let value = PQgetvalue(handle, Int32(row), Int32(column)),
              let micros = Self.bigEndian(value, length: 8), micros != .max, micros != .min else { return nil }
        return micros + Self.postgresEpochOffsetMicros
    }

    /// 2000-01-01T00:00:00Z in microseconds since 1970.
    static let postgresEpochOffsetMicros: Int64 = 946_684_800_000_000

    private static func bigEndian(_ value: UnsafePointer<CChar>, length: Int) -> Int64? {
        var result: Int64 = 0
        switch length {
        case 8, 4, 2:
            value.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                var unsigned: UInt64 = 0
                for i in 0..<length { unsigned = unsigned << 8 | UInt64(bytes[i]) }
                // Sign-extend the narrower integers.
                let shift = UInt64(64 - 8 * length)
                result = Int64(bitPattern: unsigned << shift) >> shift
            }
            return result
        default:
            return nil
        }
    }

    public func bool(_ row: Int, _ column: Int) -> Bool? {
        guard let s = string(row, column) else { return nil }
        return s == "t" || s == "true"
    }

    public func columnName(_ column: Int) -> String {
        PQfname(handle, Int32(column)).map { String(cString: $0) } ?? ""
    }
}
