import Foundation
import Testing
import TestSupport
@testable import Retention
import Storage

private let utc = Timeline("UTC")
private let now = utc.at("2025-04-15 12:00")

/// A folder of daily `db` dumps up to 2025-04-15, a `mms` source that stopped in January, leftovers and strangers.
private func makeFolder(outside: TempDir, firstDay: String = "2025-03-01") throws -> BackupFolder {
    let folder = try BackupFolder()
    for artifact in utc.daily("db", from: firstDay, to: "2025-04-15") {
        let day = String(artifact.name.dropFirst(3).prefix(8))
        try folder.backup("db_\(day).sql.gz", bytes: 100, createdAt: artifact.takenAt)
    }
    for artifact in utc.daily("mms", from: "2025-01-01", to: "2025-01-10") {
        let day = String(artifact.name.dropFirst(4).prefix(8))
        try folder.backup("mms_\(day).db.gz", bytes: 50, createdAt: artifact.takenAt)
    }
    // An old artifact whose manifest never got written: unverified, and old, so the policy removes it.
    try folder.backup("db_20250102.sql.gz", createdAt: nil, manifest: false)
    try folder.file("db_20250410.sql.gz.partial", "half", modified: now.addingTimeInterval(-3 * 86_400))
    try folder.file("db_20250415_110000.sql.gz.partial", "in progress", modified: now.addingTimeInterval(-3600))
    try folder.file("db_20250201.sql.gz.manifest.json", #"{"byte_size": 5}"#)
    try folder.file("notes.txt", "keep me", modified: utc.at("2020-01-01"))
    try folder.folder("db_20240101.tar.gz")
    // A link named like an old backup, pointing outside the folder: neither it nor its target may go.
    let target = outside.file("precious.sql.gz")
    try Data("precious".utf8).write(to: target)
    try FileManager.default.createSymbolicLink(atPath: folder.dir.file("db_20240102.sql.gz").path,
                                               withDestinationPath: target.path)
    return folder
}

/// What the folder must hold after a complete prune with keep_days 30.
private func expectedAfterPrune(_ before: Set<String>) -> Set<String> {
    var gone: Set<String> = ["db_20250102.sql.gz", "db_20250410.sql.gz.partial", "db_20250201.sql.gz.manifest.json"]
    for artifact in utc.daily("db", from: "2025-03-01", to: "2025-03-16") {
        let name = "db_\(artifact.name.dropFirst(3).prefix(8)).sql.gz"
        gone.formUnion([name, name + ".manifest.json"])
    }
    return before.subtracting(gone)
}

@Suite("Prune of a real folder")
struct FolderPruneTests {
    @Test("a prune gives the expected decisions and a second run removes nothing")
    func pruneTwice() throws {
        let outside = try TempDir("outside")
        let folder = try makeFolder(outside: outside)
        let before = try folder.names()

        let dry = try Pruner.run(store: folder.store, policy: .init(keepDays: 30), now: now, timeZone: utc.timeZone, dryRun: true)
        #expect(try folder.names() == before, "a dry run touches nothing")
        #expect(Set(dry.plan.removals.map(\.name)) == before.subtracting(expectedAfterPrune(before)))

        let first = try Pruner.run(store: folder.store, policy: .init(keepDays: 30), now: now, timeZone: utc.timeZone, dryRun: false)
        #expect(first.failures == [])
        #expect(try folder.names() == expectedAfterPrune(before))
        #expect(first.removed == before.subtracting(expectedAfterPrune(before)))
        let decisions = Dictionary(uniqueKeysWithValues: first.plan.artifacts.map { ($0.object.name, $0.decision) })
        #expect(decisions["db_20250415.sql.gz"]?.reason == "kept: newest verified backup of source db; within 30 days")
        #expect(decisions["db_20250316.sql.gz"]?.reason == "removed: older than 30 days")
        #expect(decisions["mms_20250101.db.gz"]?.reason == "kept: within 30 days")
        #expect(decisions["mms_20250110.db.gz"]?.reason == "kept: newest verified backup of source mms; within 30 days")
        #expect(first.plan.ignored == ["db_20240101.tar.gz", "db_20240102.sql.gz", "notes.txt"])
        #expect(try String(contentsOf: outside.file("precious.sql.gz"), encoding: .utf8) == "precious")

        let second = try Pruner.run(store: folder.store, policy: .init(keepDays: 30), now: now, timeZone: utc.timeZone, dryRun: false)
        #expect(second.plan.removals == [])
        #expect(second.removed == [])
        #expect(try folder.names() == expectedAfterPrune(before))
        #expect(second.text.contains("Removed 0 artifacts with 0 manifests and 0 leftovers"))
    }

    @Test("a crash at any point leaves no artifact without its manifest, and the next prune finishes the job")
    func crashAtEveryPoint() throws {
        let outside = try TempDir("outside")
        // Fewer days than the other tests: every crash point costs a new folder and three prunes.
        let firstDay = "2025-03-12"
        let reference = try makeFolder(outside: outside, firstDay: firstDay)
        let plan = try Pruner.run(store: reference.store, policy: .init(keepDays: 30), now: now, timeZone: utc.timeZone, dryRun: true).plan
        let removalCount = plan.removals.count
        // 03-12 … 03-16 with their manifests, the unverified 01-02, a stale partial, an orphan manifest.
        #expect(removalCount == 13)

        for crashAfter in 0..<removalCount {
            let folder = try makeFolder(outside: outside, firstDay: firstDay)
            let before = try folder.names()
            let withoutManifestBefore = artifactsWithoutManifest(before)
            let crashing = CrashingStore(folder.store, removalsBeforeCrash: crashAfter)
            let report = try Pruner.run(store: crashing, policy: .init(keepDays: 30), now: now, timeZone: utc.timeZone, dryRun: false)
            #expect(crashing.crashed)
            #expect(!report.succeeded)

            // Nothing the crash left behind looks like a backup that was not there before: a manifest may
            // outlive its artifact, never the other way round.
            let after = try folder.names()
            #expect(artifactsWithoutManifest(after).isSubset(of: withoutManifestBefore), "crash after \(crashAfter) removals")

            let finish = try Pruner.run(store: folder.store, policy: .init(keepDays: 30), now: now, timeZone: utc.timeZone, dryRun: false)
            #expect(finish.failures == [])
            #expect(try folder.names() == expectedAfterPrune(before), "crash after \(crashAfter) removals")
            let again = try Pruner.run(store: folder.store, policy: .init(keepDays: 30), now: now, timeZone: utc.timeZone, dryRun: false)
            #expect(again.plan.removals == [])
        }
    }

    @Test("an orphan manifest never counts as a backup")
    func orphanManifestIsNotABackup() throws {
        let folder = try BackupFolder()
        try folder.backup("db_20250414.sql.gz", createdAt: utc.at("2025-04-14 02:00"))
        try folder.file("db_20250401.sql.gz.manifest.json", #"{"byte_size": 64, "created_at": "2025-04-01T02:00:00Z"}"#)
        let report = try Pruner.run(store: folder.store, policy: .init(keepDays: 30), now: now, timeZone: utc.timeZone, dryRun: true)
        #expect(report.plan.artifacts.map(\.object.name) == ["db_20250414.sql.gz"])
        #expect(report.plan.leftovers.map(\.reason) == ["removed: manifest without its artifact"])
    }

    @Test("a damaged or mismatched manifest leaves its artifact unverified, and says why")
    func damagedManifest() throws {
        let folder = try BackupFolder()
        for day in 1...5 { try folder.backup("db_2025040\(day).sql.gz", createdAt: utc.at("2025-04-0\(day) 02:00")) }
        try folder.file("db_20250405.sql.gz.manifest.json", "{ not json")
        // A manifest copied from another artifact: right size, wrong name.
        try FileManager.default.removeItem(at: folder.dir.file("db_20250404.sql.gz.manifest.json"))
        try FileManager.default.copyItem(at: folder.dir.file("db_20250403.sql.gz.manifest.json"),
                                         to: folder.dir.file("db_20250404.sql.gz.manifest.json"))
        let report = try Pruner.run(store: folder.store, policy: .init(keepLast: 1), now: now, timeZone: utc.timeZone, dryRun: true)
        let byName = Dictionary(uniqueKeysWithValues: report.plan.artifacts.map { ($0.object.name, $0) })
        #expect(byName["db_20250405.sql.gz"]?.decision.artifact.verified == false)
        #expect(byName["db_20250405.sql.gz"]?.takenFrom == .name)
        #expect(byName["db_20250404.sql.gz"]?.decision.artifact.verified == false)
        #expect(byName["db_20250403.sql.gz"]?.decision.reason == "kept: newest verified backup of source db")
        #expect(byName["db_20250402.sql.gz"]?.decision.keep == false)
        #expect(report.plan.warnings == [
            "db_20250404.sql.gz.manifest.json: describes db_20250403.sql.gz, not db_20250404.sql.gz; not counted as a good backup",
            "db_20250405.sql.gz.manifest.json: it is not valid JSON; db_20250405.sql.gz is not counted as a good backup",
        ])
    }

    @Test("an empty policy is refused before anything is listed")
    func emptyPolicyRefused() throws {
        let folder = try BackupFolder()
        try folder.backup("db_20250101.sql.gz", createdAt: utc.at("2025-01-01"))
        let error = #expect(throws: RetentionError.self) {
            try Pruner.run(store: folder.store, policy: RetentionPolicy(), now: now, timeZone: utc.timeZone, dryRun: false)
        }
        #expect(error?.code == .invalidPolicy)
        #expect(try folder.names() == ["db_20250101.sql.gz", "db_20250101.sql.gz.manifest.json"])
    }

    @Test("a missing folder is an error naming it")
    func missingFolder() throws {
        let dir = try TempDir("gone")
        let path = dir.file("nope").path
        let error = #expect(throws: RetentionError.self) {
            try Pruner.run(backend: LocalFolderBackend(path: path), policy: .init(keepDays: 30), now: now,
                           timeZone: utc.timeZone, dryRun: true)
        }
        #expect(error?.code == .listFailed)
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test("a file that cannot be removed is reported, its manifest stays, and the rest goes on")
    func removalFailureKeepsManifest() throws {
        // root ignores file permissions, so make the failure with a store that refuses one name.
        let folder = try BackupFolder()
        for day in 1...5 { try folder.backup("db_2025040\(day).sql.gz", createdAt: utc.at("2025-04-0\(day) 02:00")) }
        let store = RefusingStore(inner: folder.store, refused: "db_20250402.sql.gz")
        let report = try Pruner.run(store: store, policy: .init(keepLast: 2), now: now, timeZone: utc.timeZone, dryRun: false)
        #expect(report.failures.map(\.name) == ["db_20250402.sql.gz"])
        #expect(try folder.names() == ["db_20250405.sql.gz", "db_20250405.sql.gz.manifest.json",
                                       "db_20250404.sql.gz", "db_20250404.sql.gz.manifest.json",
                                       "db_20250402.sql.gz", "db_20250402.sql.gz.manifest.json"])
        #expect(report.text.contains("removed: not selected by keep_last 2 (FAILED: refused"))
    }
}

