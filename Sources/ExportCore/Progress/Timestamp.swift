import Foundation

/// Wall-clock times as the add-on shows them, formatted by Foundation's ISO 8601 style (its
/// resident-memory cost was measured against the former arithmetic: docs/benchmarks.md, Decisions).
public enum Timestamp {
    /// ISO 8601 with the UTC offset, e.g. 2026-01-02T03:04:05+01:00 (what HA's timestamp sensors
    /// need). UTC is written +00:00, not Z, as the Python add-on wrote it. `timeZone` nil: the
    /// process's local time zone (TZ or /etc/localtime).
    public static func iso8601(_ date: Date, timeZone: TimeZone? = nil) -> String {
        let text = Date.ISO8601FormatStyle(timeZoneSeparator: .colon, timeZone: timeZone ?? .current).format(date)
        return text.hasSuffix("Z") ? text.dropLast() + "+00:00" : text
    }

    /// "20260102-030405": a run id's time part, local time.
    public static func compact(_ date: Date, timeZone: TimeZone? = nil) -> String {
        // The first 19 characters of iso8601 are "2026-01-02T03:04:05".
        String(iso8601(date, timeZone: timeZone).prefix(19).compactMap { c -> Character? in
            c == "T" ? "-" : (c == "-" || c == ":") ? nil : c
        })
    }
}
