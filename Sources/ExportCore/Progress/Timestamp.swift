#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Wall-clock times as the add-on shows them, formatted by arithmetic: Foundation's date
/// formatters go through ICU, which pages in megabytes of code and data for every process that
/// logs a line (a CLI run's resident memory is measured in docs/benchmarks.md).
public enum Timestamp {
    /// ISO 8601 with the UTC offset, e.g. 2026-01-02T03:04:05+01:00 (what HA's timestamp sensors
    /// need). `timeZone` nil: the process's local time zone (TZ or /etc/localtime), read through libc.
    public static func iso8601(_ date: Date, timeZone: TimeZone? = nil) -> String {
        let t = civil(date, timeZone: timeZone)
        let sign = t.offsetSeconds < 0 ? "-" : "+"
        let offsetMinutes = abs(t.offsetSeconds) / 60
        return "\(pad(t.year, 4))-\(pad(t.month))-\(pad(t.day))T\(pad(t.hour)):\(pad(t.minute)):\(pad(t.second))"
            + "\(sign)\(pad(offsetMinutes / 60)):\(pad(offsetMinutes % 60))"
    }

    /// "20260102-030405": a run id's time part, local time.
    public static func compact(_ date: Date, timeZone: TimeZone? = nil) -> String {
        let t = civil(date, timeZone: timeZone)
        return "\(pad(t.year, 4))\(pad(t.month))\(pad(t.day))-\(pad(t.hour))\(pad(t.minute))\(pad(t.second))"
    }

    /// A moment as calendar fields in one zone (proleptic Gregorian, whole seconds).
    public struct Civil: Equatable, Sendable {
        public var year, month, day, hour, minute, second: Int
        public var offsetSeconds: Int
    }

    public static func civil(_ date: Date, timeZone: TimeZone? = nil) -> Civil {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        // Whole minutes: ISO 8601 offsets have no seconds (only local mean times before ~1900 did).
        let offset = (timeZone?.secondsFromGMT(for: date) ?? localOffset(seconds)) / 60 * 60
        return civil(utcSeconds: seconds, offsetSeconds: offset)
    }

    /// Pure: seconds since 1970 (UTC) and the zone's offset → calendar fields.
    public static func civil(utcSeconds: Int, offsetSeconds: Int) -> Civil {
        let local = utcSeconds + offsetSeconds
        let days = local.floorDivided(by: 86_400)
        let secondOfDay = local - days * 86_400
        let (y, m, d) = civilDate(daysSince1970: days)
        return Civil(year: y, month: m, day: d, hour: secondOfDay / 3600, minute: secondOfDay % 3600 / 60,
                     second: secondOfDay % 60, offsetSeconds: offsetSeconds)
    }

    /// Days since 1970-01-01 → (year, month, day), after H. Hinnant's `civil_from_days`.
    static func civilDate(daysSince1970: Int) -> (Int, Int, Int) {
        let z = daysSince1970 + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func localOffset(_ seconds: Int) -> Int {
        var t = time_t(seconds)
        var fields = tm()
        guard localtime_r(&t, &fields) != nil else { return 0 }
        return Int(fields.tm_gmtoff)
    }

    private static func pad(_ n: Int, _ width: Int = 2) -> String {
        let digits = String(n)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

private extension Int {
    func floorDivided(by d: Int) -> Int {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
