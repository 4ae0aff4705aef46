import Artifacts
import BackupJobs
import Foundation
import Storage
import Testing
import VaultopsCore

@Suite("backups: the catalog of local and OSS artifacts (pure merge)")
struct BackupCatalogTests {
    func entry(_ name: String, _ size: Int64 = 10) -> StorageEntry { StorageEntry(name: name, size: size, modified: nil) }

    @Test("merged by name, with place, encryption, manifest and the run's verified and drilled states")
    func merge() throws {
        let local = ["db_20250102.sql.gz", "db_20250102.sql.gz.manifest.json", "db_20250103.sql.gz", "mms_20250101.db.gz.age",
                     "mms_20250101.db.gz.partial", ".vaultops-status.json"].map { entry($0) }
        var remote = ["db_20250101.sql.gz", "db_20250101.sql.gz.manifest.json", "db_20250102.sql.gz",
                      "db_20250102.sql.gz.manifest.json"].map { entry($0) }
        remote[0].storageClass = "Archive"
        remote[2].storageClass = "Standard"
        var db = SourceStatus(name: "db", kind: "postgres", target: "t", backedUp: true, succeeded: true, artifact: "db_20250103.sql.gz",
                              sizeBytes: 10, sha256: nil, createdAt: nil, durationSeconds: 1, verified: true, verification: [],
                              upload: nil, error: nil,
                              history: [HistoryPoint(at: Date(), sizeBytes: 10, ok: true, artifact: "db_20250102.sql.gz",
                                                     verified: true, drilled: true),
                                        HistoryPoint(at: Date(), sizeBytes: 10, ok: true)])
        db.drill = nil
        let status = RunStatus(host: "h", configFile: "c", startedAt: Date(), finishedAt: Date(), exitCode: 0, dryRun: false,
                               sources: [db], prunes: [], errors: [])
        let entries = BackupCatalog.merge(local: local, remote: remote, status: status, timeZone: TimeZone(identifier: "UTC")!)
        #expect(entries.map(\.name) == ["db_20250101.sql.gz", "db_20250102.sql.gz", "db_20250103.sql.gz", "mms_20250101.db.gz.age"])
        #expect(entries.map(\.place) == [.oss, .both, .local, .local])
        #expect(entries.map(\.verified) == [false, true, true, false])
        #expect(entries.map(\.drilled) == [false, true, false, false])
        #expect(entries.map(\.hasManifest) == [true, true, false, false])
        #expect(entries.map(\.encrypted) == [false, false, false, true])
        // The OSS copy's storage class (an Archive one must be restored before it can be read); nil when only local.
        #expect(entries.map(\.storageClass) == ["Archive", "Standard", nil, nil])
        let report = BackupCatalogReport(entries: entries, problems: [])
        #expect(report.json().contains("\"storage_class\" : \"Archive\""))
        #expect(report.text.split(separator: "\n")[0].hasSuffix("db_20250101.sql.gz  Archive"))
        #expect(entries[0].time == ISO8601DateFormatter().date(from: "2025-01-01T00:00:00Z"))
    }

    @Test("a run records the artifact, verified and drilled in its history point")
    func historyRecordsArtifact() throws {
        var source = SourceStatus(name: "db", kind: "postgres", target: "t", backedUp: true, succeeded: true,
                                  artifact: "db_20250103.sql.gz", sizeBytes: 10, sha256: nil, createdAt: nil, durationSeconds: 1,
                                  verified: true, verification: [], upload: nil, error: nil)
        source.drill = DrillStatus(target: "scratch", ok: true, durationSeconds: 1)
        let status = RunStatus(host: "h", configFile: "c", startedAt: Date(), finishedAt: Date(), exitCode: 0, dryRun: false,
                               sources: [source], prunes: [], errors: []).merge(previous: nil)
        let point = try #require(status.sources[0].history.last)
        #expect(point.artifact == "db_20250103.sql.gz")
        #expect(point.verified == true)
        #expect(point.drilled == true)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try status.write(to: file)
        let loaded = try #require(try RunStatus.load(from: file)?.sources[0].history.last)
        #expect(loaded.artifact == "db_20250103.sql.gz" && loaded.verified == true && loaded.drilled == true)
    }
}
