import Foundation
import Testing
import TestSupport
@testable import Retention

/// Compares `actual` with the golden file `name` in `Fixtures/retention/`; `VAULTOPS_RECORD_GOLDEN=1` rewrites it first.
private func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let expected = try Golden.expected(actual, at: "Fixtures/retention/" + name)
    #expect(actual == expected, "\(Golden.differs(name))", sourceLocation: sourceLocation)
}

@Suite("Prune report golden files")
struct GoldenTests {
    /// A Shanghai host's folder: daily dumps with a gap, two on one day, a source that stopped, an unverified
    /// source, a size mismatch, a future date, leftovers and files that are not backups.
    private func dryRun() throws -> PruneReport {
        let shanghai = Timeline("Asia/Shanghai")
        let now = shanghai.at("2025-04-15 12:00")
        let folder = try BackupFolder()
        for artifact in shanghai.daily("db", from: "2025-03-25", to: "2025-04-15", skipping: ["2025-04-01", "2025-04-02"]) {
            let day = String(artifact.name.dropFirst(3).prefix(8))
            try folder.backup("db_\(day).sql.gz", bytes: 2048 + Int(day)! % 97,
                              createdAt: artifact.takenAt, manifestSize: day == "20250412" ? 9999 : nil)
        }
        try folder.backup("db_20250415_093000.sql.gz", bytes: 2100, createdAt: shanghai.at("2025-04-15 09:30"))
        for artifact in shanghai.daily("mms", from: "2025-02-20", to: "2025-03-01", at: "03:00") {
            let day = String(artifact.name.dropFirst(4).prefix(8))
            try folder.backup("mms_\(day).db.gz", bytes: 1_500_000, createdAt: artifact.takenAt)
        }
        try folder.backup("uploads_20250301.tar.gz", bytes: 300, createdAt: nil, manifest: false)
        try folder.backup("uploads_20250414.tar.gz", bytes: 310, createdAt: nil, manifest: false)
        try folder.backup("db_20300101.sql.gz", bytes: 10, createdAt: shanghai.at("2030-01-01 02:00"))
        try folder.file("db_20250302.sql.gz.manifest.json", #"{"byte_size": 2048}"#, modified: shanghai.at("2025-04-13 02:01"))
        try folder.file("db_20250415_110000.sql.gz.partial", "in progress", modified: now.addingTimeInterval(-1800))
        try folder.file("db_20250401.sql.gz.partial", "abandoned", modified: now.addingTimeInterval(-14 * 86_400))
        try folder.file("notes.txt", "hello", modified: shanghai.at("2025-01-01 00:00"))
        try folder.file("db_latest.sql.gz", "not ours")
        try folder.file("db_20251341.sql.gz", "no such date")
        try folder.folder("old")
        var report = try Pruner.run(store: folder.store, policy: .init(keepDays: 7, keepWeekly: 4), now: now,
                                    timeZone: shanghai.timeZone, dryRun: true)
        // The temporary folder's path changes every run; the golden file shows a fixed one.
        report.location = "/opt/emaintenance/backups"
        return report
    }

    @Test("dry-run table")
    func table() throws {
        try expectGolden(try dryRun().text, "prune-dry-run.txt")
    }

    @Test("dry-run JSON")
    func json() throws {
        let text = try dryRun().json()
        try expectGolden(text, "prune-dry-run.json")
        // The machine form is valid JSON with one entry per artifact.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((object["artifacts"] as? [Any])?.count == 34)
        #expect(object["dry_run"] as? Bool == true)
    }
}
