import Foundation
import SQLite
import SQLiteSnapshot
import Testing
import TestSupport

/// Bytes 18 and 19 of a database header: 1/1 for a rollback journal, 2/2 for WAL.
func headerJournalBytes(_ file: URL) throws -> [UInt8] {
    let data = try Data(contentsOf: file)
    return [data[18], data[19]]
}

@Suite("SQLite snapshots")
struct SnapshotTests {
    /// A database whose table names need quoting, built by the real sqlite3 CLI.
    static func makeOddlyNamedDatabase(_ file: URL) throws {
        try sqlite3CLI(file, #"""
            CREATE TABLE "odd ""quoted"" name" (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
            CREATE TABLE "with space" (a REAL, b BLOB);
            CREATE TABLE "材料 表" (名称 TEXT NOT NULL, 数量 INTEGER);
            CREATE TABLE plain (x);
            CREATE INDEX "idx ""q""" ON "with space"(a);
            CREATE VIEW "a view" AS SELECT * FROM plain;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1234)
              INSERT INTO "odd ""quoted"" name"(v) SELECT 'row ' || i FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 77)
              INSERT INTO "with space" SELECT i * 0.5, randomblob(i) FROM n;
            INSERT INTO "材料 表" VALUES ('轴承', 3), ('Überwurfmutter', 5), ('🔧', NULL);
            ANALYZE;
            """#)
    }

    @Test func snapshotOfOddlyNamedTablesPassesTheCLIsIntegrityCheck() throws {
        let dir = try TempDir("snap-odd")
        let source = dir.file("source db.sqlite")
        try Self.makeOddlyNamedDatabase(source)
        let snap = dir.file("snap.db")
        let info = try snapshot(of: source, into: snap)

        #expect(try sqlite3CLI(snap, "PRAGMA integrity_check") == "ok")
        // sqlite_sequence and sqlite_stat1 exist in the source but are internal, so they are not counted.
        #expect(try sqlite3CLI(source, "SELECT count(*) FROM sqlite_master WHERE name IN ('sqlite_sequence', 'sqlite_stat1')") == "2")
        #expect(info.rowCounts == ["odd \"quoted\" name": 1234, "with space": 77, "材料 表": 3, "plain": 0])
        #expect(try dump(snap) == dump(source))
        #expect(info.sourceJournalMode == "delete")
        #expect(info.sqliteVersion == Connection.libraryVersion)
        #expect(info.source == source)
        #expect(info.snapshot == snap)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: snap.path)[.size] as? NSNumber).int64Value
        #expect(info.byteCount == size)
        #expect(info.pageSize * info.pageCount == size)
        #expect(try sqlite3CLI(snap, "PRAGMA page_size") == String(info.pageSize))
        #expect(try rowCounts(path: snap.path) == info.rowCounts)
        try integrityCheck(path: snap.path)
        // A backup is private to its owner, whatever the umask says.
        #expect(try filePermissions(snap) == 0o600)
    }

    @Test func snapshotOfTheFixtureKeepsEveryRowAndValue() throws {
        let dir = try TempDir("snap-fixture")
        // Work on a copy: the fixture in the repository must never change.
        let source = dir.file("mms.db")
        try FileManager.default.copyItem(at: sqliteFixtures.appendingPathComponent("mms.db"), to: source)
        let snap = dir.file("mms-snap.db")
        let info = try snapshot(of: source, into: snap)
        #expect(info.rowCounts == ["suppliers": 5, "materials": 240, "movements": 1500, "work_orders": 120])
        #expect(try dump(snap) == dump(source))
        #expect(try sqlite3CLI(snap, "SELECT count(*) FROM stock_check WHERE stock != moved") == "0")
    }

    @Test func walSourceIsCopiedWithItsUncheckpointedRowsIntoASingleFile() throws {
        let dir = try TempDir("snap-wal")
        let source = dir.file("live.db")
        try python(makeWALOnlyRows, [source.path, "500"])
        // The rows are only in the -wal: the main file alone would show an empty table.
        let walSize = try #require(try FileManager.default.attributesOfItem(atPath: source.path + "-wal")[.size] as? NSNumber)
        #expect(walSize.intValue > 0)
        let snap = dir.file("snap.db")
        let info = try snapshot(of: source, into: snap)
        #expect(info.sourceJournalMode == "wal")
        #expect(info.rowCounts == ["t": 500])
        #expect(try headerJournalBytes(snap) == [1, 1])
        #expect(!FileManager.default.fileExists(atPath: snap.path + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: snap.path + "-shm"))
        // Copied alone, the snapshot still holds everything.
        let moved = dir.file("elsewhere.db")
        try FileManager.default.copyItem(at: snap, to: moved)
        #expect(try sqlite3CLI(moved, "PRAGMA journal_mode; SELECT count(*), max(label) FROM t") == "delete\n500|wal row 99 ✓")
    }

    @Test func missingSourceIsReportedAndNotCreated() throws {
        let dir = try TempDir("snap-missing")
        let source = dir.file("nope.db")
        let error = #expect(throws: SQLiteSnapshotError.self) { try snapshot(of: source, into: dir.file("s.db")) }
        #expect(error?.code == .noSuchFile)
        #expect(error?.description.contains("no such file") == true)
        #expect(error?.path == source.path)
        #expect(!FileManager.default.fileExists(atPath: source.path))
        #expect(!FileManager.default.fileExists(atPath: dir.file("s.db").path))
    }

    @Test(arguments: [
        ("x.db", Data("not a database, just text\n".utf8), "not a SQLite database"),
        ("empty.db", Data(), "the file is empty"),
        ("short.db", Data("SQLite".utf8), "not a SQLite database"),
    ])
    func nonDatabaseSourceIsRejected(_ name: String, _ content: Data, _ expected: String) throws {
        let dir = try TempDir("snap-notadb")
        let source = dir.file(name)
        try content.write(to: source)
        let error = #expect(throws: SQLiteSnapshotError.self) { try snapshot(of: source, into: dir.file("s.db")) }
        #expect(error?.code == .notADatabase)
        #expect(error?.description.contains(expected) == true)
        #expect(try Data(contentsOf: source) == content)
        #expect(!FileManager.default.fileExists(atPath: dir.file("s.db").path))
    }

    @Test func existingDestinationIsNeverOverwritten() throws {
        let dir = try TempDir("snap-exists")
        let source = dir.file("src.db")
        try sqlite3CLI(source, "CREATE TABLE t(v); INSERT INTO t VALUES (1);")
        let snap = dir.file("snap.db")
        try Data("keep me".utf8).write(to: snap)
        let error = #expect(throws: SQLiteSnapshotError.self) { try snapshot(of: source, into: snap) }
        #expect(error?.code == .destinationExists)
        #expect(try Data(contentsOf: snap) == Data("keep me".utf8))
    }

    @Test func missingDestinationFolderIsReported() throws {
        let dir = try TempDir("snap-nofolder")
        let source = dir.file("src.db")
        try sqlite3CLI(source, "CREATE TABLE t(v);")
        let error = #expect(throws: SQLiteSnapshotError.self) {
            try snapshot(of: source, into: dir.file("no/such/folder/s.db"))
        }
        #expect(error?.code == .folderMissing)
    }

    @Test func rollbackJournalSourceWaitsForAWriterThenCopiesItsCommittedState() throws {
        let dir = try TempDir("snap-rollback")
        let source = dir.file("rb.db")
        try sqlite3CLI(source, "PRAGMA journal_mode=DELETE; CREATE TABLE t(v); INSERT INTO t VALUES (1);")
        let ready = dir.file("ready")
        // A writer holds a write transaction for a moment, then commits; the snapshot waits (busy timeout)
        // and must see the committed row, never the half-done transaction.
        let writer = try BackgroundProcess(python: """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN EXCLUSIVE")
            c.execute("INSERT INTO t VALUES (2)")
            open(sys.argv[2], "w").close()
            time.sleep(0.7)
            c.execute("COMMIT")
            """, [source.path, ready.path], scratch: dir)
        try waitForFile(ready, seconds: 120, process: writer)
        let info = try snapshot(of: dir.file("rb.db"), into: dir.file("snap.db"))
        #expect(try writer.wait(seconds: 20) == 0)
        #expect(info.sourceJournalMode == "delete")
        #expect(info.rowCounts == ["t": 2])
        #expect(try sqlite3CLI(dir.file("snap.db"), "PRAGMA integrity_check") == "ok")
    }

    @Test func integrityCheckAndRowCountsRejectDamagedFiles() throws {
        let dir = try TempDir("snap-damaged")
        let good = dir.file("good.db")
        try sqlite3CLI(good, """
            CREATE TABLE t(id INTEGER PRIMARY KEY, pad TEXT);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
              INSERT INTO t SELECT i, printf('%.200c', 'x') FROM n;
            """)
        try integrityCheck(path: good.path)
        #expect(try rowCounts(path: good.path) == ["t": 3000])
        let bad = dir.file("bad.db")
        try damage(good, into: bad, how: .pageHeader)
        let error = #expect(throws: SQLiteSnapshotError.self) { try integrityCheck(path: bad.path) }
        #expect(error?.code == .integrityCheckFailed)
        #expect(try sqlite3CLI(bad, "PRAGMA integrity_check") != "ok")
        #expect(throws: SQLiteSnapshotError.self) { try rowCounts(path: bad.path) }
        #expect(throws: SQLiteSnapshotError.self) { try integrityCheck(path: dir.file("absent.db").path) }
    }
}

/// The permission bits of a file.
func filePermissions(_ file: URL) throws -> Int {
    try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber).intValue
}

/// Ways to damage a database file for the tests.
enum Damage: String, CaseIterable, Sendable {
    /// Cut the file in half.
    case truncated
    /// Overwrite the b-tree header of page 2 (page type, cell count, content offset).
    case pageHeader
    /// Overwrite the header magic.
    case magic
}

/// Copies `source` to `destination` and damages the copy.
func damage(_ source: URL, into destination: URL, how: Damage) throws {
    var data = try Data(contentsOf: source)
    let pageSize = Int(data[16]) << 8 | Int(data[17])
    switch how {
    case .truncated:
        data = data.prefix(data.count / 2)
    case .pageHeader:
        precondition(data.count >= 2 * pageSize + 8)
        for i in 0..<8 { data[pageSize + i] = 0xA5 }
    case .magic:
        for i in 0..<6 { data[i] = UInt8(ascii: "X") }
    }
    try data.write(to: destination)
}
