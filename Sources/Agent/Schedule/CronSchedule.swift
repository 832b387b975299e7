import Foundation

/// A standard five-field cron schedule: `minute hour day-of-month month day-of-week`.
///
/// Supported syntax per field: `*`, single values, lists `a,b`, ranges `a-b`, steps
/// `*/n`, `a-b/n` and `a/n` (a through the field's maximum, step n). Months accept
/// `JAN`-`DEC` and days of week `SUN`-`SAT` (case-insensitive, also inside ranges such
/// as `MON-FRI`); day of week `0` and `7` both mean Sunday. The macros `@yearly`,
/// `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly` are accepted.
///
/// Day matching follows Vixie cron: when both day-of-month and day-of-week are
/// restricted (neither field starts with `*`) a day matches if EITHER matches;
/// otherwise both must match.
///
/// Equality compares the parsed fields and the original expression text, so `@daily`
/// and `0 0 * * *` are not equal even though they fire at the same times.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    /// The expression as given, with surrounding whitespace trimmed.
    public let expression: String

    // Bit `v` set means value `v` is allowed. Day of week uses bits 0-6 (7 is folded to 0).
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    // Whether the day fields were written starting with `*` (drives the Vixie OR/AND rule).
    let dayOfMonthStar: Bool
    let dayOfWeekStar: Bool

    /// How many calendar years ahead `nextDate` searches. Eight rather than five so that
    /// `0 0 29 2 *` still finds Feb 29 across a skipped century leap year (2096 → 2104).
    static let searchHorizonYears = 8

    public var description: String { expression }

    public init(parsing expression: String) throws(CronError) {
        let trimmed = expression.trimmingCharacters(in: .whitespacesAndNewlines)
        let body: String
        if trimmed.hasPrefix("@") {
            guard let expanded = Self.macros[trimmed.lowercased()] else {
                throw CronError(
                    field: "expression",
                    detail: "unknown macro \"\(trimmed)\"; expected one of "
                        + "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly",
                    expression: trimmed)
            }
            body = expanded
        } else {
            body = trimmed
        }

        let fields = body.split(whereSeparator: { $0.isWhitespace })
        guard fields.count == CronField.allCases.count else {
            throw CronError(
                field: "expression",
                detail: "expected 5 fields (minute hour day-of-month month day-of-week) "
                    + "but found \(fields.count)",
                expression: trimmed)
        }

        self.expression = trimmed
        minutes = try Self.parseField(fields[0], as: .minute, expression: trimmed)
        hours = try Self.parseField(fields[1], as: .hour, expression: trimmed)
        daysOfMonth = try Self.parseField(fields[2], as: .dayOfMonth, expression: trimmed)
        months = try Self.parseField(fields[3], as: .month, expression: trimmed)
        daysOfWeek = try Self.parseField(fields[4], as: .dayOfWeek, expression: trimmed)
        dayOfMonthStar = fields[2].hasPrefix("*")
        dayOfWeekStar = fields[4].hasPrefix("*")
    }

    /// First fire time strictly after `date`, in wall-clock time of `timeZone`.
    /// Returns nil if nothing matches within ``searchHorizonYears`` calendar years.
    ///
    /// Daylight-saving rules (each wall-clock minute fires at most once):
    /// - A matching wall time that does not exist (spring-forward gap) fires once at the
    ///   first valid instant after the gap, like cronie: a `30 2 * * *` job runs at 03:00
    ///   on the spring-forward day in Europe/Berlin or America/New_York. Several gap
    ///   times (e.g. `*/15`) collapse into that single firing.
    /// - A matching wall time that occurs twice (fall-back) fires only at its first
    ///   occurrence; the repeated hour is not replayed. An hourly job therefore fires
    ///   at 01:00 EDT and next at 02:00 EST in America/New_York.
    public func nextDate(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        guard let year = parts.year, let month = parts.month, let day = parts.day,
              let hour = parts.hour, let minute = parts.minute
        else { return nil }

        var wall = CronWallMinute(year: year, month: month, day: day, hour: hour, minute: minute)
        let lastYear = year + Self.searchHorizonYears
        // Candidates are strictly increasing wall times, so the loop ends by `lastYear`.
        // A candidate can map to an instant <= `date` only in a fall-back overlap, where
        // its first occurrence has already passed: skip it rather than fire twice.
        while let candidate = nextWallMinute(after: wall, throughYear: lastYear) {
            let instant = candidate.resolve(in: timeZone)
            if instant > date { return instant }
            wall = candidate
        }
        return nil
    }

    // MARK: - Matching

    /// The next matching wall-clock minute strictly after `start`, iterating by field:
    /// non-matching months, days and hours are skipped whole.
    func nextWallMinute(after start: CronWallMinute, throughYear lastYear: Int) -> CronWallMinute? {
        var year = start.year, month = start.month, day = start.day
        var hour = start.hour, minute = start.minute + 1
        while year <= lastYear {
            guard let allowedMonth = Self.first(in: months, from: month, through: 12) else {
                year += 1; month = 1; day = 1; hour = 0; minute = 0
                continue
            }
            if allowedMonth != month {
                month = allowedMonth; day = 1; hour = 0; minute = 0
            }
            if day > CronGregorian.daysInMonth(year: year, month: month) {
                month += 1; day = 1; hour = 0; minute = 0
                if month > 12 { month = 1; year += 1 }
                continue
            }
            guard dayMatches(year: year, month: month, day: day) else {
                day += 1; hour = 0; minute = 0
                continue
            }
            guard let allowedHour = Self.first(in: hours, from: hour, through: 23) else {
                day += 1; hour = 0; minute = 0
                continue
            }
            if allowedHour != hour {
                hour = allowedHour; minute = 0
            }
            guard let allowedMinute = Self.first(in: minutes, from: minute, through: 59) else {
                hour += 1; minute = 0
                continue
            }
            return CronWallMinute(year: year, month: month, day: day, hour: hour, minute: allowedMinute)
        }
        return nil
    }

    func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        let weekday = CronGregorian.weekday(year: year, month: month, day: day)
        let domMatches = daysOfMonth & (1 << UInt64(day)) != 0
        let dowMatches = daysOfWeek & (1 << UInt64(weekday)) != 0
        // Vixie rule: OR only when both day fields are restricted.
        if dayOfMonthStar || dayOfWeekStar {
            return domMatches && dowMatches
        }
        return domMatches || dowMatches
    }

    /// Smallest set bit of `mask` in `value...limit`, if any.
    static func first(in mask: UInt64, from value: Int, through limit: Int) -> Int? {
        guard value >= 0, value <= limit, value < 64 else { return nil }
        let shifted = mask >> UInt64(value)
        guard shifted != 0 else { return nil }
        let found = value + shifted.trailingZeroBitCount
        return found <= limit ? found : nil
    }

    /// Allowed values of one field, ascending (day of week reported as 0-6).
    func values(of field: CronField) -> [Int] {
        let mask: UInt64
        switch field {
        case .minute: mask = minutes
        case .hour: mask = hours
        case .dayOfMonth: mask = daysOfMonth
        case .month: mask = months
        case .dayOfWeek: mask = daysOfWeek
        }
        return (0..<64).filter { mask & (1 << UInt64($0)) != 0 }
    }

    // MARK: - Parsing

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]

    static func parseField(
        _ text: Substring, as field: CronField, expression: String
    ) throws(CronError) -> UInt64 {
        var mask: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else {
                throw CronError(field, "empty item in list \"\(text)\"", expression)
            }
            mask |= try parseItem(item, as: field, expression: expression)
        }
        if field == .dayOfWeek, mask & (1 << 7) != 0 {
            mask = (mask & ~(1 << 7)) | 1  // 7 is Sunday, same as 0
        }
        return mask
    }

    /// One list item: `*`, `v`, `a-b`, each optionally followed by `/step`.
    static func parseItem(
        _ item: Substring, as field: CronField, expression: String
    ) throws(CronError) -> UInt64 {
        let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 2 else {
            throw CronError(field, "malformed step \"\(item)\"; use a single '/' as in */5", expression)
        }
        let base = pieces[0]
        var step = 1
        if pieces.count == 2 {
            step = try parseStep(pieces[1], item: item, field: field, expression: expression)
        }

        let lower: Int, upper: Int
        if base == "*" {
            lower = field.bounds.lowerBound
            upper = field.openUpperBound
        } else {
            let ends = base.split(separator: "-", omittingEmptySubsequences: false)
            switch ends.count {
            case 1:
                lower = try parseValue(ends[0], item: item, field: field, expression: expression)
                // `a/n` means a through the field's maximum.
                upper = pieces.count == 2 ? max(lower, field.openUpperBound) : lower
            case 2:
                lower = try parseValue(ends[0], item: item, field: field, expression: expression)
                var end = try parseValue(ends[1], item: item, field: field, expression: expression)
                // Let `FRI-SUN` mean 5-7: SUN as a range end is the 7 spelling of Sunday.
                if field == .dayOfWeek, end == 0, lower > 0, ends[1].first?.isLetter == true {
                    end = 7
                }
                guard lower <= end else {
                    throw CronError(
                        field, "reversed range \"\(base)\"; the start must not exceed the end",
                        expression)
                }
                upper = end
            default:
                throw CronError(field, "malformed range \"\(base)\"; expected a-b", expression)
            }
        }

        var mask: UInt64 = 0
        for value in stride(from: lower, through: upper, by: step) {
            mask |= 1 << UInt64(value)
        }
        return mask
    }

    static func parseStep(
        _ text: Substring, item: Substring, field: CronField, expression: String
    ) throws(CronError) -> Int {
        let span = field.openUpperBound - field.bounds.lowerBound + 1
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw CronError(
                field, "invalid step \"\(text)\" in \"\(item)\"; expected a number 1-\(span)",
                expression)
        }
        guard let step = Int(text), step <= span else {
            throw CronError(
                field, "step \(text) in \"\(item)\" is larger than the field's range (max \(span))",
                expression)
        }
        guard step >= 1 else {
            throw CronError(field, "step 0 in \"\(item)\" must be at least 1", expression)
        }
        return step
    }

    static func parseValue(
        _ token: Substring, item: Substring, field: CronField, expression: String
    ) throws(CronError) -> Int {
        let bounds = "\(field.bounds.lowerBound)-\(field.bounds.upperBound)"
        if token.isEmpty {
            throw CronError(field, "missing value in \"\(item)\"", expression)
        }
        if token.allSatisfy({ $0.isASCII && $0.isNumber }) {
            // Overlong digit strings fail Int() and are reported as out of range too.
            guard let value = Int(token), field.bounds.contains(value) else {
                throw CronError(field, "\(token) is out of range \(bounds)", expression)
            }
            return value
        }
        guard let names = field.names else {
            throw CronError(field, "invalid value \"\(token)\"; expected a number \(bounds)", expression)
        }
        guard let index = names.firstIndex(of: token.uppercased()) else {
            let first = names.first ?? "", last = names.last ?? ""
            throw CronError(
                field, "unknown name \"\(token)\"; expected \(first)-\(last) or \(bounds)", expression)
        }
        return index + field.firstNameValue
    }
}

