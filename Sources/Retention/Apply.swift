import Foundation

/// One backup as the policy sees it: which source it belongs to, when it was taken, whether it checks out.
public struct RetentionArtifact: Sendable, Hashable {
    /// The file name or object key that identifies the artifact in reports.
    public var name: String
    /// The source the artifact was taken from (`db` in `db_20250101.sql.gz`); retention is per source.
    public var source: String
    /// When the artifact was taken (from its manifest, else its name, else the object's time).
    public var takenAt: Date
    /// True when a manifest exists and its byte size matches the artifact.
    public var verified: Bool

    /// Creates an artifact description.
    public init(name: String, source: String, takenAt: Date, verified: Bool) {
        self.name = name
        self.source = source
        self.takenAt = takenAt
        self.verified = verified
    }
}

/// Why an artifact is kept or removed.
public enum RetentionReason: Sendable, Hashable {
    /// Taken within `keep_days` of the source's newest verified artifact.
    case withinDays(Int)
    /// One of the newest `keep_last` artifacts.
    case last(Int)
    /// The newest artifact of a day (`2025-04-03`) counted by `keep_daily`.
    case newestOfDay(String)
    /// The newest artifact of an ISO week (`2025-W14`) counted by `keep_weekly`.
    case newestOfWeek(String)
    /// The newest artifact of a month (`2025-04`) counted by `keep_monthly`.
    case newestOfMonth(String)
    /// The newest verified artifact of its source, never removed.
    case newestVerified(source: String)
    /// Dated after "now": kept and reported, since a clock is wrong somewhere.
    case inFuture
    /// The source has no verified artifact, so nothing of it is removed.
    case noVerifiedBackup(source: String)
    /// Removed: taken more than `keep_days` before the newest verified artifact.
    case olderThanDays(Int)
    /// Removed: no period rule (`keep_last`, `keep_daily`, …) selected it; the text names the rules.
    case notSelected(String)

    /// The human text, without the `kept:` / `removed:` prefix.
    public var text: String {
        switch self {
        case .withinDays(let days): "within \(days) days"
        case .last(let count): "one of the last \(count)"
        case .newestOfDay(let day): "newest of day \(day)"
        case .newestOfWeek(let week): "newest of week \(week)"
        case .newestOfMonth(let month): "newest of month \(month)"
        case .newestVerified(let source): "newest verified backup of source \(source)"
        case .inFuture: "dated in the future"
        case .noVerifiedBackup(let source): "no verified backup of source \(source), nothing of it is removed"
        case .olderThanDays(let days): "older than \(days) days"
        case .notSelected(let rules): "not selected by \(rules)"
        }
    }

    /// A stable machine name for JSON output.
    public var code: String {
        switch self {
        case .withinDays: "keep_days"
        case .last: "keep_last"
        case .newestOfDay: "keep_daily"
        case .newestOfWeek: "keep_weekly"
        case .newestOfMonth: "keep_monthly"
        case .newestVerified: "newest_verified"
        case .inFuture: "in_future"
        case .noVerifiedBackup: "no_verified_backup"
        case .olderThanDays: "older_than_keep_days"
        case .notSelected: "not_selected"
        }
    }
}

/// The policy's verdict on one artifact, with every reason that applies.
public struct RetentionDecision: Sendable, Hashable {
    /// The artifact judged.
    public var artifact: RetentionArtifact
    /// True to keep it, false to remove it.
    public var keep: Bool
    /// Every reason that applies, most important first; never empty.
    public var reasons: [RetentionReason]

    /// Creates a decision.
    public init(artifact: RetentionArtifact, keep: Bool, reasons: [RetentionReason]) {
        self.artifact = artifact
        self.keep = keep
        self.reasons = reasons
    }

    /// The human reason, e.g. `kept: within 30 days` or `removed: older than 30 days`.
    public var reason: String {
        (keep ? "kept: " : "removed: ") + reasons.map(\.text).joined(separator: "; ")
    }
}

/// Applies `policy` to `artifacts` and returns one decision for every artifact.
///
/// Pure: the result depends only on the arguments. Each source is judged on its own. Periods (days, ISO
/// weeks, months) and the `keep_days` window are counted in `timeZone` with calendar arithmetic, so a
/// daylight-saving change neither shortens nor lengthens a day. Artifacts dated after `now` are kept and
/// take no part in the rules (a wrong clock must not push everything else out). A source without any
/// verified artifact keeps everything: with no known-good backup, deleting is never safe.
///
/// Decisions are ordered by source, then newest first, then name, so output built from them is stable.
/// - Precondition: `policy.validate()` succeeded; an empty policy keeps only the newest verified artifact.
public func apply(policy: RetentionPolicy, artifacts: [RetentionArtifact], now: Date,
                  timeZone: TimeZone) -> [RetentionDecision] {
    let periods = PeriodCalendar(timeZone: timeZone)
    let bySource = Dictionary(grouping: artifacts, by: \.source)
    var decisions: [RetentionDecision] = []
    for source in bySource.keys.sorted() {
        let sorted = bySource[source, default: []].sorted(by: newestFirst)
        decisions += applyToSource(source, sorted, policy: policy, now: now, periods: periods)
    }
    return decisions
}

