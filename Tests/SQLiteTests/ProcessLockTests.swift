import Foundation
import SQLite
import Testing
import TestSupport

@Suite("SQLite wrapper: POSIX locks of the process")
struct ProcessLockTests {
    // On Linux, closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's own
    // included. Opening a second connection must not do that to the first: its SHARED lock is what tells another
    // process's last connection that the WAL is still in use and must not be checkpointed away and deleted.
    @Test func secondConnectionKeepsTheFirstConnectionsLock() throws {
        let dir = try TempDir("sqlite-locks")
        let db = dir.file("app.db")
        let setup = try Connection(path: db.path)
        #expect(try setup.query("PRAGMA journal_mode=WAL").first?.values == [.text("wal")])
        try setup.execute("CREATE TABLE t(v INTEGER)")
        try setup.execute("INSERT INTO t VALUES (1)")

        let first = try Connection(path: db.path)
        try first.execute("BEGIN")
        #expect(try first.query("SELECT count(*) FROM t").first?.values == [.integer(1)])
        let second = try Connection(path: db.path)
        // Another process writes and closes: as the last connection it would checkpoint and delete the WAL
        // if nothing in this process held a lock on the database file.
        _ = try python("""
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("INSERT INTO t VALUES (2)")
            c.close()
            """, [db.path])
        #expect(FileManager.default.fileExists(atPath: db.path + "-wal"), "the WAL was deleted under an open read transaction")
        try first.execute("COMMIT")
        #expect(try second.query("SELECT count(*) FROM t").first?.values == [.integer(2)])
    }
}
