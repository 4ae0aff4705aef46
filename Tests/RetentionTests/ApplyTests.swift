import Foundation
import Testing
@testable import Retention
import VaultopsCore

/// One made-up timeline, the policy applied to it, and what must survive and why.
struct PolicyCase: CustomTestStringConvertible, Sendable {
    let label: String
    let timeZone: TimeZone
    let policy: RetentionPolicy
    let artifacts: [RetentionArtifact]
    let now: Date
    /// The names that must be kept; every other artifact must be removed.
    let kept: Set<String>
    /// Exact reason texts for some artifacts.
    let reasons: [String: String]
    var testDescription: String { label }
}

private let utc = Timeline("UTC")
private let berlin = Timeline("Europe/Berlin")
private let newYork = Timeline("America/New_York")
private let shanghai = Timeline("Asia/Shanghai")

private let policyCases: [PolicyCase] = [
    {
        // Daily at 02:00 with holes; the window is 30 calendar days back from the newest (strictly after).
        let gaps: Set<String> = ["2025-03-20", "2025-04-10", "2025-04-11", "2025-04-12"]
        let all = utc.daily("db", from: "2025-03-01", to: "2025-04-15", skipping: gaps)
        return PolicyCase(
            label: "daily series with gaps, keep_days 30", timeZone: utc.timeZone, policy: .init(keepDays: 30),
            artifacts: all, now: utc.at("2025-04-15 12:00"),
            kept: utc.names("db", from: "2025-03-17", to: "2025-04-15", skipping: gaps),
            reasons: [
                "db_20250415_020000.sql.gz": "kept: newest verified backup of source db; within 30 days",
                "db_20250317_020000.sql.gz": "kept: within 30 days",
                "db_20250316_020000.sql.gz": "removed: older than 30 days",
                "db_20250301_020000.sql.gz": "removed: older than 30 days",
            ])
    }(),
    {
        // Backups stopped 45 days ago: the window hangs off the newest good backup, not off now.
        let all = utc.daily("db", from: "2024-12-01", to: "2025-03-01")
        return PolicyCase(
            label: "backups stopped 45 days ago", timeZone: utc.timeZone, policy: .init(keepDays: 30),
            artifacts: all, now: utc.at("2025-04-15 12:00"),
            kept: utc.names("db", from: "2025-01-31", to: "2025-03-01"),
            reasons: ["db_20250301_020000.sql.gz": "kept: newest verified backup of source db; within 30 days",
                      "db_20250130_020000.sql.gz": "removed: older than 30 days"])
    }(),
    {
        // The newest artifacts are unverified (size mismatch): the window counts from the newest good one,
        // and the unverified newer ones stay since they are inside it.
        var all = utc.daily("db", from: "2025-03-01", to: "2025-04-13")
        all += utc.daily("db", from: "2025-04-14", to: "2025-04-15", verified: false)
        return PolicyCase(
            label: "newest artifacts unverified", timeZone: utc.timeZone, policy: .init(keepDays: 30),
            artifacts: all, now: utc.at("2025-04-15 12:00"),
            kept: utc.names("db", from: "2025-03-15", to: "2025-04-15"),
            reasons: ["db_20250413_020000.sql.gz": "kept: newest verified backup of source db; within 30 days",
                      "db_20250415_020000.sql.gz": "kept: within 30 days",
                      "db_20250314_020000.sql.gz": "removed: older than 30 days"])
    }(),
    {
        // keep_last 1 picks the newest, which is unverified; the newest verified one survives as well.
        let all = [utc.artifact("db", "2025-01-01 02:00"), utc.artifact("db", "2025-01-05 02:00"),
                   utc.artifact("db", "2025-01-10 02:00", verified: false)]
        return PolicyCase(
            label: "newest verified survives keep_last 1 when a newer one is unverified", timeZone: utc.timeZone,
            policy: .init(keepLast: 1), artifacts: all, now: utc.at("2025-04-15 12:00"),
            kept: ["db_20250110_020000.sql.gz", "db_20250105_020000.sql.gz"],
            reasons: ["db_20250110_020000.sql.gz": "kept: one of the last 1",
                      "db_20250105_020000.sql.gz": "kept: newest verified backup of source db",
                      "db_20250101_020000.sql.gz": "removed: not selected by keep_last 1"])
    }(),
    {
        // Three a day; keep_daily 7 keeps the newest of each of the last seven days that have one.
        var all: [RetentionArtifact] = []
        for time in ["01:00", "09:00", "17:00"] { all += utc.daily("db", from: "2025-04-01", to: "2025-04-10", at: time) }
        return PolicyCase(
            label: "several per day, keep_daily 7", timeZone: utc.timeZone, policy: .init(keepDaily: 7),
            artifacts: all, now: utc.at("2025-04-10 20:00"),
            kept: utc.names("db", from: "2025-04-04", to: "2025-04-10", at: "17:00"),
            reasons: ["db_20250410_170000.sql.gz": "kept: newest verified backup of source db; newest of day 2025-04-10",
                      "db_20250404_170000.sql.gz": "kept: newest of day 2025-04-04",
                      "db_20250410_090000.sql.gz": "removed: not selected by keep_daily 7",
                      "db_20250403_170000.sql.gz": "removed: not selected by keep_daily 7"])
    }(),
    {
        // Same-second repeats (`_HHMMSS` suffixes identical times): ties break by name, stably.
        let a = RetentionArtifact(name: "db_20250410.sql.gz", source: "db", takenAt: utc.at("2025-04-10"), verified: true)
        let b = RetentionArtifact(name: "db_20250410_000000.sql.gz", source: "db", takenAt: utc.at("2025-04-10"), verified: true)
        return PolicyCase(
            label: "identical times break ties by name", timeZone: utc.timeZone, policy: .init(keepLast: 1),
            artifacts: [a, b], now: utc.at("2025-04-11"),
            kept: ["db_20250410_000000.sql.gz"],
            reasons: ["db_20250410.sql.gz": "removed: not selected by keep_last 1"])
    }(),
    {
        // 2025-01-01 .. 2025-05-01 daily: 7 days, then the newest of 4 ISO weeks and 4 months on top.
        let all = utc.daily("db", from: "2025-01-01", to: "2025-05-01")
        let recent = utc.names("db", from: "2025-04-25", to: "2025-05-01")
        // Weeks (newest first): 2025-W18 holds 04-28..05-01 (newest 05-01); W17 → Sun 04-27; W16 → 04-20; W15 → 04-13.
        let weekly: Set<String> = ["db_20250501_020000.sql.gz", "db_20250427_020000.sql.gz",
                                   "db_20250420_020000.sql.gz", "db_20250413_020000.sql.gz"]
        // Months: May → 05-01, April → 04-30, March → 03-31, February → 02-28.
        let monthly: Set<String> = ["db_20250501_020000.sql.gz", "db_20250430_020000.sql.gz",
                                    "db_20250331_020000.sql.gz", "db_20250228_020000.sql.gz"]
        return PolicyCase(
            label: "weekly and monthly keeps", timeZone: utc.timeZone,
            policy: .init(keepDays: 7, keepWeekly: 4, keepMonthly: 4), artifacts: all, now: utc.at("2025-05-01 12:00"),
            kept: recent.union(weekly).union(monthly),
            reasons: [
                "db_20250501_020000.sql.gz": "kept: newest verified backup of source db; within 7 days; newest of week 2025-W18; newest of month 2025-05",
                "db_20250427_020000.sql.gz": "kept: within 7 days; newest of week 2025-W17",
                "db_20250413_020000.sql.gz": "kept: newest of week 2025-W15",
                "db_20250228_020000.sql.gz": "kept: newest of month 2025-02",
                "db_20250227_020000.sql.gz": "removed: older than 7 days; not selected by keep_weekly 4, keep_monthly 4",
            ])
    }(),
    {
        // ISO week-numbering year: Mon 2025-12-29 belongs to 2026-W01, Sun 2025-12-28 to 2025-W52.
        let all = utc.daily("db", from: "2025-12-20", to: "2026-01-02")
        return PolicyCase(
            label: "ISO weeks across a year end", timeZone: utc.timeZone, policy: .init(keepWeekly: 3),
            artifacts: all, now: utc.at("2026-01-03"),
            kept: ["db_20260102_020000.sql.gz", "db_20251228_020000.sql.gz", "db_20251221_020000.sql.gz"],
            reasons: ["db_20260102_020000.sql.gz": "kept: newest verified backup of source db; newest of week 2026-W01",
                      "db_20251228_020000.sql.gz": "kept: newest of week 2025-W52",
                      "db_20251221_020000.sql.gz": "kept: newest of week 2025-W51"])
    }(),
    {
        // A clock gone wrong wrote artifacts in the future: kept and reported, and neither the window
        // nor keep_last counts from them.
        var all = utc.daily("db", from: "2025-04-01", to: "2025-04-10")
        all.append(utc.artifact("db", "2030-01-01 02:00"))
        all.append(utc.artifact("db", "2025-04-10 14:00", verified: false))
        return PolicyCase(
            label: "artifacts dated in the future", timeZone: utc.timeZone, policy: .init(keepDays: 3, keepLast: 2),
            artifacts: all, now: utc.at("2025-04-10 12:00"),
            kept: Set(["db_20300101_020000.sql.gz", "db_20250410_140000.sql.gz"])
                .union(utc.names("db", from: "2025-04-08", to: "2025-04-10")),
            reasons: ["db_20300101_020000.sql.gz": "kept: dated in the future",
                      "db_20250410_140000.sql.gz": "kept: dated in the future",
                      "db_20250410_020000.sql.gz": "kept: newest verified backup of source db; within 3 days; one of the last 2",
                      "db_20250409_020000.sql.gz": "kept: within 3 days; one of the last 2",
                      "db_20250407_020000.sql.gz": "removed: older than 3 days; not selected by keep_last 2"])
    }(),
    {
        // Nothing verified (manifests lost): nothing can be proven good, so nothing is removed.
        let all = utc.daily("db", from: "2025-01-01", to: "2025-04-10", verified: false)
        return PolicyCase(
            label: "no verified artifact keeps everything", timeZone: utc.timeZone, policy: .init(keepDays: 30),
            artifacts: all, now: utc.at("2025-04-10 12:00"),
            kept: Set(all.map(\.name)),
            reasons: ["db_20250101_020000.sql.gz": "kept: no verified backup of source db, nothing of it is removed"])
    }(),
    {
        // db_* and mms_* in one folder are judged separately: mms stopped 60 days ago and keeps its last month.
        let db = utc.daily("db", from: "2025-03-01", to: "2025-04-15")
        let mms = utc.daily("mms", from: "2025-01-01", to: "2025-02-14")
        return PolicyCase(
            label: "each source judged on its own", timeZone: utc.timeZone, policy: .init(keepDays: 30),
            artifacts: (db + mms).shuffled(), now: utc.at("2025-04-15 12:00"),
            kept: utc.names("db", from: "2025-03-17", to: "2025-04-15")
                .union(utc.names("mms", from: "2025-01-16", to: "2025-02-14")),
            reasons: ["mms_20250214_020000.sql.gz": "kept: newest verified backup of source mms; within 30 days",
                      "mms_20250115_020000.sql.gz": "removed: older than 30 days"])
    }(),
    {
        // Backups at 23:30 and 00:30 UTC fall on two UTC days but one Shanghai day.
        let all = [shanghai.artifact("db", "2025-04-02 08:30"), shanghai.artifact("db", "2025-04-02 07:30"),
                   shanghai.artifact("db", "2025-03-31 20:00")]
        return PolicyCase(
            label: "days counted in the host's time zone (Shanghai)", timeZone: shanghai.timeZone,
            policy: .init(keepDaily: 2), artifacts: all, now: shanghai.at("2025-04-02 12:00"),
            kept: ["db_20250402_083000.sql.gz", "db_20250331_200000.sql.gz"],
            reasons: ["db_20250402_073000.sql.gz": "removed: not selected by keep_daily 2",
                      "db_20250331_200000.sql.gz": "kept: newest of day 2025-03-31"])
    }(),
    {
        // The same three instants judged in UTC: two different days, so the 20:00 one goes instead.
        let all = [shanghai.artifact("db", "2025-04-02 08:30"), shanghai.artifact("db", "2025-04-02 07:30"),
                   shanghai.artifact("db", "2025-03-31 20:00")]
        return PolicyCase(
            label: "the same instants counted in UTC", timeZone: utc.timeZone,
            policy: .init(keepDaily: 2), artifacts: all, now: shanghai.at("2025-04-02 12:00"),
            kept: ["db_20250402_083000.sql.gz", "db_20250402_073000.sql.gz"],
            reasons: ["db_20250402_073000.sql.gz": "kept: newest of day 2025-04-01"])
    }(),
    {
        // Spring forward (Berlin, 2025-03-30): 30 calendar days back from 04-15 02:30 CEST is 03-16 02:30 CET,
        // 30 × 24 h back would be 01:30 CET and keep one artifact too many.
        let all = berlin.daily("db", from: "2025-03-01", to: "2025-04-15", at: "02:30")
        return PolicyCase(
            label: "DST spring forward, Europe/Berlin", timeZone: berlin.timeZone, policy: .init(keepDays: 30),
            artifacts: all, now: berlin.at("2025-04-15 12:00"),
            kept: berlin.names("db", from: "2025-03-17", to: "2025-04-15", at: "02:30"),
            reasons: ["db_20250316_023000.sql.gz": "removed: older than 30 days"])
    }(),
    {
        // Fall back (New York, 2025-11-02 has 25 hours): 19 calendar days back from 11-20 02:30 EST is
        // 11-01 02:30 EDT, so 11-01 03:00 EDT is inside; 19 × 24 h back would be 03:30 EDT and drop it.
        var all = newYork.daily("db", from: "2025-10-20", to: "2025-11-19", at: "03:00")
        all.append(newYork.artifact("db", "2025-11-20 02:30"))
        let repeated = newYork.at("2025-11-02 01:30")
        all.append(RetentionArtifact(name: "db_20251102_013000.sql.gz", source: "db", takenAt: repeated, verified: true))
        all.append(RetentionArtifact(name: "db_20251102_013000_b.sql.gz", source: "db",
                                     takenAt: repeated.addingTimeInterval(3600), verified: true))
        return PolicyCase(
            label: "DST fall back, America/New_York window", timeZone: newYork.timeZone,
            policy: .init(keepDays: 19), artifacts: all, now: newYork.at("2025-11-20 12:00"),
            kept: newYork.names("db", from: "2025-11-01", to: "2025-11-19", at: "03:00")
                .union(["db_20251120_023000.sql.gz", "db_20251102_013000.sql.gz", "db_20251102_013000_b.sql.gz"]),
            reasons: ["db_20251101_030000.sql.gz": "kept: within 19 days",
                      "db_20251031_030000.sql.gz": "removed: older than 19 days"])
    }(),
    {
        // The hour that happens twice belongs to one day: keep_daily keeps that day's 03:00 only.
        let repeated = newYork.at("2025-11-02 01:30")
        let all = [newYork.artifact("db", "2025-11-01 03:00"),
                   RetentionArtifact(name: "db_20251102_013000.sql.gz", source: "db", takenAt: repeated, verified: true),
                   RetentionArtifact(name: "db_20251102_013000_b.sql.gz", source: "db",
                                     takenAt: repeated.addingTimeInterval(3600), verified: true),
                   newYork.artifact("db", "2025-11-02 03:00"), newYork.artifact("db", "2025-11-03 03:00")]
        return PolicyCase(
            label: "DST fall back, America/New_York days", timeZone: newYork.timeZone,
            policy: .init(keepDaily: 2), artifacts: all, now: newYork.at("2025-11-03 12:00"),
            kept: ["db_20251103_030000.sql.gz", "db_20251102_030000.sql.gz"],
            reasons: ["db_20251102_013000_b.sql.gz": "removed: not selected by keep_daily 2",
                      "db_20251102_030000.sql.gz": "kept: newest of day 2025-11-02"])
    }(),
]

