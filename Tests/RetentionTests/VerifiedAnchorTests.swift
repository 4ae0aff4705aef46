import Foundation
import Testing
import TestSupport
import VaultopsCore
@testable import Retention
import Storage

private let utc = Timeline("UTC")
private let now = utc.at("2025-04-15 12:00")

/// Writes `name` with real content and a manifest holding its real SHA-256 (computed by `sha256sum`).
private func realBackup(_ folder: BackupFolder, _ name: String, createdAt: Date) throws {
    let url = folder.dir.file(name)
    try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ name.utf8.count) } + Array(name.utf8)).write(to: url)
    let r = try runProcess("sha256sum", [url.path])
    let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
    let manifest = Manifest(kind: .postgres, source: "postgres://app@db/app", createdAt: createdAt, artifact: name,
                            sizeBytes: Int64(size), sha256: String(r.stdout.prefix(64)), uncompressedBytes: Int64(size) * 3,
                            durationSeconds: 1)
    try manifest.encoded().write(to: folder.dir.file(name + ".manifest.json"))
}

/// Flips one bit in the middle of a file: same size, different content.
private func flipBit(_ url: URL) throws {
    var data = try Data(contentsOf: url)
    data[data.count / 2] ^= 0x01
    try data.write(to: url)
}

@Suite("Prune trusts only content that checks out")
struct VerifiedAnchorTests {
    @Test("a bit-flipped newest backup whose size matches is not the anchor: --keep-last 1 keeps the newest good one")
    func bitFlippedNewest() throws {
        let folder = try BackupFolder()
        for day in ["20250412", "20250413", "20250414", "20250415"] {
            try realBackup(folder, "db_\(day).sql.gz", createdAt: utc.at("\(day.prefix(4))-\(day.dropFirst(4).prefix(2))-\(day.suffix(2)) 02:00"))
        }
        try flipBit(folder.dir.file("db_20250415.sql.gz"))

        let report = try Pruner.run(store: folder.store, policy: RetentionPolicy(keepLast: 1), now: now,
                                    timeZone: utc.timeZone, dryRun: false)
        let names = try folder.names()
        #expect(names.contains("db_20250414.sql.gz"), "the newest good backup must survive")
        #expect(names.contains("db_20250414.sql.gz.manifest.json"))
        let decisions = Dictionary(uniqueKeysWithValues: report.plan.artifacts.map { ($0.object.name, $0.decision) })
        #expect(decisions["db_20250414.sql.gz"]?.reasons.contains(.newestVerified(source: "db")) == true)
        #expect(decisions["db_20250415.sql.gz"]?.artifact.verified == false)
        #expect(report.plan.warnings.contains { $0.contains("db_20250415.sql.gz") && $0.contains("SHA-256") })
        #expect(report.text.contains("db_20250415.sql.gz"))
    }

    @Test("every backup damaged: nothing is removed")
    func allDamaged() throws {
        let folder = try BackupFolder()
        for day in ["20250413", "20250414", "20250415"] {
            try realBackup(folder, "db_\(day).sql.gz", createdAt: utc.at("\(day.prefix(4))-\(day.dropFirst(4).prefix(2))-\(day.suffix(2)) 02:00"))
            try flipBit(folder.dir.file("db_\(day).sql.gz"))
        }
        let before = try folder.names()
        let report = try Pruner.run(store: folder.store, policy: RetentionPolicy(keepLast: 1), now: now,
                                    timeZone: utc.timeZone, dryRun: false)
        #expect(try folder.names() == before)
        #expect(report.plan.removals.isEmpty)
    }

    @Test("only the anchor candidates are read: older backups are not hashed")
    func hashesOnlyCandidates() throws {
        let folder = try BackupFolder()
        for day in ["20250413", "20250414", "20250415"] {
            try realBackup(folder, "db_\(day).sql.gz", createdAt: utc.at("\(day.prefix(4))-\(day.dropFirst(4).prefix(2))-\(day.suffix(2)) 02:00"))
        }
        // An older one damaged: it is not the anchor, so prune does not need to read it (its size still matches).
        try flipBit(folder.dir.file("db_20250413.sql.gz"))
        let report = try Pruner.run(store: folder.store, policy: RetentionPolicy(keepLast: 1), now: now,
                                    timeZone: utc.timeZone, dryRun: true)
        let entries = Dictionary(uniqueKeysWithValues: report.plan.artifacts.map { ($0.object.name, $0) })
        #expect(entries["db_20250415.sql.gz"]?.decision.reasons.contains(.newestVerified(source: "db")) == true)
        #expect(report.text.contains("would remove: "))
        #expect(!report.text.contains("removed: "))
    }
}

