import Foundation
import Replication
import SQLite
import Storage
import Testing
import TestSupport

/// Shared between a test and its threads, behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func with<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }

    var current: Value { with { $0 } }
}

/// Runs `body` on a new thread; `join()` waits for it.
final class TestThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let done = self.done
        Thread.detachNewThread {
            body()
            done.signal()
        }
    }

    func join() { done.wait() }
}

/// A database in WAL mode with `t(n)` and a running total, as the application would have it.
func makeAppDatabase(_ path: String) throws -> Connection {
    let db = try Connection(path: path)
    _ = try db.query("PRAGMA journal_mode=WAL")
    try db.setBusyTimeout(milliseconds: 5_000)
    try db.execute("CREATE TABLE IF NOT EXISTS t(n INTEGER PRIMARY KEY, pad TEXT); CREATE TABLE IF NOT EXISTS total(id INTEGER PRIMARY KEY, s INTEGER);"
        + "INSERT OR IGNORE INTO total VALUES (1, 0)")
    return db
}

/// Commits transaction `n` (row n and the running total), returning the time just before it began.
func commit(_ n: Int, on db: Connection) throws -> Date {
    let before = Date()
    try db.transaction(.immediate) {
        try db.execute("INSERT INTO t VALUES (\(n), '\(String(repeating: "p", count: 200))'); UPDATE total SET s = s + \(n) WHERE id = 1")
    }
    return before
}

/// The rows of a restored database: (count, max n, sum of n, running total), after checking 1..n is whole.
func content(of file: URL) throws -> (count: Int64, max: Int64, sum: Int64, total: Int64) {
    let db = try Connection(path: file.path, options: [.readOnly])
    let row = try db.query("SELECT count(*), coalesce(max(n), 0), coalesce(sum(n), 0), (SELECT s FROM total) FROM t")[0]
    return (row.values[0].int64 ?? -1, row.values[1].int64 ?? -1, row.values[2].int64 ?? -1, row.values[3].int64 ?? -1)
}