@Suite("Retention policy (pure)")
struct ApplyTests {
    @Test("timelines", arguments: policyCases)
    func timeline(_ c: PolicyCase) throws {
        try c.policy.validate()
        let decisions = apply(policy: c.policy, artifacts: c.artifacts, now: c.now, timeZone: c.timeZone)
        #expect(decisions.count == c.artifacts.count)
        #expect(Set(decisions.map(\.artifact)) == Set(c.artifacts), "every artifact gets exactly one decision")
        let kept = Set(decisions.filter(\.keep).map(\.artifact.name))
        #expect(kept.subtracting(c.kept).sorted() == [], "kept but should be removed")
        #expect(c.kept.subtracting(kept).sorted() == [], "removed but should be kept")
        let byName = Dictionary(uniqueKeysWithValues: decisions.map { ($0.artifact.name, $0) })
        for (name, reason) in c.reasons.sorted(by: { $0.key < $1.key }) {
            let decision = try #require(byName[name], "no artifact \(name) in the case")
            #expect(decision.reason == reason, "\(name)")
        }
        #expect(decisions.allSatisfy { !$0.reasons.isEmpty })
    }

    @Test("the result is the same whatever the input order")
    func orderIndependent() {
        let all = utc.daily("db", from: "2025-01-01", to: "2025-04-01") + utc.daily("mms", from: "2025-02-01", to: "2025-03-01")
        let policy = RetentionPolicy(keepDays: 10, keepWeekly: 3)
        let a = apply(policy: policy, artifacts: all, now: utc.at("2025-04-02"), timeZone: utc.timeZone)
        let b = apply(policy: policy, artifacts: all.reversed(), now: utc.at("2025-04-02"), timeZone: utc.timeZone)
        #expect(a == b)
        #expect(a.map(\.artifact.source) == a.map(\.artifact.source).sorted(), "grouped by source")
    }

