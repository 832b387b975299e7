import Foundation
import Testing

@testable import Agent

// MARK: - Helpers

private func zone(_ identifier: String) throws -> TimeZone {
    try #require(TimeZone(identifier: identifier), "missing time zone \(identifier)")
}

/// An unambiguous wall-clock time in `identifier` (default UTC) as a Date.
private func date(
    _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0,
    in identifier: String = "UTC"
) throws -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = try zone(identifier)
    let parts = DateComponents(
        year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    return try #require(calendar.date(from: parts))
}

private func next(_ expression: String, after start: Date, in identifier: String = "UTC") throws -> Date? {
    try CronSchedule(parsing: expression).nextDate(after: start, in: zone(identifier))
}

/// The first `count` fire times after `start`.
private func fires(
    _ expression: String, after start: Date, count: Int, in identifier: String = "UTC"
) throws -> [Date] {
    let schedule = try CronSchedule(parsing: expression)
    let timeZone = try zone(identifier)
    var result: [Date] = []
    var cursor = start
    while result.count < count, let fire = schedule.nextDate(after: cursor, in: timeZone) {
        result.append(fire)
        cursor = fire
    }
    return result
}

private func parseError(_ expression: String) -> CronError? {
    do {
        _ = try CronSchedule(parsing: expression)
        return nil
    } catch {
        return error
    }
}

// MARK: - Parsing

@Suite("CronSchedule parsing")
struct CronScheduleParsingTests {
    @Test(
        "valid field forms",
        arguments: [
            ("* * * * *", CronField.minute, Array(0...59)),
            ("*/15 * * * *", .minute, [0, 15, 30, 45]),
            ("5-10/2 * * * *", .minute, [5, 7, 9]),
            ("50/3 * * * *", .minute, [50, 53, 56, 59]),
            ("1,2,40-42 * * * *", .minute, [1, 2, 40, 41, 42]),
            ("0 */6 * * *", .hour, [0, 6, 12, 18]),
            ("0 9-17 * * *", .hour, Array(9...17)),
            ("0 0 1,15,31 * *", .dayOfMonth, [1, 15, 31]),
            ("0 0 */10 * *", .dayOfMonth, [1, 11, 21, 31]),
            ("0 0 * jan,Mar-MAY *", .month, [1, 3, 4, 5]),
            ("0 0 * */3 *", .month, [1, 4, 7, 10]),
            ("0 0 * DEC *", .month, [12]),
            ("0 0 * * MON-FRI", .dayOfWeek, [1, 2, 3, 4, 5]),
            ("0 0 * * 0,7", .dayOfWeek, [0]),
            ("0 0 * * 7", .dayOfWeek, [0]),
            ("0 0 * * 5-7", .dayOfWeek, [0, 5, 6]),
            ("0 0 * * FRI-SUN", .dayOfWeek, [0, 5, 6]),
            ("0 0 * * sun,sat", .dayOfWeek, [0, 6]),
            ("0 0 * * */2", .dayOfWeek, [0, 2, 4, 6]),
            ("0 0 * * 1/2", .dayOfWeek, [1, 3, 5]),
            ("0 0 * * 1-7", .dayOfWeek, Array(0...6)),
        ])
    func validForms(expression: String, field: CronField, expected: [Int]) throws {
        let schedule = try CronSchedule(parsing: expression)
        #expect(schedule.values(of: field) == expected)
    }

    @Test("whitespace is tolerated and the expression is kept trimmed")
    func whitespace() throws {
        let schedule = try CronSchedule(parsing: "  0\t 2   *  * \n 1-5  ")
        #expect(schedule.expression == "0\t 2   *  * \n 1-5")
        #expect(schedule.description == schedule.expression)
        #expect(schedule.values(of: .minute) == [0])
        #expect(schedule.values(of: .hour) == [2])
        #expect(schedule.values(of: .dayOfWeek) == [1, 2, 3, 4, 5])
    }

    @Test("equality compares parsed fields and text")
    func equality() throws {
        #expect(try CronSchedule(parsing: "0 0 * * *") == CronSchedule(parsing: " 0 0 * * * "))
        #expect(try CronSchedule(parsing: "0 0 * * *") != CronSchedule(parsing: "0 1 * * *"))
    }

