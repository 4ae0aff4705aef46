import BackupJobs
import Foundation
import ObjectStorage
import Testing
import TestSupport
import VaultopsCore

@Suite("run: a mirror-only source (archive: false) mirrors without a tar (emulator)")
struct MirrorOnlyRunTests {
    @Test("no artifact is written; status and metrics judge it by its mirror, with no missing-backup alarm")
    func mirrorOnly() throws {
        let bucket = try OSSEmulator.freshBucket("mirroronly")
        let dir = try TempDir("run-mirror-only")
        try FileManager.default.createDirectory(at: dir.file("uploads/2026"), withIntermediateDirectories: true)
        try Data("photo".utf8).write(to: dir.file("uploads/2026/p.jpg"))
        try FileManager.default.createDirectory(at: dir.file("uploads/tmp"), withIntermediateDirectories: true)
        try Data("scratch".utf8).write(to: dir.file("uploads/tmp/t.bin"))
        try Data("log".utf8).write(to: dir.file("uploads/2026/upload.log"))
        let config = try MirrorRunTests.config(dir, """
            backup_dir: backups
            sources:
              - name: uploads
                files: uploads
                mirror: oss://\(bucket)/uploads/
                archive: false
                exclude: ["*.log", tmp/]
            metrics:
              textfile: metrics/vaultops.prom
            """)
        let lines = MirrorLines()
        let outcome = try RunJob.run(config: config, environment: try MirrorRunTests.environment(), log: { lines.add($0) })
        #expect(outcome.exitCode == .success, "\(outcome.sources.map { $0.error ?? "" })")
        #expect(lines.all.contains("source uploads: mirror: excluded 2 files (exclude:)"), "\(lines.all)")
        let source = outcome.sources[0]
        #expect(source.artifact == nil && source.mirrorOnly && source.copied)
        #expect(source.mirror?.ok == true && source.mirror?.sent == 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("backups").path).filter { !$0.hasPrefix(".") }
        #expect(files.isEmpty, "no tar for a mirror-only source: \(files)")
        #expect(try OSSEmulator.client().getObject(bucket: bucket, key: "uploads/2026/p.jpg") == Data("photo".utf8))
        // exclude: applies to the mirror too.
        #expect(try OSSEmulator.client().listObjects(bucket: bucket, prefix: "uploads/").map(\.key) == ["uploads/2026/p.jpg"])

        let status = try #require(outcome.status)
        let entry = try #require(status.source(named: "uploads"))
        #expect(entry.mirrorOnly == true && entry.lastMirrorSuccess != nil && entry.history.isEmpty)
        let rows = StatusReport.rows(config: config, status: status, localManifests: [], now: Date())
        #expect(!rows[0].stale && rows[0].mirrorOnly && rows[0].lastBackup == entry.lastMirrorSuccess)
        let table = StatusReport.table(rows, status: status, timeZone: .current, now: Date())
        #expect(!table.contains("STALE"), "\(table)")
        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        #expect(!metrics.contains("vaultops_source_last_backup_success_timestamp_seconds{source=\"uploads\"}"), "\(metrics)")
        #expect(!metrics.contains("vaultops_source_verified{source=\"uploads\"}"))
        #expect(metrics.contains("vaultops_source_mirror_success{source=\"uploads\"} 1\n"))
        #expect(metrics.contains("vaultops_source_last_mirror_success_timestamp_seconds{source=\"uploads\"} "))
        #expect(metrics.contains("vaultops_run_exit_code 0\n"))
    }

    @Test("a failed mirror fails the run, reaches the webhook and the metrics")
    func mirrorOnlyFailure() throws {
        let dir = try TempDir("run-mirror-only-fail")
        try FileManager.default.createDirectory(at: dir.file("uploads"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: dir.file("uploads/x.txt"))
        let listener = try WebhookListener()
        let config = try MirrorRunTests.config(dir, """
            backup_dir: backups
            sources:
              - name: uploads
                files: uploads
                mirror: oss://no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())/u/
                archive: false
            notify:
              webhook: \(listener.url)
            metrics:
              textfile: metrics/vaultops.prom
            """)
        let outcome = try RunJob.run(config: config, environment: try MirrorRunTests.environment(), log: { _ in })
        #expect(outcome.exitCode == .failure, "nothing was copied")
        #expect(outcome.sources[0].error?.contains("NoSuchBucket") == true, "\(outcome.sources[0].error ?? "")")
        let bodies = try listener.bodies()
        try #require(bodies.count == 1)
        #expect(bodies[0].contains("uploads") && bodies[0].contains("NoSuchBucket"), "\(bodies[0])")
        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        #expect(metrics.contains("vaultops_source_mirror_success{source=\"uploads\"} 0\n"), "\(metrics)")
        #expect(metrics.contains("vaultops_source_last_mirror_success_timestamp_seconds{source=\"uploads\"} 0\n"))
        #expect(metrics.contains("vaultops_source_last_run_success{source=\"uploads\"} 0\n"))
    }
}

/// The run's log lines, collected from its threads.
// Safety: every access to `lines` holds `lock`.
private final class MirrorLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
