import Foundation
import Testing
@testable import VaultopsCore

/// A noon in UTC on `yyyy-mm-dd` (noon: the day is the same in every zone the tests use).
private func day(_ text: String) -> Date {
    let parts = text.split(separator: "-").map { Int($0)! }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: 12))!
}

private let utc: Calendar = {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar
}()

@Suite("Schedule")
struct ScheduleTests {
    /// (kind, value, the schedule or the start of the error).
    static let parseCases: [(String, String?, Result<Schedule, ConfigValueError>)] = [
        ("daily", nil, .success(.daily)),
        ("Daily", nil, .success(.daily)),
        ("weekly", nil, .success(.weekly(weekday: 1))),
        ("weekly", "sunday", .success(.weekly(weekday: 1))),
        ("weekly", "Saturday", .success(.weekly(weekday: 7))),
        ("weekly", "wed", .success(.weekly(weekday: 4))),
        ("monthly", nil, .success(.monthly(day: 1))),
        ("monthly", "31", .success(.monthly(day: 31))),
        ("cron", "* * 1-5", .success(.cron(try! CronDays.parse("* * 1-5")))),
        ("* * sun", nil, .success(.cron(try! CronDays.parse("* * sun")))),
        ("daily", "yes", .failure(ConfigValueError("'daily' takes no value"))),
        ("weekly", "sundy", .failure(ConfigValueError("'weekly' should be a day name"))),
        ("weekly", "su", .failure(ConfigValueError("'weekly' should be a day name"))),
        ("monthly", "0", .failure(ConfigValueError("'monthly' should be a day of the month from 1 to 31, not '0'"))),
        ("monthly", "32", .failure(ConfigValueError("'monthly' should be a day of the month from 1 to 31, not '32'"))),
        ("monthly", "first", .failure(ConfigValueError("'monthly' should be a day of the month"))),
        ("cron", nil, .failure(ConfigValueError("'cron' needs the day fields"))),
        ("cron", "* *", .failure(ConfigValueError("a cron day spec has three fields"))),
        ("cron", "0 * *", .failure(ConfigValueError("the day-of-month field '0' has '0', which is not 1-31"))),
        ("cron", "* 13 *", .failure(ConfigValueError("the month field '13' has '13', which is not 1-12 or a name"))),
        ("cron", "* * 8", .failure(ConfigValueError("the day-of-week field '8' has '8', which is not 0-7"))),
        ("cron", "5-1 * *", .failure(ConfigValueError("the day-of-month field '5-1' has a backwards range"))),
        ("cron", "*/0 * *", .failure(ConfigValueError("the day-of-month field '*/0' has a bad step"))),
        ("cron", "1,,2 * *", .failure(ConfigValueError("the day-of-month field '1,,2' has an empty or malformed part"))),
        ("cron", "31 feb *", .failure(ConfigValueError("the cron day spec '31 feb *' matches no day of any year"))),
        ("hourly", nil, .failure(ConfigValueError("should be daily, weekly: DAY, monthly: N or cron"))),
    ]

    @Test("parse: every accepted form, and errors that name the accepted values", arguments: parseCases.indices)
    func parse(index: Int) {
        let (kind, value, expected) = Self.parseCases[index]
        switch (Result { () throws(ConfigValueError) -> Schedule in try Schedule.parse(kind: kind, value: value) }, expected) {
        case let (.success(got), .success(want)):
            #expect(got == want, "\(kind) \(value ?? "")")
        case let (.failure(got), .failure(want)):
            #expect(got.message.hasPrefix(want.message), "\(got.message)")
        case let (got, _):
            Issue.record("\(kind) \(value ?? ""): got \(got), expected \(expected)")
        }
    }

