import BackupJobs
import Foundation
import Replication
import SQLite
import Storage
import Testing
import TestSupport
import VaultopsCore

/// A WAL database with table t and a replica of it in `dir/backups` (two passes: segments 0 and 1).
private func makeReplica(in dir: TempDir) throws -> (database: URL, generation: String) {
    let database = dir.file("app.db")
    let app = try Connection(path: database.path)
    _ = try app.query("PRAGMA journal_mode=WAL")
    try app.execute("CREATE TABLE t(n INTEGER PRIMARY KEY)")
    let replicator = Replicator(database: database, source: "app", backend: LocalFolderBackend(path: dir.file("backups").path),
                                workFolder: dir.url)
    defer { replicator.close() }
    try replicator.pass()
    try app.execute("INSERT INTO t VALUES (1), (2), (3)")
    try replicator.pass()
    return (database, try #require(replicator.generation))
}

private func config(_ dir: TempDir, database: URL, extra: String = "") throws -> Config {
    try ConfigLoader.parse(yaml: """
        backup_dir: \(dir.file("backups").path)
        \(extra)
        sources:
          - name: app
            sqlite: \(database.path)
            replicate: { keep: 3d, alert_lag: 2m }
          - name: plain
            sqlite: \(dir.file("plain.db").path)
        """, file: "v.yml", baseDirectory: dir.url)
}

@Suite("replication in status, metrics, alerts, prune and backups", .serialized)
struct ReplicationReportTests {
    func state(_ source: String, lag: Double, stopped: Bool = false, shipped: Date? = Date(timeIntervalSince1970: 1_700_000_000))
        -> ReplicaState {
        ReplicaState(source: source, pid: 7, host: "h", startedAt: Date(timeIntervalSince1970: 1_699_990_000),
                     heartbeat: Date(timeIntervalSince1970: 1_700_000_005), heartbeatEverySeconds: 5, generation: "g",
                     lastShippedCommit: shipped, pendingSince: nil, lagSeconds: lag, alertLagSeconds: 60, alerting: false, stopped: stopped)
    }

    @Test func metricsOfTheReplicator() {
        let text = MetricsTextfile.renderReplication([state("app", lag: 1.5), state("shop", lag: 0, stopped: true, shipped: nil)])
        let expected = [
            "# TYPE vaultops_replication_lag_seconds gauge",
            "vaultops_replication_lag_seconds{source=\"app\"} 1.500",
            "vaultops_replication_running{source=\"app\"} 1",
            "vaultops_replication_running{source=\"shop\"} 0",
            "vaultops_replication_heartbeat_timestamp_seconds{source=\"app\"} 1700000005",
            "vaultops_replication_last_shipped_commit_timestamp_seconds{source=\"app\"} 1700000000",
            "vaultops_replication_last_shipped_commit_timestamp_seconds{source=\"shop\"} 0",
            "vaultops_replication_alert_lag_seconds{source=\"app\"} 60.000",
        ]
        for line in expected { #expect(text.contains(line + "\n"), "\(line)\n\(text)") }
        #expect(MetricsTextfile.replicationPath(for: "/var/lib/node/vaultops.prom") == "/var/lib/node/vaultops-replication.prom")
        #expect(MetricsTextfile.renderReplication([]).isEmpty)
    }

    /// The nightly textfile: the replicators as the run saw them, and one prune series per replica (no duplicate
    /// series, which would make node_exporter drop the whole file; no "0 artifacts kept" for a replica).
    @Test func theRunsMetricsOfReplicatorsAndReplicaPrunes() {
        let now = Date(timeIntervalSince1970: 1_700_000_010)
        var status = RunStatus(host: "h", configFile: "c", startedAt: now, finishedAt: now, exitCode: 5, dryRun: false, sources: [],
                               prunes: [PruneStatus(store: "local", location: "/b/", ok: true, summary: "s"),
                                        PruneStatus(store: "replica:app", location: "/b/replica/app/", ok: true, summary: "s"),
                                        PruneStatus(store: "replica:shop", location: "/b/replica/shop/", ok: false, summary: "s")],
                               errors: [])
        status.replicators = [
            ReplicatorHealth.judge(source: "app", state: state("app", lag: 0), alertLag: 60, now: now, host: "h", isAlive: { _ in true }),
            ReplicatorHealth.judge(source: "shop", state: nil, alertLag: 60, now: now),
        ]
        let text = MetricsTextfile.render(status)
        #expect(text.contains("vaultops_source_replicator_running{source=\"app\"} 1\n"), "\(text)")
        #expect(text.contains("vaultops_source_replicator_running{source=\"shop\"} 0\n"))
        #expect(text.contains("vaultops_source_replication_lag_seconds{source=\"app\"} 0.000\n"))
        #expect(!text.contains("vaultops_source_replication_lag_seconds{source=\"shop\"}"))
        #expect(text.contains("vaultops_prune_success{location=\"replica:app\"} 1\n") && text.contains("vaultops_prune_success{location=\"replica:shop\"} 0\n"))
        let series = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").dropLast().joined(separator: " ") }
        #expect(Set(series).count == series.count, "\(series)")
    }

    /// The replicator's alert goes through the configured webhook (a real HTTP listener), token never in the log.
    @Test func lagAlertsReachTheWebhook() throws {
        let listener = try WebhookListener()
        let dir = try TempDir("repl-alert")
        let loaded = try config(dir, database: dir.file("app.db"), extra: "notify:\n  webhook: \(listener.url)\n  kind: dingtalk")
        let lines = LinesBox()
        let log: @Sendable (String) -> Void = { lines.append($0) }
        let made = ReplicationReport.monitoring(config: loaded, log: log)
        let monitoring = try #require(made)
        #expect(monitoring.stateDir == dir.file("backups").path)
        let alert = ReplicationAlert(event: .lagging, source: "app", host: "web-1", lagSeconds: 130, thresholdSeconds: 120,
                                     generation: "g1", lastShippedCommit: nil)
        monitoring.alert?(alert)
        monitoring.alert?(ReplicationAlert(event: .recovered, source: "app", host: "web-1", lagSeconds: 0, thresholdSeconds: 120))
        var bodies: [String] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, bodies.count < 2 {
            Thread.sleep(forTimeInterval: 0.1)
            bodies = try listener.bodies()
        }
        #expect(bodies.count == 2)
        #expect(bodies.first?.contains("replication of app is 2m10s behind (alert_lag 2m00s)") == true, "\(bodies)")
        #expect(bodies.last?.contains("replication of app caught up") == true, "\(bodies)")
        #expect(!lines.all.joined().contains("s3cr3t-robot-token"))

        let generic = String(decoding: NotificationMessage.body(kind: .generic, alert: alert), as: UTF8.self)
        #expect(generic.contains("\"event\":\"replication\"") && generic.contains("\"status\":\"lagging\"")
                && generic.contains("\"lag_seconds\":130"), "\(generic)")
    }

    @Test func statusHealthAndLines() throws {
        let dir = try TempDir("repl-status")
        let loaded = try config(dir, database: dir.file("app.db"))
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let now = Date()
        var health = ReplicationReport.health(config: loaded, now: now)
        #expect(health.map(\.source) == ["app"] && health[0].state == "never started" && health[0].alertLagSeconds == 120)
        let running = ReplicaState(source: "app", pid: getpid(), host: ProcessInfo.processInfo.hostName, startedAt: now,
                                   heartbeat: now, heartbeatEverySeconds: 5, generation: "g7", lastShippedCommit: now,
                                   pendingSince: nil, lagSeconds: 0, alertLagSeconds: 120, alerting: false, stopped: false)
        try running.write(to: ReplicaState.fileURL(stateDir: dir.file("backups").path, source: "app"))
        health = ReplicationReport.health(config: loaded, now: now.addingTimeInterval(2))
        #expect(health[0].running && health[0].lagSeconds == 0)
        let lines = ReplicationReport.statusLines(health, timeZone: TimeZone(identifier: "UTC")!)
        #expect(lines.contains { $0.hasPrefix("  app  ok  running (pid \(getpid())), lag 0s") && $0.contains("generation g7") }, "\(lines)")
        #expect(ReplicationReport.notRunningErrors(health).isEmpty)
        // Its pid gone: the nightly run reports it.
        var dead = running
        dead.pid = 999_999_999
        try dead.write(to: ReplicaState.fileURL(stateDir: dir.file("backups").path, source: "app"))
        let errors = ReplicationReport.notRunningErrors(ReplicationReport.health(config: loaded, now: now.addingTimeInterval(2)))
        #expect(errors.count == 1 && errors[0].contains("not running: pid 999999999 is gone"), "\(errors)")
    }

    @Test func backupsListsTheReplicaRangeAndPruneKeepsTheNewest() throws {
        let dir = try TempDir("repl-catalog")
        let (database, generation) = try makeReplica(in: dir)
        let loaded = try config(dir, database: database)
        let report = try BackupCatalog.list(config: loaded, source: "app", settings: OSSSettings(config: loaded, environment: [:]))
        #expect(report.problems.isEmpty)
        #expect(report.replicas.count == 1 && report.replicas[0].range.generation == generation && report.replicas[0].range.segments == 2)
        #expect(report.replicas[0].place == "local")
        #expect(report.text.contains("replica/app/\(generation)/  commits "), "\(report.text)")
        #expect(report.text.contains(", 2 segments"))
        #expect(try BackupCatalog.list(config: loaded, source: "plain", settings: OSSSettings(config: loaded, environment: [:])).replicas.isEmpty)

        // One generation only: never removed, whatever its age.
        let results = ReplicationReport.prune(config: loaded, backend: LocalFolderBackend(path: dir.file("backups").path), dryRun: false,
                                              now: Date().addingTimeInterval(365 * 86_400))
        #expect(results.count == 1 && results[0].removed.isEmpty && results[0].error == nil)
        #expect(results[0].summary(dryRun: false) == "no generation past keep 3d")
    }
}