/// A parse failure, naming the offending field and token.
public struct CronError: Error, Equatable, Sendable, CustomStringConvertible {
    /// "minute", "hour", "day-of-month", "month", "day-of-week" or "expression".
    public let field: String
    /// Full message, e.g. `minute: 61 is out of range 0-59 in "61 2 * * *"`.
    public let message: String

    public var description: String { message }

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    init(field: String, detail: String, expression: String) {
        self.init(field: field, message: "\(field): \(detail) in \"\(expression)\"")
    }

    init(_ field: CronField, _ detail: String, _ expression: String) {
        self.init(field: field.rawValue, detail: detail, expression: expression)
    }
}

/// The five cron fields with their accepted values.
enum CronField: String, CaseIterable, Sendable {
    case minute
    case hour
    case dayOfMonth = "day-of-month"
    case month
    case dayOfWeek = "day-of-week"

    /// Values accepted when written literally.
    var bounds: ClosedRange<Int> {
        switch self {
        case .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        }
    }

    /// Upper end used by `*` and `a/n`. Day of week stops at 6 so `*/2` or `1/2`
    /// do not sneak in Sunday again through its alias 7.
    var openUpperBound: Int {
        self == .dayOfWeek ? 6 : bounds.upperBound
    }

    var names: [String]? {
        switch self {
        case .month: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        case .dayOfWeek: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        default: nil
        }
    }

