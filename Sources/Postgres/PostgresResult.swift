import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// One PGresult in text format. Immutable once created, so reading it from any thread is safe.
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

    /// Parses the text form without building an intermediate String.
    public func int64(_ row: Int, _ column: Int) -> Int64? {
        if isNull(row, column) { return nil }
        guard let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
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

    public func bool(_ row: Int, _ column: Int) -> Bool? {
        guard let s = string(row, column) else { return nil }
        return s == "t" || s == "true"
    }

    public func columnName(_ column: Int) -> String {
        PQfname(handle, Int32(column)).map { String(cString: $0) } ?? ""
    }
}