    @Test("the newest verified artifact of every source survives any valid policy",
          arguments: [RetentionPolicy(keepDays: 1), .init(keepLast: 1), .init(keepDaily: 1),
                      .init(keepWeekly: 1), .init(keepMonthly: 1)])
    func newestVerifiedSurvives(_ policy: RetentionPolicy) {
        // The newest artifact is unverified; the newest verified one is a week older.
        var all = utc.daily("db", from: "2025-01-01", to: "2025-03-01")
        all.append(utc.artifact("db", "2025-03-08 02:00", verified: false))
        let decisions = apply(policy: policy, artifacts: all, now: utc.at("2025-06-01"), timeZone: utc.timeZone)
        let newestVerified = decisions.first { $0.artifact.name == "db_20250301_020000.sql.gz" }
        #expect(newestVerified?.keep == true)
        #expect(newestVerified?.reasons.contains(.newestVerified(source: "db")) == true)
    }

    @Test("period labels", arguments: [
        ("2025-04-03 12:00", "UTC", "2025-04-03", "2025-W14", "2025-04"),
        ("2025-12-29 00:00", "UTC", "2025-12-29", "2026-W01", "2025-12"),
        ("2027-01-01 10:00", "UTC", "2027-01-01", "2026-W53", "2027-01"),
        ("2025-03-30 03:30", "Europe/Berlin", "2025-03-30", "2025-W13", "2025-03"),
        ("2025-04-01 07:30", "Asia/Shanghai", "2025-04-01", "2025-W14", "2025-04"),
    ])
    func periodLabels(_ local: String, _ zone: String, _ day: String, _ week: String, _ month: String) {
        let timeline = Timeline(zone)
        let periods = PeriodCalendar(timeZone: timeline.timeZone)
        let date = timeline.at(local)
        #expect(periods.day(date) == day)
        #expect(periods.isoWeek(date) == week)
        #expect(periods.month(date) == month)
    }
}