    var firstNameValue: Int { self == .month ? 1 : 0 }
}

/// A wall-clock minute in some time zone, independent of any offset.
struct CronWallMinute: Equatable, Sendable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int

    /// Seconds since 1970 if this wall time were read as UTC.
    var secondsAsIfUTC: Int {
        CronGregorian.daysFromCivil(year: year, month: month, day: day) * 86_400
            + hour * 3_600 + minute * 60
    }

    /// The instant this wall time denotes in `timeZone`. Resolved by hand from UTC
    /// offsets (rather than `Calendar.date(from:)`) so the gap/overlap policy is ours:
    /// earliest occurrence for repeated times, first instant after the gap for
    /// missing ones.
    func resolve(in timeZone: TimeZone) -> Date {
        let wall = secondsAsIfUTC
        func offset(_ instant: Int) -> Int {
            timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
        }
        func wallClock(_ instant: Int) -> Int { instant + offset(instant) }

        // Offsets in force around this wall time; two days covers any real transition,
        // including whole skipped days (Pacific/Apia, December 2011).
        let window = 2 * 86_400
        let offsets = Set([offset(wall - window), offset(wall), offset(wall + window)])
        let occurrences = offsets.map { wall - $0 }.filter { wallClock($0) == wall }
        if let earliest = occurrences.min() {
            return Date(timeIntervalSince1970: TimeInterval(earliest))
        }

        // In a gap: find the first instant whose wall clock is at or past `wall`.
        // wallClock is increasing across a forward jump, so binary search works.
        let largest = offsets.max() ?? 0, smallest = offsets.min() ?? 0
        var low = wall - largest, high = wall - smallest
        guard low < high, wallClock(low) < wall, wallClock(high) >= wall else {
            return Date(timeIntervalSince1970: TimeInterval(high))
        }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if wallClock(middle) >= wall { high = middle } else { low = middle }
        }
        return Date(timeIntervalSince1970: TimeInterval(high))
    }
}

/// Proleptic Gregorian arithmetic, so the search needs no Calendar round-trips.
enum CronGregorian {
    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// 0 = Sunday ... 6 = Saturday. 1970-01-01 was a Thursday.
    static func weekday(year: Int, month: Int, day: Int) -> Int {
        let days = daysFromCivil(year: year, month: month, day: day)
        return ((days + 4) % 7 + 7) % 7
    }
}
