import Foundation

/// `schedule:` of a source: on which days the one nightly `run` backs it up.
///
/// Accepted forms (see README): `daily` (the default), `weekly: sunday` (a day name, full or three letters;
/// bare `weekly` means sunday), `monthly: 1` (a day of the month 1-31; in a month without that day it runs on
/// the month's last day, so `monthly: 31` runs on Feb 28/29, Apr 30, …; bare `monthly` means 1), or
/// `cron: "DOM MON DOW"` (the three day fields of a crontab line, also written as a bare three-field string).
public enum Schedule: Sendable, Equatable, CustomStringConvertible {
    case daily
    /// Weekday 1 (Sunday) … 7 (Saturday), as `Calendar` numbers them.
    case weekly(weekday: Int)
    /// Day of the month 1-31; clamped to the month's last day.
    case monthly(day: Int)
    /// The day fields of a crontab line.
    case cron(CronDays)

    /// The day names `weekly:` accepts, in `Calendar` weekday order (1 = sunday).
    public static let dayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// Parses the `schedule:` value: `kind` is `daily`, `weekly`, `monthly` or `cron` (the key of a one-key
    /// mapping, or a bare word), `value` its argument (nil for a bare word). A bare three-field text is a cron spec.
    ///
    /// - Throws: a message that names the accepted values (the caller adds file, line and key).
    public static func parse(kind rawKind: String, value rawValue: String?) throws(ConfigValueError) -> Schedule {
        let kind = rawKind.trimmingCharacters(in: .whitespaces).lowercased()
        let value = rawValue?.trimmingCharacters(in: .whitespaces)
        switch kind {
        case "daily":
            guard value == nil else { throw ConfigValueError("'daily' takes no value, not '\(value!)'") }
            return .daily
        case "weekly":
            guard let value else { return .weekly(weekday: 1) }
            let lower = value.lowercased()
            guard let index = dayNames.firstIndex(where: { $0 == lower || (lower.count == 3 && $0.hasPrefix(lower)) }) else {
                throw ConfigValueError("'weekly' should be a day name (sunday … saturday, or sun … sat), not '\(value)'")
            }
            return .weekly(weekday: index + 1)
        case "monthly":
            guard let value else { return .monthly(day: 1) }
            guard let day = Int(value), (1...31).contains(day) else {
                throw ConfigValueError("'monthly' should be a day of the month from 1 to 31, not '\(value)'")
            }
            return .monthly(day: day)
        case "cron":
            guard let value else { throw ConfigValueError("'cron' needs the day fields, e.g. cron: \"* * 1-5\"") }
            return .cron(try CronDays.parse(value))
        default:
            if value == nil, kind.split(separator: " ", omittingEmptySubsequences: true).count == 3 {
                return .cron(try CronDays.parse(kind))
            }
            throw ConfigValueError("should be daily, weekly: DAY, monthly: N or cron: \"DOM MON DOW\" (e.g. \"* * 1-5\"), not '\(rawKind)'")
        }
    }

    /// Whether the source is due on the day of `date` in `calendar` (its time zone is the local one).
    public func isDue(on date: Date, calendar: Calendar) -> Bool {
        let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: date)
        guard let day = parts.day, let month = parts.month, let weekday = parts.weekday else { return false }
        switch self {
        case .daily:
            return true
        case let .weekly(wanted):
            return weekday == wanted
        case let .monthly(wanted):
            let last = calendar.range(of: .day, in: .month, for: date)?.count ?? 31
            return day == min(wanted, last)
        case let .cron(days):
            return days.matches(day: day, month: month, weekday: weekday - 1)
        }
    }

    /// The longest run of days between two due days (1 for daily, 7 for weekly, 31 for monthly, …).
    public var longestGapDays: Int {
        switch self {
        case .daily: return 1
        case .weekly: return 7
        case .monthly, .cron:
            // Count over eight years from a leap year, so every month length and weekday pairing occurs and a
            // spec due once in four years (29 Feb) shows its gap.
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let start = calendar.date(from: DateComponents(year: 2024, month: 1, day: 1))!
            let window = 8 * 365 + 2
            var longest: Int?
            var last: Int?
            for offset in 0..<window {
                let day = calendar.date(byAdding: .day, value: offset, to: start)!
                guard isDue(on: day, calendar: calendar) else { continue }
                if let last { longest = max(longest ?? 0, offset - last) }
                last = offset
            }
            // Due at most once in the window: at least that long between due days.
            return longest ?? window
        }
    }

    /// How old the newest backup may be before `status` calls the source stale: the longest gap between due
    /// days plus two hours of slack (26 hours for daily, 7 days 2 hours for weekly).
    public var staleAfter: TimeInterval { TimeInterval(longestGapDays) * 86400 + 2 * 3600 }

    /// The schedule as the config would spell it: `daily`, `weekly: sunday`, `monthly: 31`, `cron: "* * 1-5"`.
    public var description: String {
        switch self {
        case .daily: "daily"
        case let .weekly(weekday): "weekly: \(Self.dayNames[weekday - 1])"
        case let .monthly(day): "monthly: \(day)"
        case let .cron(days): "cron: \"\(days.text)\""
        }
    }
}