/// Newest first; equal times by name descending so `_HHMMSS` repeats of a day order the same way every run.
func newestFirst(_ a: RetentionArtifact, _ b: RetentionArtifact) -> Bool {
    if a.takenAt != b.takenAt { return a.takenAt > b.takenAt }
    return a.name > b.name
}

private func applyToSource(_ source: String, _ sorted: [RetentionArtifact], policy: RetentionPolicy,
                           now: Date, periods: PeriodCalendar) -> [RetentionDecision] {
    let future = sorted.filter { $0.takenAt > now }
    let judged = sorted.filter { $0.takenAt <= now }
    var decisions = future.map { RetentionDecision(artifact: $0, keep: true, reasons: [.inFuture]) }

    guard let anchor = judged.first(where: \.verified) else {
        return decisions + judged.map {
            RetentionDecision(artifact: $0, keep: true, reasons: [.noVerifiedBackup(source: source)])
        }
    }

    let keepDays = positive(policy.keepDays)
    // restic's --keep-within: strictly after the anchor minus N calendar days in the host's zone.
    let windowStart = keepDays.map { periods.date(daysBefore: $0, anchor.takenAt) }

    var buckets: [Bucket] = []
    if let count = positive(policy.keepLast) {
        buckets.append(Bucket(remaining: count, key: { $0.name }, reason: { _ in .last(count) }))
    }
    if let count = positive(policy.keepDaily) {
        buckets.append(Bucket(remaining: count, key: { periods.day($0.takenAt) }, reason: { .newestOfDay($0) }))
    }
    if let count = positive(policy.keepWeekly) {
        buckets.append(Bucket(remaining: count, key: { periods.isoWeek($0.takenAt) }, reason: { .newestOfWeek($0) }))
    }
    if let count = positive(policy.keepMonthly) {
        buckets.append(Bucket(remaining: count, key: { periods.month($0.takenAt) }, reason: { .newestOfMonth($0) }))
    }

    for artifact in judged {
        var reasons: [RetentionReason] = []
        if artifact == anchor { reasons.append(.newestVerified(source: source)) }
        if let keepDays, let windowStart, artifact.takenAt > windowStart { reasons.append(.withinDays(keepDays)) }
        // restic's buckets: walking newest first, the first artifact of a new period is that period's newest.
        for index in buckets.indices where buckets[index].remaining > 0 {
            let key = buckets[index].key(artifact)
            if key != buckets[index].last {
                buckets[index].last = key
                buckets[index].remaining -= 1
                reasons.append(buckets[index].reason(key))
            }
        }
        if reasons.isEmpty {
            if let keepDays { reasons.append(.olderThanDays(keepDays)) }
            let periodRules = policy.rules.dropFirst().compactMap { rule -> String? in
                guard let value = positive(rule.value) else { return nil }
                return "\(rule.name) \(value)"
            }
            if !periodRules.isEmpty { reasons.append(.notSelected(periodRules.joined(separator: ", "))) }
            if reasons.isEmpty { reasons.append(.notSelected("any rule")) }
            decisions.append(RetentionDecision(artifact: artifact, keep: false, reasons: reasons))
        } else {
            decisions.append(RetentionDecision(artifact: artifact, keep: true, reasons: reasons))
        }
    }
    return decisions
}

private func positive(_ value: Int?) -> Int? {
    guard let value, value > 0 else { return nil }
    return value
}

/// One period rule while walking a source's artifacts newest first.
private struct Bucket {
    var remaining: Int
    let key: (RetentionArtifact) -> String
    let reason: (String) -> RetentionReason
    var last: String?
}

/// Day, ISO week and month labels and calendar-day arithmetic in one time zone.
struct PeriodCalendar {
    private let gregorian: Calendar
    private let iso: Calendar

    init(timeZone: TimeZone) {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = timeZone
        gregorian.locale = Locale(identifier: "en_US_POSIX")
        self.gregorian = gregorian
        // ISO 8601 weeks: Monday first, week 1 holds the year's first Thursday.
        var iso = gregorian
        iso.firstWeekday = 2
        iso.minimumDaysInFirstWeek = 4
        self.iso = iso
    }

    /// `2025-04-03`.
    func day(_ date: Date) -> String {
        let c = gregorian.dateComponents([.year, .month, .day], from: date)
        return "\(pad(c.year!, 4))-\(pad(c.month!, 2))-\(pad(c.day!, 2))"
    }

    /// `2025-W14`, with the ISO week-numbering year (29 Dec 2025 is `2026-W01`).
    func isoWeek(_ date: Date) -> String {
        let c = iso.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        return "\(pad(c.yearForWeekOfYear!, 4))-W\(pad(c.weekOfYear!, 2))"
    }

    /// `2025-04`.
    func month(_ date: Date) -> String {
        let c = gregorian.dateComponents([.year, .month], from: date)
        return "\(pad(c.year!, 4))-\(pad(c.month!, 2))"
    }

    /// `2025-04-15 02:00`.
    func timestamp(_ date: Date) -> String {
        let c = gregorian.dateComponents([.hour, .minute], from: date)
        return "\(day(date)) \(pad(c.hour!, 2)):\(pad(c.minute!, 2))"
    }

    /// The same wall-clock time `days` calendar days earlier (23 or 25 hours across a DST change).
    func date(daysBefore days: Int, _ date: Date) -> Date {
        gregorian.date(byAdding: .day, value: -days, to: date) ?? date.addingTimeInterval(-Double(days) * 86_400)
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