    /// (schedule, date, due). 2026-12-06 is a Sunday; 2026-02 has 28 days, 2028-02 has 29.
    static let dueCases: [(Schedule, String, Bool)] = [
        (.daily, "2026-12-02", true),
        (.weekly(weekday: 1), "2026-12-06", true),
        (.weekly(weekday: 1), "2026-12-07", false),
        (.weekly(weekday: 7), "2026-12-05", true),
        (.monthly(day: 1), "2026-12-01", true),
        (.monthly(day: 1), "2026-12-02", false),
        (.monthly(day: 31), "2026-12-31", true),
        (.monthly(day: 31), "2026-12-30", false),
        (.monthly(day: 31), "2026-02-28", true),   // a short month: its last day
        (.monthly(day: 31), "2026-04-30", true),
        (.monthly(day: 30), "2028-02-29", true),
        (.monthly(day: 30), "2028-02-28", false),
        (.monthly(day: 29), "2026-02-28", true),
        (.cron(try! CronDays.parse("* * 1-5")), "2026-12-04", true),   // Friday
        (.cron(try! CronDays.parse("* * 1-5")), "2026-12-05", false),  // Saturday
        (.cron(try! CronDays.parse("* * sat,SUN")), "2026-12-06", true),
        (.cron(try! CronDays.parse("* * 7")), "2026-12-06", true),     // 7 is Sunday too
        (.cron(try! CronDays.parse("1,15 * *")), "2026-12-15", true),
        (.cron(try! CronDays.parse("1,15 * *")), "2026-12-16", false),
        (.cron(try! CronDays.parse("*/10 * *")), "2026-12-21", true),  // 1, 11, 21, 31
        (.cron(try! CronDays.parse("*/10 * *")), "2026-12-20", false),
        (.cron(try! CronDays.parse("* jan-mar *")), "2026-03-10", true),
        (.cron(try! CronDays.parse("* jan-mar *")), "2026-04-10", false),
        // Both day fields restricted: either matches (cron's rule); a field starting with * does not restrict.
        (.cron(try! CronDays.parse("1 * mon")), "2026-12-07", true),   // a Monday, not the 1st
        (.cron(try! CronDays.parse("1 * mon")), "2026-12-01", true),   // the 1st, a Tuesday
        (.cron(try! CronDays.parse("1 * mon")), "2026-12-08", false),
        (.cron(try! CronDays.parse("*/2 * mon")), "2026-12-07", true), // Monday the 7th: both match
        (.cron(try! CronDays.parse("*/2 * mon")), "2026-12-14", false),// Monday the 14th: day not odd
    ]

    @Test("isDue: weekday, day of month (the last day of short months), cron day fields", arguments: dueCases.indices)
    func due(index: Int) {
        let (schedule, date, due) = Self.dueCases[index]
        #expect(schedule.isDue(on: day(date), calendar: utc) == due, "\(schedule) on \(date)")
    }

    @Test("isDue follows the calendar's time zone: 23:30 UTC on Saturday is Sunday in Shanghai")
    func dueInZone() {
        var shanghai = Calendar(identifier: .gregorian)
        shanghai.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let late = day("2026-12-05").addingTimeInterval(11.5 * 3600)
        #expect(Schedule.weekly(weekday: 1).isDue(on: late, calendar: shanghai))
        #expect(!Schedule.weekly(weekday: 1).isDue(on: late, calendar: utc))
    }

    @Test("staleAfter is the longest gap between due days plus 2 hours", arguments: [
        (Schedule.daily, 1), (.weekly(weekday: 3), 7), (.monthly(day: 1), 31), (.monthly(day: 31), 31),
        (.cron(try! CronDays.parse("* * 1-5")), 3), (.cron(try! CronDays.parse("1,15 * *")), 17),
        (.cron(try! CronDays.parse("29 2 *")), 4 * 365 + 1),
    ])
    func staleAfter(schedule: Schedule, gapDays: Int) {
        #expect(schedule.longestGapDays == gapDays, "\(schedule)")
        #expect(schedule.staleAfter == TimeInterval(gapDays) * 86400 + 7200)
    }

    @Test("description spells the schedule as the config does", arguments: [
        (Schedule.daily, "daily"), (.weekly(weekday: 1), "weekly: sunday"), (.monthly(day: 31), "monthly: 31"),
        (.cron(try! CronDays.parse("*  *  1-5")), "cron: \"* * 1-5\""),
    ])
    func description(schedule: Schedule, text: String) {
        #expect(schedule.description == text)
    }
}
