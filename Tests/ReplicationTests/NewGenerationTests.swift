import Foundation
import Replication
import SQLite
import Storage
import Testing
import TestSupport

/// Runs the real `sqlite3` CLI on `database` (the app's own statements); fails on a non-zero exit.
@discardableResult
func sqlite3(_ database: URL, _ sql: String) throws -> String {
    let r = try runProcess("sqlite3", ["-batch", database.path], stdin: Data(sql.utf8))
    guard r.status == 0 else { throw TestSupportError("sqlite3 \(database.path) failed: \(r.stderr)") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Issue 24: a VACUUM, and a database file replaced under the running `vaultops replicate`, start a new generation
/// that is detected within one interval (plus `detectionSlack`: the pass that notices it takes time of its own).
@Suite(.serialized) struct NewGenerationTests {
    static let detectionSlack = 1.0

    /// Waits until the replica's newest state has exactly `rows` rows (1...rows); false after a generous timeout.
    func waitForReplica(_ harness: SoakHarness, rows: Int) -> Bool {
        harness.wait(upTo: 30) { (try? latestCommitShipped(harness, rows)) == true }
    }

    /// The start of the generation whose segment 0 is the first at or after `date`, waiting for it to appear.
    func generationStarted(after date: Date, _ harness: SoakHarness) throws -> (ReplicaGeneration, Date)? {
        var found: (ReplicaGeneration, Date)?
        _ = try harness.wait(upTo: 30) {
            for generation in try harness.generations() where generation.start >= date {
                guard let first = generation.chain.first else { continue }
                let time = try Segment.decode(try harness.backend.load(first.name, range: nil), name: first.name).header.commitTime
                found = (generation, time)
                return true
            }
            return false
        }
        return found
    }

    @Test func aVacuumThatShrinksTheDatabaseStartsANewGenerationWithinOneInterval() throws {
        let harness = try SoakHarness(label: "vacuum")
        try harness.startReplicator()
        try harness.startWriter(seconds: 3)
        let last = try harness.waitForWriter()
        #expect(waitForReplica(harness, rows: last), "\(harness.replicatorMessages)")
        let beforeVacuum = Date()
        let kept = last / 2
        try sqlite3(harness.database, "DELETE FROM t WHERE n > \(kept); UPDATE total SET s = \(kept * (kept + 1) / 2); VACUUM;")
        let vacuumed = Date()
        let (generation, shipped) = try #require(try generationStarted(after: beforeVacuum, harness), "\(harness.replicatorMessages)")
        print("replication: a VACUUM was noticed \(generation.start.timeIntervalSince(vacuumed)) s after it ended")
        #expect(generation.start.timeIntervalSince(vacuumed) < ReplicationSoakTests.interval + Self.detectionSlack,
                "the VACUUM was noticed \(generation.start.timeIntervalSince(vacuumed)) s after it ended")
        #expect(shipped >= vacuumed)
        #expect(waitForReplica(harness, rows: kept))
        #expect(harness.stopReplicator() == 0, "\(harness.replicatorMessages)")

        // Both sides of the VACUUM stay restorable: before it the old generation, after it the new one.
        let old = try restoreReplica(source: "app", from: harness.backend, to: .time(beforeVacuum), into: harness.dir.file("old.db"),
                                     workFolder: harness.dir.url)
        let oldRows = try content(of: old.file)
        #expect(old.generation != generation.name && oldRows.max == Int64(last))
        let new = try restoreReplica(source: "app", from: harness.backend, to: .latest, into: harness.dir.file("new.db"),
                                     workFolder: harness.dir.url)
        let rows = try content(of: new.file)
        #expect(new.generation == generation.name && rows.count == Int64(kept) && rows.max == Int64(kept) && rows.total == rows.sum)
        for check in try verifyReplica(source: "app", on: harness.backend) { #expect(check.isHealthy, "\(check)") }
    }

    /// `vaultops restore app --replica --at TIME` over the live database: refused while `vaultops replicate` holds it
    /// (as while the app does); with the replicator stopped it installs the earlier state, and the replicator started
    /// again begins a new generation from it, so the replica's latest is the restored state plus the app's new commits.
    @Test func aRestoreOverTheDatabaseStartsANewGenerationFromTheRestoredState() throws {
        let harness = try SoakHarness(label: "restoreover")
        try harness.startReplicator()
        try harness.startWriter(seconds: 1.5)
        let first = try harness.waitForWriter()
        #expect(waitForReplica(harness, rows: first), "\(harness.replicatorMessages)")
        // A whole second later than every commit so far: --at takes seconds.
        Thread.sleep(forTimeInterval: 1.2)
        let point = Date()
        Thread.sleep(forTimeInterval: 1.2)
        try harness.startWriter(seconds: 1.5)
        let second = try harness.waitForWriter()
        #expect(waitForReplica(harness, rows: second), "\(harness.replicatorMessages)")

        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let restore = ["restore", "app", "--at", formatter.string(from: point), "--yes", "--config", harness.config.path]
        var r = try vaultops(restore, environment: harness.environment)
        #expect(r.status != 0 && r.stderr.contains("vaultops"), "\(r.stdout)\(r.stderr)")
        #expect(harness.stopReplicator() == 0, "\(harness.replicatorMessages)")
        r = try vaultops(restore, environment: harness.environment)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try sqlite3(harness.database, "PRAGMA integrity_check; SELECT count(*), max(n) FROM t;") == "ok\n\(first)|\(first)")

        let restarted = Date()
        try harness.startReplicator()
        let (generation, _) = try #require(try generationStarted(after: restarted, harness), "\(harness.replicatorMessages)")
        try harness.startWriter(seconds: 1)
        let third = try harness.waitForWriter()
        #expect(third > first)
        #expect(waitForReplica(harness, rows: third), "\(harness.replicatorMessages)")
        #expect(harness.stopReplicator() == 0, "\(harness.replicatorMessages)")
        let latest = try restoreReplica(source: "app", from: harness.backend, to: .latest, into: harness.dir.file("r.db"),
                                        workFolder: harness.dir.url)
        let rows = try content(of: latest.file)
        #expect(latest.generation == generation.name && rows.count == Int64(third) && rows.max == Int64(third) && rows.total == rows.sum)
    }

    /// The operator stops the app, renames another database over the file (here one restored from the replica with
    /// the CLI and trimmed, so in rollback-journal mode as restores leave it), and starts the app again at once,
    /// which switches it back to WAL; the replicator keeps running throughout.
    @Test func aDatabaseReplacedByRenameStartsANewGenerationWithinOneInterval() throws {
        let harness = try SoakHarness(label: "replaced")
        try harness.startReplicator()
        try harness.startWriter(seconds: 2)
        let last = try harness.waitForWriter()
        #expect(waitForReplica(harness, rows: last), "\(harness.replicatorMessages)")

        let other = harness.dir.file("other.db")
        let r = try vaultops(["restore", "app", "--replica", "--latest", "--yes", "--to", other.path, "--config", harness.config.path],
                             environment: harness.environment)
        try #require(r.status == 0, "\(r.stdout)\(r.stderr)")
        let kept = 100
        try sqlite3(other, "DELETE FROM t WHERE n > \(kept); UPDATE total SET s = \(kept * (kept + 1) / 2);")
        let beforeRename = Date()
        // The app is stopped: its -wal was checkpointed and removed when it closed (the replicator's connections
        // keep theirs open on the old file, which is gone from the folder with it).
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: harness.database.path + suffix) }
        #expect(rename(other.path, harness.database.path) == 0)
        try harness.startWriter(seconds: 2)
        let renamed = Date()
        let final = try harness.waitForWriter()
        #expect(final > kept)
        let (generation, _) = try #require(try generationStarted(after: beforeRename, harness), "\(harness.replicatorMessages)")
        print("replication: a replaced file was noticed \(generation.start.timeIntervalSince(renamed)) s after the rename")
        #expect(generation.start.timeIntervalSince(renamed) < ReplicationSoakTests.interval + Self.detectionSlack,
                "the replaced file was noticed \(generation.start.timeIntervalSince(renamed)) s after the rename")
        #expect(waitForReplica(harness, rows: final), "\(harness.replicatorMessages)")
        #expect(harness.replicator?.isRunning == true, "\(harness.replicatorMessages)")
        #expect(harness.stopReplicator() == 0, "\(harness.replicatorMessages)")

        // The app's own file is whole: nothing the replicator did to its old file reached the new one.
        #expect(try sqlite3(harness.database, "PRAGMA integrity_check; SELECT count(*) = max(n), max(n), (SELECT s FROM total) = sum(n) FROM t;")
                == "ok\n1|\(final)|1")
        let restored = try content(of: try restoreReplica(source: "app", from: harness.backend, to: .latest,
                                                           into: harness.dir.file("r.db"), workFolder: harness.dir.url).file)
        #expect(restored.count == Int64(final) && restored.max == Int64(final) && restored.total == restored.sum)
        for check in try verifyReplica(source: "app", on: harness.backend) { #expect(check.gap == nil && check.problems.isEmpty, "\(check)") }
    }
}