/// The day fields of a crontab line: day of month (1-31), month (1-12 or jan-dec), day of week (0-7 or
/// sun-sat, 0 and 7 both Sunday). Each field is `*`, a number or name, a range `a-b`, a step `*/n` or `a-b/n`,
/// or a comma list of those. As in cron, when both day of month and day of week are restricted (do not start
/// with `*`), a day matching either is due.
public struct CronDays: Sendable, Equatable {
    /// The spec as written (fields joined by one space).
    public var text: String
    public var daysOfMonth: Set<Int>
    public var months: Set<Int>
    /// 0 (Sunday) … 6 (Saturday).
    public var daysOfWeek: Set<Int>
    public var dayOfMonthRestricted: Bool
    public var dayOfWeekRestricted: Bool

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Parses `"DOM MON DOW"`.
    public static func parse(_ spec: String) throws(ConfigValueError) -> CronDays {
        let fields = spec.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 3 else {
            throw ConfigValueError("a cron day spec has three fields, day-of-month month day-of-week (e.g. \"* * 1-5\"), not '\(spec)'")
        }
        let dom = try field(fields[0], name: "day-of-month", range: 1...31, names: [])
        let months = try field(fields[1], name: "month", range: 1...12, names: monthNames, firstName: 1)
        var dow = try field(fields[2], name: "day-of-week", range: 0...7, names: weekdayNames)
        if dow.remove(7) != nil { dow.insert(0) }
        let days = CronDays(text: fields.joined(separator: " "), daysOfMonth: dom, months: months, daysOfWeek: dow,
                            dayOfMonthRestricted: !fields[0].hasPrefix("*"), dayOfWeekRestricted: !fields[2].hasPrefix("*"))
        // A spec no day can match (`31 2 *`) would make the source silently never run.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: 2024, month: 1, day: 1))!
        let everDue = (0..<(4 * 366)).contains { offset in
            let date = calendar.date(byAdding: .day, value: offset, to: start)!
            let p = calendar.dateComponents([.day, .month, .weekday], from: date)
            return days.matches(day: p.day!, month: p.month!, weekday: p.weekday! - 1)
        }
        guard everDue else { throw ConfigValueError("the cron day spec '\(spec)' matches no day of any year") }
        return days
    }

    /// Whether a day (`weekday` 0 = Sunday) is due.
    public func matches(day: Int, month: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        if dayOfMonthRestricted && dayOfWeekRestricted {
            return daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
        }
        return daysOfMonth.contains(day) && daysOfWeek.contains(weekday)
    }

    /// One field: the set of values it selects.
    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String],
                              firstName: Int = 0) throws(ConfigValueError) -> Set<Int> {
        func value(_ s: Substring) throws(ConfigValueError) -> Int {
            if let n = Int(s), range.contains(n) { return n }
            if let index = names.firstIndex(of: s.lowercased()) { return index + firstName }
            throw ConfigValueError("the \(name) field '\(text)' has '\(s)', which is not \(range.lowerBound)-\(range.upperBound)"
                                + (names.isEmpty ? "" : " or a name (\(names.first!)…\(names.last!))"))
        }
        var selected: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count), !pieces[0].isEmpty else {
                throw ConfigValueError("the \(name) field '\(text)' has an empty or malformed part '\(part)'")
            }
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n > 0 else { throw ConfigValueError("the \(name) field '\(text)' has a bad step '\(pieces[1])'") }
                step = n
            }
            let low: Int, high: Int
            if pieces[0] == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else if let dash = pieces[0].firstIndex(of: "-") {
                low = try value(pieces[0][..<dash])
                high = try value(pieces[0][pieces[0].index(after: dash)...])
                guard low <= high else { throw ConfigValueError("the \(name) field '\(text)' has a backwards range '\(pieces[0])'") }
            } else {
                low = try value(pieces[0])
                high = pieces.count == 2 ? range.upperBound : low
            }
            selected.formUnion(stride(from: low, through: high, by: step))
        }
        return selected
    }
}

/// Why a `schedule:` or `exclude:` value is not one (the config loader adds file, line and key).
public struct ConfigValueError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Config {
    /// The calendar schedules are judged in: Gregorian, in `timezone:` (the host's when unset), like artifact names.
    public var scheduleCalendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = effectiveTimeZone
        return calendar
    }
}