    @Test(
        "macros expand to their five-field equivalents",
        arguments: [
            ("@yearly", "0 0 1 1 *"),
            ("@annually", "0 0 1 1 *"),
            ("@monthly", "0 0 1 * *"),
            ("@weekly", "0 0 * * 0"),
            ("@daily", "0 0 * * *"),
            ("@midnight", "0 0 * * *"),
            ("@hourly", "0 * * * *"),
            ("  @DAILY ", "0 0 * * *"),
        ])
    func macros(macro: String, equivalent: String) throws {
        let schedule = try CronSchedule(parsing: macro)
        #expect(schedule.expression == macro.trimmingCharacters(in: .whitespaces))
        let start = try date(2024, 2, 27, 13, 17)
        #expect(try fires(macro, after: start, count: 5) == fires(equivalent, after: start, count: 5))
    }

    @Test("the documented example message")
    func exampleMessage() {
        let error = parseError("61 2 * * *")
        #expect(error?.field == "minute")
        #expect(error?.message == "minute: 61 is out of range 0-59 in \"61 2 * * *\"")
        #expect(error?.description == error?.message)
    }

    @Test(
        "errors name the field and the bad token",
        arguments: [
            ("", "expression", "found 0"),
            ("* * * *", "expression", "found 4"),
            ("* * * * * *", "expression", "found 6"),
            ("@often", "expression", "@often"),
            ("@daily extra", "expression", "@daily extra"),
            ("1,,2 * * * *", "minute", "\"1,,2\""),
            ("1, * * * *", "minute", "\"1,\""),
            ("*/0 * * * *", "minute", "step 0"),
            ("*/61 * * * *", "minute", "61"),
            ("*/x * * * *", "minute", "\"x\""),
            ("1/ * * * *", "minute", "\"\""),
            ("*/2/3 * * * *", "minute", "*/2/3"),
            ("x * * * *", "minute", "\"x\""),
            ("JAN * * * *", "minute", "\"JAN\""),
            ("-5 * * * *", "minute", "\"-5\""),
            ("1-2-3 * * * *", "minute", "1-2-3"),
            ("99999999999999999999999 * * * *", "minute", "99999999999999999999999"),
            ("0 24 * * *", "hour", "24 is out of range 0-23"),
            ("0 5-2 * * *", "hour", "\"5-2\""),
            ("0 0 0 * *", "day-of-month", "0 is out of range 1-31"),
            ("0 0 32 * *", "day-of-month", "32"),
            ("0 0 1,32 * *", "day-of-month", "32"),
            ("0 0 * 13 *", "month", "13 is out of range 1-12"),
            ("0 0 * 0 *", "month", "0 is out of range"),
            ("0 0 * FOO *", "month", "\"FOO\""),
            ("0 0 * JANUARY *", "month", "\"JANUARY\""),
            ("0 0 * DEC-JAN *", "month", "\"DEC-JAN\""),
            ("0 0 * * 8", "day-of-week", "8 is out of range 0-7"),
            ("0 0 * * FUN", "day-of-week", "\"FUN\""),
            ("0 0 * * MON-", "day-of-week", "MON-"),
            ("0 0 * * 5-1", "day-of-week", "\"5-1\""),
        ])
    func errors(expression: String, field: String, token: String) throws {
        let error = try #require(parseError(expression), "\"\(expression)\" should not parse")
        #expect(error.field == field)
        #expect(error.message.hasPrefix("\(field): "))
        #expect(error.message.contains(token), "\(error.message)")
        #expect(
            error.message.hasSuffix("in \"\(expression.trimmingCharacters(in: .whitespaces))\""))
    }
}

// MARK: - Next fire time

@Suite("CronSchedule.nextDate")
struct CronScheduleNextDateTests {
    @Test("UTC basics")
    func utcBasics() throws {
        // 2024-05-17 is a Friday.
        let friday = try date(2024, 5, 17, 10, 0)
        #expect(try next("0 9 * * 1-5", after: friday) == date(2024, 5, 20, 9, 0))
        #expect(try next("* * * * *", after: friday) == date(2024, 5, 17, 10, 1))
        #expect(try next("*/20 * * * *", after: date(2024, 5, 17, 10, 45)) == date(2024, 5, 17, 11, 0))
        #expect(try next("30 */6 * * *", after: friday) == date(2024, 5, 17, 12, 30))
        #expect(try next("0 0 * * SUN", after: friday) == date(2024, 5, 19))
        #expect(try next("0 0 * * 7", after: friday) == date(2024, 5, 19))
        #expect(try next("15 14 1 * *", after: friday) == date(2024, 6, 1, 14, 15))
        #expect(try next("0 0 * JUL *", after: friday) == date(2024, 7, 1))
    }