/// Names of artifacts in `names` that have no manifest beside them.
private func artifactsWithoutManifest(_ names: Set<String>) -> Set<String> {
    Set(names.filter { name in
        name.hasSuffix(".gz") && !name.hasSuffix(".partial") && !names.contains(name + ".manifest.json")
    })
}

/// A folder store that refuses to remove one name, as a read-only file or a held lock would.
private struct RefusingStore: RetentionStore {
    let inner: BackendStore<LocalFolderBackend>
    let refused: String
    var location: String { inner.location }
    func list() throws(RetentionError) -> [StoredObject] { try inner.list() }
    func read(_ object: StoredObject, limit: Int) throws(RetentionError) -> Data { try inner.read(object, limit: limit) }
    func checkContent(_ object: StoredObject, against manifest: ManifestSummary) -> ContentCheck {
        inner.checkContent(object, against: manifest)
    }
    func remove(_ object: StoredObject) throws(RetentionError) {
        if object.name == refused { throw RetentionError(.removeFailed, "refused", object: object.name) }
        try inner.remove(object)
    }
}

@Suite struct ReplicaFolderPruneTests {
    /// `vaultops replicate` writes below `replica/`; a nightly prune must neither count nor touch it (issue 24).
    @Test("a prune of the nightly artifacts leaves the replica/ folder and everything in it alone")
    func replicaFolderIsLeftAlone() throws {
        let folder = try BackupFolder()
        try folder.backup("mms_20250101.db.gz", createdAt: utc.at("2025-01-01 02:00"))
        try folder.backup("mms_20250414.db.gz", createdAt: utc.at("2025-04-14 02:00"))
        let generation = "replica/mms/20250101000000000-0000abcd"
        try folder.folder(generation + "/wal")
        try folder.file(generation + "/snapshot.db.gz", "snapshot", modified: utc.at("2025-01-01 00:00"))
        try folder.file(generation + "/wal/0000000000000000.wal.gz", "segment", modified: utc.at("2025-01-01 00:00"))
        let report = try Pruner.run(store: folder.store, policy: .init(keepDays: 30), now: now, timeZone: utc.timeZone, dryRun: false)
        #expect(report.plan.artifacts.map(\.object.name).sorted() == ["mms_20250101.db.gz", "mms_20250414.db.gz"])
        #expect(!report.plan.removals.contains { $0.name.hasPrefix("replica") })
        #expect(FileManager.default.fileExists(atPath: folder.dir.file(generation + "/wal/0000000000000000.wal.gz").path))
        #expect(FileManager.default.fileExists(atPath: folder.dir.file(generation + "/snapshot.db.gz").path))
        #expect(try folder.names().contains("replica"))
    }
}
