import Foundation
@testable import SQLiteSnapshot
import Testing
import TestSupport

/// The SQLite side of the in-use check, without the /proc scan that usually answers first.
@Suite("SQLite restore: locking the target")
struct LockTargetTests {
    @Test(arguments: ["DELETE", "WAL"])
    func anotherProcessInATransactionMakesTheLockFail(_ journalMode: String) throws {
        let dir = try TempDir("lock-target")
        let target = dir.file("app.db")
        try sqlite3CLI(target, "PRAGMA journal_mode=\(journalMode); CREATE TABLE t(v); INSERT INTO t VALUES (1);")
        let ready = dir.file("ready")
        let holder = try BackgroundProcess(python: """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN EXCLUSIVE")
            c.execute("INSERT INTO t VALUES (2)")
            open(sys.argv[2], "w").close()
            time.sleep(3600)  # held until the test releases it (deinit); an hour is only a backstop
            """, [target.path, ready.path], scratch: dir)
        try waitForFile(ready, seconds: 120, process: holder)
        #expect(!processesHolding(target.path).isEmpty)
        let error = #expect(throws: SQLiteSnapshotError.self) { _ = try lockTarget(target.path) }
        #expect(error?.code == .databaseInUse)
        #expect(error?.description.contains("database is in use") == true)
    }

    @Test func anIdleTargetIsLockedAndLeftInDeleteModeForTheSwap() throws {
        let dir = try TempDir("lock-idle")
        let target = dir.file("app.db")
        try sqlite3CLI(target, "PRAGMA journal_mode=WAL; CREATE TABLE t(v); INSERT INTO t VALUES (1);")
        #expect(processesHolding(target.path).isEmpty)
        let (lock, wasWAL) = try lockTarget(target.path)
        #expect(wasWAL)
        #expect(!lock.isAutocommit)
        #expect(!FileManager.default.fileExists(atPath: target.path + "-wal"))
    }
}