@Suite(.serialized) struct ReplicatorTests {
    @Test func refusesADatabaseNotInWALModeNamingTheFile() throws {
        let dir = try TempDir("repl")
        let path = dir.file("rollback.db").path
        try Connection(path: path).execute("CREATE TABLE t(x)")
        let replicator = Replicator(database: URL(fileURLWithPath: path), source: "app",
                                    backend: LocalFolderBackend(path: dir.file("dest").path))
        #expect {
            try replicator.pass()
        } throws: { error in
            guard let error = error as? ReplicationError else { return false }
            return error.kind == .notWAL && error.message.contains(path) && error.message.contains("delete journal mode")
        }
    }

    /// A writer at ~200 commits/s beside the replicator (interval 1 s), with a TRUNCATE checkpoint by the app midway.
    @Test func restoresTheLatestCommitAndEveryPointInTime() throws {
        let dir = try TempDir("repl")
        let destination = dir.file("dest").path
        let times = try runWriterBesideReplicator(seconds: 12, in: dir) { LocalFolderBackend(path: destination) }
        try checkRestores(times: times, backend: LocalFolderBackend(path: destination), in: dir, samples: 12)
        let segments = try LocalFolderBackend(path: destination).list(prefix: "replica/app/", recursive: true)
            .filter { $0.name.hasSuffix(".wal.gz") }
        #expect(segments.count >= 10)
    }

    /// The same against the OSS emulator, which answers some uploads with 5xx or resets the connection: segments
    /// are retried (by the client, else by the upload thread), never lost, the chain has no gap, and restores stay
    /// within the interval (passes do not wait for the uploads).
    @Test func replicatesToOSSThroughErrorsAndResets() throws {
        let dir = try TempDir("repl")
        let bucket = try OSSEmulator.freshBucket("replicate")
        let settings = OSSSettings(environment: try OSSEmulator.cliEnvironment())
        // Faults once replication runs (at commit 300), so that they hit segments rather than only the first snapshot.
        let faults: @Sendable () throws -> Void = {
            try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "status", "status": 500, "times": 3])
            try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "status", "status": 503, "code": "ServiceUnavailable", "times": 2])
            try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "reset", "after_bytes": 100, "times": 2])
        }
        let times = try runWriterBesideReplicator(seconds: 8, in: dir, midway: faults) { try settings.backend(bucket: bucket, prefix: "nightly") }
        let backend = try settings.backend(bucket: bucket, prefix: "nightly")
        try checkRestores(times: times, backend: backend, in: dir, samples: 6)
        let generations = ReplicaLayout(source: "app").generations(in: try backend.list(prefix: "replica/app/", recursive: true))
        #expect(generations.allSatisfy { $0.firstGap == nil && $0.snapshot != nil })
        #expect(try OSSEmulator.log(bucket).contains { $0.op == "PutObject" && !$0.ok })
    }

    /// Runs the app's writer for `seconds` beside a replicator thread (interval 1 s) that writes to `backend()`;
    /// returns the time just before each commit n began (index n - 1).
    func runWriterBesideReplicator(seconds: Double, in dir: TempDir, midway: @escaping @Sendable () throws -> Void = {},
                                   backend: @escaping @Sendable () throws -> any StorageBackend) throws -> [Date] {
        let database = dir.file("app.db")
        _ = try makeAppDatabase(database.path)
        let stop = Locked(false)
        let commitTimes = Locked<[Date]>([])
        let failures = Locked<[String]>([])
        let replicator = TestThread {
            do {
                let replicator = Replicator(database: database, source: "app", backend: try backend(),
                                            settings: ReplicationSettings(interval: 1), workFolder: dir.url)
                try replicator.run { stop.current }
            } catch { failures.with { $0.append("replicator: \(error)") } }
        }
        let writer = TestThread {
            do {
                let db = try makeAppDatabase(database.path)
                let start = Date()
                var n = 0
                // At least 800 commits however slow the machine is: the checks need the midway events (300, 700).
                while Date().timeIntervalSince(start) < seconds || n < 800 {
                    n += 1
                    let time = try commit(n, on: db)
                    commitTimes.with { $0.append(time) }
                    if n == 300 { try midway() }
                    if n == 700 {
                        // The replicator's read transaction makes a TRUNCATE checkpoint wait out the app's busy timeout
                        // and report busy (as with Litestream); a short timeout keeps the writer going.
                        try db.setBusyTimeout(milliseconds: 100)
                        _ = try db.query("PRAGMA wal_checkpoint(TRUNCATE)")
                        try db.setBusyTimeout(milliseconds: 5_000)
                    }
                    Thread.sleep(forTimeInterval: 0.004)
                }
            } catch { failures.with { $0.append("writer: \(error)") } }
        }
        writer.join()
        Thread.sleep(forTimeInterval: 1.5)
        stop.with { $0 = true }
        replicator.join()
        #expect(failures.current == [])
        return commitTimes.current
    }

    /// `--latest` gives exactly the last commit; restores at `samples` random times give rows exactly 1...n with n
    /// begun at or before the time, and the next commit not older than one interval (plus slack) before it.
    func checkRestores(times: [Date], backend: any StorageBackend, in dir: TempDir, samples: Int, slack: Double = 0.5) throws {
        let interval = 1.0
        let last = Int64(times.count)
        #expect(last > 700)
        let latest = try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("latest.db"), workFolder: dir.url)
        let got = try content(of: latest.file)
        #expect(got.count == last && got.max == last && got.sum == last * (last + 1) / 2 && got.total == got.sum)

        // The earliest point restorable: the first generation's segment 0 (its start may have been retried).
        let oldest = try #require(ReplicaLayout(source: "app").generations(in: try backend.list(prefix: "replica/app/", recursive: true)).first)
        let start = try Segment.decode(try backend.load(oldest.chain[0].name, range: nil), name: oldest.chain[0].name).header.commitTime
        let first = max(times[0], start)
        let end = times[times.count - 1]
        try #require(end.timeIntervalSince(first) > 2, "replication started only \(end.timeIntervalSince(first)) s before the writer stopped")
        var restoredCounts: Set<Int> = []
        for attempt in 0..<samples {
            let target = first.addingTimeInterval(Double.random(in: 0...end.timeIntervalSince(first)))
            let file = dir.file("at-\(attempt).db")
            let result = try restoreReplica(source: "app", from: backend, to: .time(target), into: file, workFolder: dir.url)
            let rows = try content(of: file)
            let n = Int(rows.max)
            restoredCounts.insert(n)
            #expect(rows.count == rows.max && rows.sum == rows.max * (rows.max + 1) / 2 && rows.total == rows.sum,
                    "rows are not exactly 1...\(n)")
            #expect(result.restoredTo <= target)
            if n > 0 { #expect(times[n - 1] <= target, "row \(n) was committed after the point") }
            if n < times.count {
                #expect(times[n] > target.addingTimeInterval(-(interval + slack)), "row \(n + 1) is missing though older than an interval")
            }
        }
        let generations = ReplicaLayout(source: "app").generations(in: try backend.list(prefix: "replica/app/", recursive: true))
        // Many different points (not one segment for the whole run).
        #expect(restoredCounts.count > samples / 4,
                "restored \(restoredCounts) of \(last); generations \(generations.map { "\($0.name): \($0.chain.count)" })")
    }

    /// Another process that writes and closes its last connection must not find the replicator's locks gone
    /// (closing any descriptor of the file drops a process's POSIX locks): else it deletes the WAL under it.
    @Test func writersInOtherProcessesThatCloseKeepTheWALForTheReplicator() throws {
        let dir = try TempDir("repl")
        let database = dir.file("app.db")
        try makeAppDatabase(database.path).execute("INSERT INTO t VALUES (1, 'x'); UPDATE total SET s = 1")
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: database, source: "app", backend: backend, workFolder: dir.url)
        try replicator.pass()
        for n in 2...4 {
            let r = try runProcess("sqlite3", [database.path], stdin: Data("INSERT INTO t VALUES (\(n), 'x'); UPDATE total SET s = s + \(n);".utf8))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: database.path + "-wal"), "the WAL was deleted under the replicator")
            try replicator.pass()
        }
        #expect(replicator.startedGenerations.count == 1)
        let restored = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r.db"),
                                                           workFolder: dir.url).file)
        #expect(restored.count == 4 && restored.total == 10)
        replicator.close()
    }

    @Test func vacuumAndAReplacedDatabaseStartNewGenerations() throws {
        let dir = try TempDir("repl")
        let database = dir.file("app.db")
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let app = try makeAppDatabase(database.path)
        let replicator = Replicator(database: database, source: "app", backend: backend, workFolder: dir.url)
        try replicator.pass()
        for n in 1...300 { _ = try commit(n, on: app) }
        try replicator.pass()
        #expect(replicator.startedGenerations.count == 1)

        try app.execute("DELETE FROM t WHERE n > 100; UPDATE total SET s = 5050")
        try app.execute("VACUUM")
        try replicator.pass()
        #expect(replicator.startedGenerations.count == 2)
        for n in 101...120 { _ = try commit(n, on: app) }
        try replicator.pass()
        var restored = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r1.db"),
                                                            workFolder: dir.url).file)
        #expect(restored.count == 120 && restored.max == 120 && restored.total == restored.sum)

        // A database replaced by another file (a restore renames one over it).
        let other = dir.file("other.db")
        let replacement = try makeAppDatabase(other.path)
        for n in 1...10 { _ = try commit(n, on: replacement) }
        try replacement.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try FileManager.default.removeItem(atPath: database.path + "-wal")
        try FileManager.default.removeItem(atPath: database.path + "-shm")
        #expect(rename(other.path, database.path) == 0)
        try replicator.pass()
        #expect(replicator.startedGenerations.count == 3)
        restored = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r2.db"),
                                                       workFolder: dir.url).file)
        #expect(restored.count == 10 && restored.max == 10)
        replicator.close()
        withExtendedLifetime(app) {}
    }
}
