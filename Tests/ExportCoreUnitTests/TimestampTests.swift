import Foundation
import Testing
@testable import ExportCore

@Suite("Timestamps")
struct TimestampTests {
    /// Foundation's formatter is the reference the arithmetic must agree with.
    static func reference(_ date: Date, _ zone: TimeZone) -> String {
        reference(date, formatter(zone))
    }

    /// One per zone: making an ICU formatter takes milliseconds, and this suite shares two cores
    /// with tests that poll for servers starting.
    static func formatter(_ zone: TimeZone) -> ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.timeZone = zone
        f.formatOptions = [.withInternetDateTime]
        return f
    }

    static func reference(_ date: Date, _ f: ISO8601DateFormatter) -> String {
        var s = f.string(from: date)
        if s.hasSuffix("Z") { s.removeLast(); s += "+00:00" }
        return s
    }

    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "America/St_Johns", "Asia/Kathmandu",
                        "Australia/Lord_Howe", "Pacific/Kiritimati", "Pacific/Pago_Pago"]

    @Test("ISO 8601 matches Foundation's formatter across zones, DST edges, leap days and centuries")
    func matchesFoundation() throws {
        // Zones with whole-minute offsets (every zone since about 1970; local mean times before had seconds).
        var moments: [Double] = [0, 951_782_400 /* 2000-02-29 */, 4_107_456_000 /* 2100-02-28 */,
                                 1_711_846_799, 1_711_846_800, 1_729_990_799, 1_729_990_800, /* Berlin DST 2024 */
                                 253_402_300_799 /* 9999-12-31 23:59:59 */, 1_764_115_200.75]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 { moments.append(Double(Int.random(in: 0...4_000_000_000, using: &rng))) }
        for name in Self.zones {
            let zone = try #require(TimeZone(identifier: name))
            let formatter = Self.formatter(zone)
            for t in moments {
                let date = Date(timeIntervalSince1970: t)
                #expect(Timestamp.iso8601(date, timeZone: zone) == Self.reference(date, formatter), "\(name) \(t)")
            }
        }
    }

    @Test("without a zone, the process's local time is used (as TimeZone.current reads it)")
    func localTime() {
        let date = Date(timeIntervalSince1970: 1_764_115_205)
        #expect(Timestamp.iso8601(date) == Self.reference(date, .current))
        #expect(Timestamp.compact(date, timeZone: TimeZone(identifier: "UTC")) == "20251126-000005")
    }

    @Test("before 1970, offsets of half hours, and UTC written +00:00")
    func edges() {
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 0), timeZone: TimeZone(secondsFromGMT: -(9 * 3600 + 30 * 60)))
                == "1969-12-31T14:30:00-09:30")
        let utc = TimeZone(identifier: "UTC")!
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: -1), timeZone: utc) == "1969-12-31T23:59:59+00:00")
        for t in [-86_400.0, -2_208_988_800 /* 1900-01-01 */] {
            let date = Date(timeIntervalSince1970: t)
            #expect(Timestamp.iso8601(date, timeZone: utc) == Self.reference(date, utc))
        }
        #expect(Timestamp.compact(Date(timeIntervalSince1970: -1), timeZone: utc) == "19691231-235959")
    }
}
