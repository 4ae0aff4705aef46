import Artifacts
@testable import BackupJobs
import Foundation
import Testing
import TestSupport
import VaultopsCore

@Suite("status file and status report")
struct StatusTests {
    @Test("trend: sparkline of the recent sizes and the last change", arguments: [
        ([Int64](), ""),
        ([100], "▄"),
        ([100, 100], "▄▄ ±0%"),
        ([100, 110], "▁█ +10%"),
        ([200, 100], "█▁ -50%"),
        ([100, 150, 200, 250, 300, 350, 400, 450], "▁▂▃▄▅▆▇█ +13%"),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "▁▂▃▄▅▆▇█ +11%"),
    ])
    func trend(sizes: [Int64], expected: String) {
        #expect(StatusReport.trend(sizes) == expected)
    }

    @Test("age text", arguments: [
        (0.0, "0s"), (59.0, "59s"), (60.0, "1m"), (3599.0, "59m"), (3600.0, "1h00m"), (11100.0, "3h05m"),
        (86400.0, "1d00h"), (187259.0, "2d04h"), (-5.0, "0s"),
    ] as [(Double, String)])
    func age(seconds: Double, expected: String) {
        #expect(StatusReport.age(seconds) == expected)
    }

    @Test("merge carries the last success of a failed source forward and keeps a bounded history")
    func merge() throws {
        var previous = sampleStatus()
        for _ in 0..<40 { previous = previous.merge(previous: previous) }
        let mms = try #require(previous.source(named: "mms"))
        #expect(mms.history.count == RunStatus.historyLimit)

        // Tonight mms fails: its last success stays the earlier one.
        var tonight = sampleStatus(finishedAt: t0.addingTimeInterval(86400 + 90))
        tonight.sources[1].backedUp = false
        tonight.sources[1].succeeded = false
        tonight.sources[1].artifact = nil
        tonight.sources[1].error = "disk full"
        tonight.sources[1].lastSuccess = nil
        tonight.sources[1].history = []
        let merged = tonight.merge(previous: previous)
        let now = try #require(merged.source(named: "mms"))
        #expect(now.lastSuccess?.artifact == "mms_20260115.db.gz")
        #expect(now.lastSuccess?.uploaded == true)
        #expect(now.history.count == RunStatus.historyLimit)
        #expect(now.history.last?.ok == false)
        #expect(now.history.last?.sizeBytes == nil)
        // db never succeeded.
        #expect(merged.source(named: "db")?.lastSuccess == nil)
    }

    @Test("the status file round-trips, is replaced atomically and has snake_case keys with UTC times")
    func fileRoundTrip() throws {
        let dir = try TempDir("status-file")
        let url = RunStatus.fileURL(backupDir: dir.path)
        #expect(try RunStatus.load(from: url) == nil)
        let status = sampleStatus()
        try status.write(to: url)
        #expect(try RunStatus.load(from: url) == status)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("\"last_success\""))
        #expect(text.contains("\"started_at\" : \"2026-01-15T02:00:00Z\""))
        var second = status
        second.exitCode = 0
        try second.write(to: url)
        #expect(try RunStatus.load(from: url)?.exitCode == 0)
        // No temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [RunStatus.fileName])

        try Data("{not json".utf8).write(to: url)
        #expect(throws: ArtifactError.self) { try RunStatus.load(from: url) }
    }

    @Test("rows: stale after 26 hours, never-backed-up sources stale, uploaded only with OSS configured")
    func rows() throws {
        let status = sampleStatus()
        let config = Config(file: "v.yml", backupDir: "/b", sources: [
            SourceConfig(name: "db", target: .postgres(connection: "postgresql://app@db/app")),
            SourceConfig(name: "mms", target: .sqlite(path: "/data/mms.db")),
            SourceConfig(name: "new", target: .sqlite(path: "/data/new.db")),
        ], oss: OSSConfig(bucket: "b"))
        let fresh = StatusReport.rows(config: config, status: status, localManifests: [], now: t0.addingTimeInterval(3600))
        #expect(fresh.map(\.name) == ["db", "mms", "new"])
        #expect(fresh.map(\.stale) == [true, false, true])
        #expect(fresh[0].lastRunOK == false)
        #expect(fresh[0].lastError?.contains("password authentication failed") == true)
        #expect(fresh[1].uploaded == true)
        #expect(fresh[1].verified == true)
        #expect(fresh[1].sizeBytes == 2048)
        let later = StatusReport.rows(config: config, status: status, localManifests: [], now: t0.addingTimeInterval(27 * 3600))
        #expect(later[1].stale)
        let noOSS = StatusReport.rows(config: Config(file: "v.yml", backupDir: "/b", sources: config.sources), status: status,
                                      localManifests: [], now: t0)
        #expect(noOSS[1].uploaded == nil)

        let table = StatusReport.table(fresh, status: status, timeZone: TimeZone(identifier: "UTC")!, now: t0.addingTimeInterval(3600))
        #expect(table.contains("STALE (no backup)"))
        #expect(table.contains("mms     sqlite    2026-01-15 02:00"))
        #expect(table.contains("Stale (no good copy within the source's schedule): db (daily: none in the last 1d02h), new (daily: none in the last 1d02h)"), "\(table)")
    }

    @Test("rows fall back to the newest local manifest for a source the status file does not know")
    func manifestFallback() throws {
        let older = Manifest(kind: .sqlite, source: "/data/new.db", createdAt: t0.addingTimeInterval(-86400), artifact: "new_20260114.db.gz",
                             sizeBytes: 100, sha256: String(repeating: "b", count: 64), uncompressedBytes: 400, durationSeconds: 1)
        var newer = older
        newer.createdAt = t0
        newer.artifact = "new_20260115.db.gz"
        newer.sizeBytes = 150
        let config = Config(file: "v.yml", backupDir: "/b", sources: [SourceConfig(name: "new", target: .sqlite(path: "/data/new.db"))])
        let rows = StatusReport.rows(config: config, status: nil, localManifests: [newer, older], now: t0.addingTimeInterval(60))
        #expect(rows[0].from == "manifest")
        #expect(rows[0].lastArtifact == "new_20260115.db.gz")
        #expect(rows[0].sizeHistory == [100, 150])
        #expect(!rows[0].stale)
    }
}
