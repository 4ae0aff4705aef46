import BackupJobs
import Foundation
import Testing
import TestSupport
import VaultopsCore

/// 02:00 in Asia/Shanghai on `yyyy-mm-dd` (18:00 UTC the day before: the schedule must follow `timezone:`).
private func night(_ text: String) -> Date {
    let parts = text.split(separator: "-").map { Int($0)! }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
    return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: 2))!
}

/// The run's log lines, collected from its threads.
// Safety: every access to `lines` holds `lock`.
private final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

@Suite("run: per-source schedule (injected clock)")
struct ScheduledRunTests {
    static func setUp(_ dir: TempDir) throws -> Config {
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.file("uploads"), withIntermediateDirectories: true)
        try Data("photo".utf8).write(to: dir.file("uploads/p.jpg"))
        try Data("A=1\n".utf8).write(to: dir.file("app.env"))
        return try ConfigLoader.parse(yaml: """
            backup_dir: backups
            timezone: Asia/Shanghai
            sources:
              - name: env
                files: app.env
              - name: uploads
                files: uploads
                schedule: { weekly: sunday }
            metrics:
              textfile: metrics/vaultops.prom
            """, file: dir.file("vaultops.yml").path, baseDirectory: dir.url)
    }

    @Test("a weekly source runs on its day only; on the other days it is logged and recorded as not due, not stale")
    func weekly() throws {
        let dir = try TempDir("sched-weekly")
        let config = try Self.setUp(dir)
        let sunday = night("2026-12-06"), monday = night("2026-12-07"), wednesday = night("2026-12-09")
        // Sunday: both run.
        var outcome = try RunJob.run(config: config, now: { sunday }, log: { _ in })
        #expect(outcome.exitCode == .success)
        #expect(outcome.sources.map(\.backedUp) == [true, true])
        let weeklyArtifact = try #require(outcome.sources[1].artifact?.lastPathComponent)
        #expect(weeklyArtifact == "uploads_20261206.tar.gz")

        // Monday: the weekly source is skipped; its last backup stands in the status file.
        let lines = Lines()
        outcome = try RunJob.run(config: config, now: { monday }, log: { lines.add($0) })
        #expect(outcome.exitCode == .success)
        #expect(outcome.sources.map(\.skipped) == [nil, "not due today (weekly: sunday)"])
        #expect(outcome.sources[1].artifact == nil)
        #expect(lines.all.contains("source uploads: skipped: not due today (weekly: sunday)"), "\(lines.all)")
        #expect(RunLogLevel(line: "source uploads: skipped: not due today (weekly: sunday)") == .info)
        let status = try #require(try RunStatus.load(from: RunStatus.fileURL(backupDir: dir.file("backups").path)))
        let entry = try #require(status.source(named: "uploads"))
        #expect(entry.skipped == "not due today (weekly: sunday)")
        #expect(entry.lastSuccess?.artifact == weeklyArtifact)
        #expect(entry.succeeded && entry.history.count == 1, "a skipped night adds no history point")
        #expect(entry.schedule == "weekly: sunday" && entry.staleAfterSeconds == 7 * 86400 + 7200)
        let artifacts = try FileManager.default.contentsOfDirectory(atPath: dir.file("backups").path).filter { $0.hasSuffix(".tar.gz") }
        #expect(artifacts.sorted() == ["env_20261206.tar.gz", "env_20261207.tar.gz", "uploads_20261206.tar.gz"])

        // Status on Wednesday: the daily source's last backup (Monday) is stale, the weekly one (Sunday) is not.
        let rows = StatusReport.rows(config: config, status: status, localManifests: [], now: wednesday)
        #expect(rows.map(\.stale) == [true, false])
        #expect(rows[1].schedule == "weekly: sunday" && rows[1].skipped != nil)
        let table = StatusReport.table(rows, status: status, timeZone: config.effectiveTimeZone, now: wednesday)
        #expect(table.contains("Stale (no good copy within the source's schedule): env (daily: none in the last 1d02h)"), "\(table)")
        // Nine days after Sunday the weekly one is stale too.
        #expect(StatusReport.rows(config: config, status: status, localManifests: [], now: sunday.addingTimeInterval(9 * 86400))[1].stale)

        // The metrics carry the allowance, so one alert rule fits every schedule.
        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        #expect(metrics.contains("vaultops_source_stale_after_seconds{source=\"uploads\"} 612000\n"), "\(metrics)")
        #expect(metrics.contains("vaultops_source_not_due{source=\"uploads\"} 1\n"))
        #expect(metrics.contains("vaultops_source_last_backup_success_timestamp_seconds{source=\"uploads\"} \(Int(sunday.timeIntervalSince1970))\n"))
    }

    @Test("a failure of a weekly source stays in the status until it runs again")
    func failureCarried() throws {
        let dir = try TempDir("sched-carry")
        let config = try Self.setUp(dir)
        try FileManager.default.removeItem(at: dir.file("uploads"))
        var outcome = try RunJob.run(config: config, now: { night("2026-12-06") }, log: { _ in })
        #expect(outcome.exitCode == .partial)
        outcome = try RunJob.run(config: config, now: { night("2026-12-07") }, log: { _ in })
        #expect(outcome.exitCode == .success, "tonight nothing failed")
        let status = try #require(outcome.status)
        #expect(status.source(named: "uploads")?.succeeded == false)
        #expect(status.source(named: "uploads")?.error?.contains("no such file or folder") == true)
    }

    @Test("selection: --source and --all-sources run sources whatever their schedule")
    func selection() throws {
        let dir = try TempDir("sched-select")
        let config = try Self.setUp(dir)
        let monday = night("2026-12-07")
        var outcome = try RunJob.run(config: config, selection: .named(["uploads"]), now: { monday }, log: { _ in })
        #expect(outcome.sources.map(\.skipped) == ["not selected (run --source uploads)", nil])
        #expect(outcome.sources[1].backedUp)
        outcome = try RunJob.run(config: config, selection: .all, now: { monday }, log: { _ in })
        #expect(outcome.sources.allSatisfy { $0.skipped == nil && $0.backedUp })
    }

    @Test("skipReason is a pure function of the source, the day and the selection", arguments: [
        (SourceSelection.due, "2026-12-31", nil as String?),
        (.due, "2026-12-07", "not due today (monthly: 31)" as String?),
        (.due, "2026-11-30", nil),
        (.all, "2026-12-07", nil),
        (.named(["db", "other"]), "2026-12-07", "not selected (run --source db,other)"),
    ])
    func skipReason(selection: SourceSelection, date: String, reason: String?) {
        var source = SourceConfig(name: "x", target: .files(paths: ["/x"]))
        source.schedule = .monthly(day: 31)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        #expect(selection.skipReason(for: source, on: night(date), calendar: calendar) == reason)
    }
}