@Suite("Retention policy validation")
struct PolicyTests {
    @Test("refused policies", arguments: [
        (RetentionPolicy(), "keeps nothing"),
        (RetentionPolicy(keepDays: 0, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0), "keeps nothing"),
        (RetentionPolicy(keepDays: -1), "keep_days must be 0 or more, not -1"),
        (RetentionPolicy(keepDays: 30, keepWeekly: -2), "keep_weekly must be 0 or more, not -2"),
    ])
    func refused(_ policy: RetentionPolicy, _ message: String) {
        let error = #expect(throws: RetentionError.self) { try policy.validate() }
        #expect(error?.code == .invalidPolicy)
        #expect(error?.description.contains(message) == true)
    }

    @Test("accepted policies", arguments: [
        (RetentionPolicy(keepDays: 30), "keep_days 30"),
        (RetentionPolicy(keepLast: 1), "keep_last 1"),
        (RetentionPolicy(keepDays: 0, keepMonthly: 12), "keep_monthly 12"),
        (RetentionPolicy(keepDays: 7, keepDaily: 14, keepWeekly: 8), "keep_days 7, keep_daily 14, keep_weekly 8"),
    ])
    func accepted(_ policy: RetentionPolicy, _ summary: String) throws {
        try policy.validate()
        #expect(policy.summary == summary)
    }

    @Test("which policy a prune uses", arguments: [
        (RetentionPolicy(), nil as RetentionConfig?, RetentionPolicy(keepDays: 30)),
        (RetentionPolicy(), RetentionConfig(), RetentionPolicy(keepDays: 30)),
        (RetentionPolicy(), RetentionConfig(keepDays: 14, keepMonthly: 6), RetentionPolicy(keepDays: 14, keepMonthly: 6)),
        (RetentionPolicy(keepLast: 5), RetentionConfig(keepDays: 14), RetentionPolicy(keepLast: 5)),
        (RetentionPolicy(keepDays: 0), nil, RetentionPolicy(keepDays: 0)),
    ])
    func resolve(_ commandLine: RetentionPolicy, _ config: RetentionConfig?, _ expected: RetentionPolicy) {
        #expect(RetentionPolicy.resolve(commandLine: commandLine, configuration: config) == expected)
    }
}