@Suite("Prune cleans up its own leftovers and says what it did")
struct LeftoverTests {
    @Test("killed SQLite snapshots and restores older than a day are removed; fresh ones are kept")
    func sqliteLeftovers() throws {
        let folder = try BackupFolder()
        try realBackup(folder, "db_20250415.sql.gz", createdAt: utc.at("2025-04-15 02:00"))
        let old = now.addingTimeInterval(-2 * 86_400)
        let stale = [".mms.snapshot-1A2B3C4D.db.partial", ".mms.db.restore-9F8E7D6C.partial",
                     ".mms.db.restore-12345-ABCDEF01", ".mms.snapshot-1A2B3C4D.db.partial-journal"]
        for name in stale { try folder.file(name, "leftover", modified: old) }
        try folder.file(".mms.snapshot-0000AAAA.db.partial", "in progress", modified: now.addingTimeInterval(-600))
        try folder.file(".hidden-notes", "not ours", modified: old)

        let dry = try Pruner.run(store: folder.store, policy: RetentionPolicy(keepDays: 30), now: now,
                                 timeZone: utc.timeZone, dryRun: true)
        #expect(Set(dry.plan.leftovers.filter(\.remove).map(\.object.name)) == Set(stale))
        #expect(dry.plan.ignored.contains(".hidden-notes"))
        #expect(!dry.plan.ignored.contains(".mms.snapshot-0000AAAA.db.partial"))
        #expect(dry.text.contains("would remove: "), "\(dry.text)")
        #expect(!dry.text.contains("removed: "), "a dry run removes nothing: \(dry.text)")

        let real = try Pruner.run(store: folder.store, policy: RetentionPolicy(keepDays: 30), now: now,
                                  timeZone: utc.timeZone, dryRun: false)
        #expect(real.failures.isEmpty)
        let names = try folder.names()
        #expect(names.isDisjoint(with: stale))
        #expect(names.contains(".mms.snapshot-0000AAAA.db.partial"))
        #expect(names.contains(".hidden-notes"))
    }

    @Test("when every removal fails, the summary says nothing was removed")
    func failedRemovalsAreNotCounted() throws {
        let folder = try BackupFolder()
        try realBackup(folder, "db_20250415.sql.gz", createdAt: utc.at("2025-04-15 02:00"))
        try realBackup(folder, "db_20250101.sql.gz", createdAt: utc.at("2025-01-01 02:00"))
        try realBackup(folder, "db_20250102.sql.gz", createdAt: utc.at("2025-01-02 02:00"))
        let store = FailingRemovalStore(inner: folder.store)
        let report = try Pruner.run(store: store, policy: RetentionPolicy(keepDays: 30), now: now,
                                    timeZone: utc.timeZone, dryRun: false)
        #expect(report.failures.count == 2)
        #expect(report.summary.hasPrefix("Removed 0 artifacts with 0 manifests"), "\(report.summary)")
        #expect(report.summary.contains("2 removals failed"))
    }
}

/// A folder store whose every removal fails, as a bucket without delete permission does.
private struct FailingRemovalStore: RetentionStore {
    let inner: BackendStore<LocalFolderBackend>
    var location: String { inner.location }
    func list() throws(RetentionError) -> [StoredObject] { try inner.list() }
    func read(_ object: StoredObject, limit: Int) throws(RetentionError) -> Data { try inner.read(object, limit: limit) }
    func checkContent(_ object: StoredObject, against manifest: ManifestSummary) -> ContentCheck {
        inner.checkContent(object, against: manifest)
    }
    func remove(_ object: StoredObject) throws(RetentionError) {
        throw RetentionError(.removeFailed, "AccessDenied", object: object.name)
    }
}