    @Test("strictly after the given date")
    func strictlyAfter() throws {
        let fire = try date(2024, 5, 17, 9, 0)
        #expect(try next("0 9 * * *", after: fire) == date(2024, 5, 18, 9, 0))
        #expect(try next("0 9 * * *", after: fire.addingTimeInterval(0.5)) == date(2024, 5, 18, 9, 0))
        #expect(try next("0 9 * * *", after: fire.addingTimeInterval(-0.001)) == fire)
        #expect(try next("0 9 * * *", after: fire.addingTimeInterval(-59)) == fire)
        #expect(try next("* * * * *", after: fire) == date(2024, 5, 17, 9, 1))
        #expect(try next("* * * * *", after: fire.addingTimeInterval(30)) == date(2024, 5, 17, 9, 1))
    }

    @Test("Vixie rule: OR when both day fields are restricted, AND otherwise")
    func dayOfMonthDayOfWeekRule() throws {
        // The 13th or any Friday. 2024-09-06 is a Friday, 2024-10-13 a Sunday.
        #expect(try fires("0 0 13 * 5", after: date(2024, 9, 1), count: 7) == [
            date(2024, 9, 6), date(2024, 9, 13), date(2024, 9, 20), date(2024, 9, 27),
            date(2024, 10, 4), date(2024, 10, 11), date(2024, 10, 13),
        ])
        // Day of week `*`: only the 13th.
        #expect(try fires("0 0 13 * *", after: date(2024, 9, 1), count: 2) == [
            date(2024, 9, 13), date(2024, 10, 13),
        ])
        // Day of month `*`: only Fridays.
        #expect(try fires("0 0 * * FRI", after: date(2024, 9, 1), count: 2) == [
            date(2024, 9, 6), date(2024, 9, 13),
        ])
        // `*/2` starts with `*`, so AND applies: odd days that are Mondays.
        // Mondays in Sept 2024: 2, 9, 16, 23, 30 → odd: 9, 23.
        #expect(try fires("0 0 */2 * MON", after: date(2024, 9, 1), count: 2) == [
            date(2024, 9, 9), date(2024, 9, 23),
        ])
    }

    @Test("month ends skip short months")
    func monthEnds() throws {
        #expect(try fires("0 0 31 * *", after: date(2024, 1, 31), count: 4) == [
            date(2024, 3, 31), date(2024, 5, 31), date(2024, 7, 31), date(2024, 8, 31),
        ])
        #expect(try next("0 12 30 * *", after: date(2023, 2, 1)) == date(2023, 3, 30, 12, 0))
    }

    @Test("leap day is found quickly, including across 2100")
    func leapDay() throws {
        let schedule = try CronSchedule(parsing: "0 0 29 2 *")
        let utc = try zone("UTC")
        let cases = [
            (try date(2025, 1, 1), try date(2028, 2, 29)),
            (try date(2028, 2, 29), try date(2032, 2, 29)),
            (try date(2024, 2, 28, 23, 59), try date(2024, 2, 29)),
            (try date(2096, 3, 1), try date(2104, 2, 29)),
        ]
        var results: [Date?] = []
        let elapsed = ContinuousClock().measure {
            results = cases.map { schedule.nextDate(after: $0.0, in: utc) }
        }
        #expect(results == cases.map(\.1))
        #expect(elapsed < .seconds(1))
    }

    @Test(
        "impossible dates return nil quickly",
        arguments: ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 FEB,APR *"])
    func never(expression: String) throws {
        let schedule = try CronSchedule(parsing: expression)
        let (start, utc) = (try date(2024, 1, 1), try zone("UTC"))
        var result: Date? = start
        let elapsed = ContinuousClock().measure {
            result = schedule.nextDate(after: start, in: utc)
        }
        #expect(result == nil)
        #expect(elapsed < .milliseconds(500))
    }

    @Test("year rollover")
    func yearRollover() throws {
        #expect(try next("0 0 1 1 *", after: date(2024, 12, 31, 23, 59)) == date(2025, 1, 1))
        #expect(try next("59 23 31 12 *", after: date(2024, 12, 31, 23, 59)) == date(2025, 12, 31, 23, 59))
        #expect(try next("* * * * *", after: date(2024, 12, 31, 23, 59, 30)) == date(2025, 1, 1))
        #expect(try next("@yearly", after: date(2025, 1, 1)) == date(2026, 1, 1))
    }

    @Test("wall clock of the requested time zone")
    func timeZones() throws {
        // 09:00 in Tokyo (UTC+9, no DST) is 00:00 UTC.
        #expect(try next("0 9 * * *", after: date(2024, 5, 31, 12, 0), in: "Asia/Tokyo") == date(2024, 6, 1, 0, 0))
        // Exactly 09:00 Tokyo is not "after": the next run is a day later.
        #expect(try next("0 9 * * *", after: date(2024, 6, 1), in: "Asia/Tokyo") == date(2024, 6, 2, 0, 0))
        // Day of week is evaluated in local time: Monday 00:30 in Berlin is Sunday 22:30 UTC.
        #expect(try next("30 0 * * MON", after: date(2024, 6, 1), in: "Europe/Berlin") == date(2024, 6, 2, 22, 30))
        // Non-whole-hour offset (UTC+5:45).
        #expect(try next("0 0 * * *", after: date(2024, 6, 1), in: "Asia/Kathmandu") == date(2024, 6, 1, 18, 15))
    }

    // MARK: DST

    @Test(
        "spring forward: a missing wall time fires at the end of the gap",
        arguments: [
            // Berlin: 2025-03-30 02:00 CET → 03:00 CEST (01:00 UTC).
            ("Europe/Berlin", 2025, 3, 30, 1),
            // New York: 2025-03-09 02:00 EST → 03:00 EDT (07:00 UTC).
            ("America/New_York", 2025, 3, 9, 7),
        ])
    func springForward(zoneID: String, year: Int, month: Int, day: Int, transitionUTCHour: Int) throws {
        let transition = try date(year, month, day, transitionUTCHour, 0)
        let dayBefore = try date(year, month, day - 1, 12, 0, in: zoneID)
        // 02:30 does not exist: runs once at 03:00 local, then the normal 02:30 the next day.
        #expect(try fires("30 2 * * *", after: dayBefore, count: 3, in: zoneID) == [
            transition,
            date(year, month, day + 1, 2, 30, in: zoneID),
            date(year, month, day + 2, 2, 30, in: zoneID),
        ])
        #expect(try date(year, month, day, 3, 0, in: zoneID) == transition)
        // Several gap times collapse into one firing at the transition.
        let before = transition.addingTimeInterval(-15 * 60)  // 01:45 standard time
        #expect(try fires("*/15 * * * *", after: before, count: 3, in: zoneID) == [
            transition, transition.addingTimeInterval(15 * 60), transition.addingTimeInterval(30 * 60),
        ])
        // Every minute: 01:59 → 03:00 → 03:01.
        #expect(try fires("* * * * *", after: transition.addingTimeInterval(-120), count: 3, in: zoneID) == [
            transition.addingTimeInterval(-60), transition, transition.addingTimeInterval(60),
        ])
        // A job at 03:00 is unaffected and fires exactly once.
        #expect(try fires("0 3 * * *", after: dayBefore, count: 2, in: zoneID) == [
            transition, date(year, month, day + 1, 3, 0, in: zoneID),
        ])
        // Asking from inside the gap hour (just after the transition) moves on to the next day.
        #expect(try next("30 2 * * *", after: transition, in: zoneID) == date(year, month, day + 1, 2, 30, in: zoneID))
    }

    @Test("fall back in Berlin: a repeated wall time fires only at its first occurrence")
    func fallBackBerlin() throws {
        // 2025-10-26 03:00 CEST → 02:00 CET; 02:30 happens at 00:30 UTC and again at 01:30 UTC.
        #expect(try fires("30 2 * * *", after: date(2025, 10, 25, 12, 0), count: 2, in: "Europe/Berlin") == [
            date(2025, 10, 26, 0, 30), date(2025, 10, 27, 1, 30),
        ])
        // Starting inside the second 02:xx hour does not replay 02:30.
        #expect(try next("30 2 * * *", after: date(2025, 10, 26, 1, 0), in: "Europe/Berlin") == date(2025, 10, 27, 1, 30))
        #expect(try next("45 2 * * *", after: date(2025, 10, 26, 1, 15), in: "Europe/Berlin") == date(2025, 10, 27, 1, 45))
        // Hourly: 01:00 CEST, 02:00 CEST, 03:00 CET (the repeated 02:00 CET is skipped).
        #expect(try fires("0 * * * *", after: date(2025, 10, 25, 22, 30), count: 4, in: "Europe/Berlin") == [
            date(2025, 10, 25, 23, 0), date(2025, 10, 26, 0, 0), date(2025, 10, 26, 2, 0), date(2025, 10, 26, 3, 0),
        ])
    }

    @Test("fall back in New York: hourly and daily jobs")
    func fallBackNewYork() throws {
        // 2025-11-02 02:00 EDT → 01:00 EST; 01:30 occurs at 05:30 UTC and 06:30 UTC.
        #expect(try fires("30 1 * * *", after: date(2025, 11, 1, 12, 0), count: 2, in: "America/New_York") == [
            date(2025, 11, 2, 5, 30), date(2025, 11, 3, 6, 30),
        ])
        // Hourly: 00:00 EDT, 01:00 EDT, then 02:00 EST.
        #expect(try fires("0 * * * *", after: date(2025, 11, 2, 3, 30), count: 4, in: "America/New_York") == [
            date(2025, 11, 2, 4, 0), date(2025, 11, 2, 5, 0), date(2025, 11, 2, 7, 0), date(2025, 11, 2, 8, 0),
        ])
        // From inside the repeated hour the result is still strictly later.
        let secondOneThirty = try date(2025, 11, 2, 6, 30)
        #expect(try next("*/15 * * * *", after: secondOneThirty, in: "America/New_York") == date(2025, 11, 2, 7, 0))
        #expect(try next("* * * * *", after: secondOneThirty, in: "America/New_York") == date(2025, 11, 2, 7, 0))
    }

    @Test(
        "chaining is strictly increasing and matches the schedule",
        arguments: [
            ("* * * * *", "America/New_York", 2025, 3, 9),
            ("* * * * *", "America/New_York", 2025, 11, 2),
            ("*/7 * * * *", "Europe/Berlin", 2025, 10, 25),
            ("0 * * * *", "Europe/Berlin", 2025, 3, 29),
            ("0 * * * *", "America/New_York", 2025, 11, 1),
            ("30 2 * * *", "Europe/Berlin", 2024, 1, 1),
            ("30 1 * * *", "America/New_York", 2024, 1, 1),
            ("0 0 13 * FRI", "UTC", 2024, 1, 1),
            ("15 3 * * MON-FRI", "Australia/Sydney", 2024, 1, 1),
            ("@weekly", "UTC", 2024, 1, 1),
        ])
    func chaining(expression: String, zoneID: String, year: Int, month: Int, day: Int) throws {
        let schedule = try CronSchedule(parsing: expression)
        let timeZone = try zone(zoneID)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var cursor = try date(year, month, day, 0, 0, in: zoneID)
        var seenWall = Set<String>()
        for _ in 0..<300 {
            let fire = try #require(schedule.nextDate(after: cursor, in: timeZone))
            #expect(fire > cursor)
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: fire)
            #expect(parts.second == 0)
            let wall = [parts.year, parts.month, parts.day, parts.hour, parts.minute]
                .map { String($0 ?? -1) }.joined(separator: " ")
            #expect(!seenWall.contains(wall), "fired twice at wall time \(wall)")
            seenWall.insert(wall)
            // Outside spring-forward shifts the fire time matches the minute and hour fields.
            let shifted = timeZone.isDaylightSavingTime(for: fire)
                && !timeZone.isDaylightSavingTime(for: fire.addingTimeInterval(-3_600))
            if !shifted {
                #expect(schedule.values(of: .minute).contains(parts.minute ?? -1), "\(fire)")
                #expect(schedule.values(of: .hour).contains(parts.hour ?? -1), "\(fire)")
            }
            cursor = fire
        }
    }
}
