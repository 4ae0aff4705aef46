import Foundation
import Replication
import SQLite
import Storage
import Testing
import TestSupport

/// The app's tables, as `makeAppDatabase` makes them, for the `sqlite3` CLI.
let appSchema = "CREATE TABLE t(n INTEGER PRIMARY KEY, pad TEXT); CREATE TABLE total(id INTEGER PRIMARY KEY, s INTEGER);"

/// `Replicator.run`: when passes start, and what a pass failing mid-run does to the others.
@Suite(.serialized) struct ReplicatorRunTests {
    /// Runs a replicator of `database` on a thread until `stop`; the error it ended with, if any, lands in `failure`.
    final class Running: @unchecked Sendable {
        let stop = Locked(false)
        let failure = Locked<String?>(nil)
        let finished = Locked(false)
        private var thread: TestThread?

        init(database: URL, backend: @escaping @Sendable () throws -> any StorageBackend, workFolder: URL) {
            let stop = self.stop, failure = self.failure, finished = self.finished
            thread = TestThread {
                do {
                    let replicator = Replicator(database: database, source: "app", backend: try backend(),
                                                settings: ReplicationSettings(interval: 1), workFolder: workFolder)
                    try replicator.run { stop.current }
                } catch {
                    failure.with { $0 = "\(error)" }
                }
                finished.with { $0 = true }
            }
        }

        func join() {
            stop.with { $0 = true }
            thread?.join()
        }
    }

    /// Polls `condition` every 0.1 s for up to `timeout` seconds.
    func eventually(_ timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return try condition()
    }

    /// Passes start `interval` apart, not `interval` after the previous one ended: with uploads that take half an
    /// interval, commits still reach the replica within about one interval.
    @Test func passesStartOneIntervalApartHoweverLongTheUploadTakes() throws {
        let dir = try TempDir("repl-run")
        let bucket = try OSSEmulator.freshBucket("cadence")
        let settings = OSSSettings(environment: try OSSEmulator.cliEnvironment())
        try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "slow", "seconds": 0.5, "times": 1000])
        let database = dir.file("app.db")
        let app = try makeAppDatabase(database.path)
        let running = Running(database: database, backend: { try settings.backend(bucket: bucket, prefix: "r") }, workFolder: dir.url)
        var n = 0
        let start = Date()
        while Date().timeIntervalSince(start) < 8 {
            n += 1
            _ = try commit(n, on: app)
            Thread.sleep(forTimeInterval: 0.02)
        }
        running.join()
        #expect(running.failure.current == nil)
        let backend = try settings.backend(bucket: bucket, prefix: "r")
        let generation = try #require(ReplicaLayout(source: "app").generations(in: try backend.list(prefix: "replica/app/", recursive: true)).last)
        let times = try generation.chain.map { try Segment.decode(try backend.load($0.name, range: nil), name: $0.name).header.commitTime }
        let gaps = zip(times.dropFirst(), times.dropFirst(2)).map { $1.timeIntervalSince($0) }.sorted()
        try #require(gaps.count >= 4, "\(times)")
        // The old schedule (interval after the pass) gives every gap ≥ 1.5 s; the median tolerates a loaded machine.
        #expect(gaps[gaps.count / 2] < 1.3, "gaps between segments: \(gaps)")
    }

    /// A database renamed over the file mid-run, in rollback-journal mode until the app opens it again: the
    /// replicator says why it cannot go on and waits (it does not stop, which would stop every other source's
    /// replication with it), and starts a new generation once the file is in WAL mode.
    @Test func aReplacementNotInWALModeWaitsForTheAppInsteadOfStopping() throws {
        let dir = try TempDir("repl-run")
        let database = dir.file("app.db")
        let destination = dir.file("dest").path
        try sqlite3(database, "PRAGMA journal_mode=WAL; \(appSchema) INSERT INTO total VALUES (1, 0);")
        let running = Running(database: database, backend: { LocalFolderBackend(path: destination) }, workFolder: dir.url)
        let layout = ReplicaLayout(source: "app")
        let backend = LocalFolderBackend(path: destination)
        func generations() throws -> [ReplicaGeneration] {
            layout.generations(in: try backend.list(prefix: layout.root, recursive: true)).filter { !$0.chain.isEmpty }
        }
        #expect(try eventually(30) { try generations().count == 1 })

        let other = dir.file("other.db")
        try sqlite3(other, "\(appSchema) INSERT INTO total VALUES (1, 3); INSERT INTO t VALUES (1, 'x'), (2, 'y');")
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database.path + suffix) }
        #expect(rename(other.path, database.path) == 0)
        // Three passes see the file in rollback-journal mode.
        Thread.sleep(forTimeInterval: 3)
        #expect(running.finished.current == false, "the replicator stopped: \(running.failure.current ?? "")")
        try sqlite3(database, "PRAGMA journal_mode=WAL; INSERT INTO t VALUES (3, 'z'); UPDATE total SET s = 6;")
        #expect(try eventually(30) { try generations().count == 2 })
        running.join()
        #expect(running.failure.current == nil)
        let restored = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r.db"),
                                                           workFolder: dir.url).file)
        #expect(restored.count == 3 && restored.max == 3 && restored.total == 6)
    }

    /// The replicator's connections to a file that was replaced are closed when it notices: closing must leave the
    /// new file's WAL alone (SQLite's last connection checkpoints and deletes `<path>-wal` by name on close).
    @Test func closingTheConnectionsToAReplacedFileLeavesTheNewWALAlone() throws {
        let dir = try TempDir("repl-run")
        let database = dir.file("app.db")
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        try sqlite3(database, "PRAGMA journal_mode=WAL; \(appSchema) INSERT INTO total VALUES (1, 0);")
        let replicator = Replicator(database: database, source: "app", backend: backend, workFolder: dir.url)
        try replicator.pass()

        let other = dir.file("other.db")
        try sqlite3(other, "\(appSchema) INSERT INTO total VALUES (1, 0);")
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database.path + suffix) }
        #expect(rename(other.path, database.path) == 0)
        // The app, back on the new file: commits that stay in its WAL while it runs. It runs until the test stops it
        // (SIGTERM) after the pass: an app that ended by itself first would checkpoint and delete its own WAL.
        let app = Process()
        app.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        app.arguments = ["python3", SoakHarness.writerScript.path, database.path, dir.file("commits.log").path, "--rate", "50", "--seconds", "600"]
        let output = Pipe()
        app.standardOutput = output
        try app.run()
        defer { if app.isRunning { kill(app.processIdentifier, SIGKILL) } }
        #expect(eventually(120) { FileManager.default.fileExists(atPath: database.path + "-wal") })
        Thread.sleep(forTimeInterval: 0.5)
        try replicator.pass()
        #expect(FileManager.default.fileExists(atPath: database.path + "-wal"), "the new file's WAL was deleted")
        kill(app.processIdentifier, SIGTERM)
        app.waitUntilExit()
        let last = try #require(Int(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        try replicator.pass()
        replicator.close()
        #expect(try sqlite3(database, "PRAGMA integrity_check; SELECT count(*), max(n) FROM t;") == "ok\n\(last)|\(last)")
        let restored = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r.db"),
                                                           workFolder: dir.url).file)
        #expect(restored.count == Int64(last) && restored.total == restored.sum)
    }
}
