import Foundation
import SQLite
import Testing
import TestSupport

@Suite("SQLite wrapper")
struct ConnectionTests {
    static let roundTripValues: [SQLiteValue] = [
        .integer(Int64.min), .integer(Int64.max), .integer(0), .integer(-1),
        .real(3.141592653589793), .real(-0.5), .real(Double.greatestFiniteMagnitude), .real(Double.leastNonzeroMagnitude),
        .text("plain"), .text(""), .text("轴承 Überwurfmutter Ø20 🔧"), .text("NUL\0inside"), .text("quote ' and \" and\nnewline"),
        .blob(Data([0, 1, 0, 255, 0])), .blob(Data()), .blob(Data((0...255).map(UInt8.init))),
        .null,
    ]

    @Test("bind and read back every storage class", arguments: roundTripValues)
    func roundTrip(_ value: SQLiteValue) throws {
        let db = try Connection(path: ":memory:")
        // A column without a declared type has no affinity, so every value keeps its storage class.
        try db.execute("CREATE TABLE t(v)")
        let insert = try db.prepare("INSERT INTO t(v) VALUES (?)")
        try insert.bind(value, at: 1)
        try insert.run()
        let rows = try db.query("SELECT v, typeof(v) FROM t")
        try #require(rows.count == 1)
        #expect(rows[0][0] == value)
        let expectedType: String = switch value {
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        case .null: "null"
        }
        #expect(rows[0][1] == .text(expectedType))
        let select = try db.prepare("SELECT v FROM t")
        #expect(try select.step())
        #expect(select.columnType(0) == value.type)
        #expect(try !select.step())
    }

    @Test func typedBindingsByIndexAndReuseAfterReset() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
        #expect(insert.parameterCount == 5)
        for k in 0..<3 {
            try insert.bind(Int64(k), at: 1)
            try insert.bind(Double(k) + 0.25, at: 2)
            try insert.bind("row \(k) 行", at: 3)
            try insert.bind(Data([UInt8(k), 0, UInt8(k)]), at: 4)
            try insert.bindNull(at: 5)
            try insert.run()
            try insert.reset()
        }
        let rows = try db.query("SELECT i, r, s, b, n FROM t WHERE i >= ? ORDER BY i", [.integer(1)])
        #expect(rows.map(\.values) == [
            [.integer(1), .real(1.25), .text("row 1 行"), .blob(Data([1, 0, 1])), .null],
            [.integer(2), .real(2.25), .text("row 2 行"), .blob(Data([2, 0, 2])), .null],
        ])
        #expect(rows[0]["s"] == .text("row 1 行"))
        #expect(rows[0].columns == ["i", "r", "s", "b", "n"])
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(3))
        #expect(try db.scalar("SELECT i FROM t WHERE i > 99") == nil)
    }

    @Test func wrongParameterCountIsAnError() throws {
        let db = try Connection(path: ":memory:")
        let error = #expect(throws: SQLiteError.self) { try db.query("SELECT ?, ?", [.integer(1)]) }
        #expect(error?.message.contains("2 parameters but 1 values") == true)
    }

    @Test func errorCarriesCodesMessageSQLAndPath() throws {
        let dir = try TempDir("sqlite-err")
        let path = dir.file("e.db").path
        let db = try Connection(path: path)
        try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, code TEXT UNIQUE)")
        let missing = #expect(throws: SQLiteError.self) { try db.prepare("SELECT *\nFROM nope") }
        #expect(missing?.code == 1)
        #expect(missing?.codeName == "SQLITE_ERROR")
        #expect(missing?.message == "no such table: nope")
        #expect(missing?.sql == "SELECT * …")
        #expect(missing?.path == path)
        #expect(missing?.description.contains("no such table: nope") == true)
        #expect(missing?.description.contains(path) == true)

        try db.execute("INSERT INTO t(code) VALUES ('A')")
        let duplicate = #expect(throws: SQLiteError.self) { try db.query("INSERT INTO t(code) VALUES (?)", [.text("A")]) }
        #expect(duplicate?.code == 19)  // SQLITE_CONSTRAINT
        #expect(duplicate?.extendedCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE
        #expect(duplicate?.message.contains("UNIQUE constraint failed: t.code") == true)

        let syntax = #expect(throws: SQLiteError.self) { try db.execute("CREATE TABLE (") }
        #expect(syntax?.message.contains("syntax error") == true)
    }

    @Test func readOnlyOpenOfMissingFileFailsAndCreatesNothing() throws {
        let dir = try TempDir("sqlite-missing")
        let path = dir.file("absent.db").path
        let error = #expect(throws: SQLiteError.self) { try Connection(path: path, options: [.readOnly]) }
        #expect(error?.isCantOpen == true)
        #expect(error?.message.contains("no such file") == true)
        #expect(error?.path == path)
        #expect(!FileManager.default.fileExists(atPath: path))
        // Read-write without .create must not create it either.
        #expect(throws: SQLiteError.self) { try Connection(path: path, options: [.readWrite]) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func textFileNamedDotDBIsNotADatabase() throws {
        let dir = try TempDir("sqlite-notadb")
        let file = dir.file("x.db")
        try Data("id,name\n1,pump\n".utf8).write(to: file)
        #expect(!Connection.isSQLiteDatabase(path: file.path))
        let error = #expect(throws: SQLiteError.self) { try Connection(path: file.path, options: [.readOnly]) }
        #expect(error?.isNotADatabase == true)
        #expect(error?.description.contains("not a SQLite database") == true)
        // The file is left as it was.
        #expect(try Data(contentsOf: file) == Data("id,name\n1,pump\n".utf8))
        #expect(Connection.isSQLiteDatabase(path: sqliteFixtures.appendingPathComponent("mms.db").path))
        #expect(!Connection.isSQLiteDatabase(path: dir.file("nothing.db").path))
    }

    @Test func transactionsCommitOrRollBack() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t(v INTEGER NOT NULL)")
        try db.transaction(.immediate) { try db.execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)") }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (3)")
                throw Boom()
            }
        }
        #expect(throws: SQLiteError.self) {
            try db.transaction(.exclusive) {
                try db.execute("INSERT INTO t VALUES (4)")
                try db.execute("INSERT INTO t VALUES (NULL)")
            }
        }
        #expect(db.isAutocommit)
        #expect(try db.query("SELECT v FROM t ORDER BY v").map { $0[0] } == [.integer(1), .integer(2)])
    }

    @Test func prepareTakesExactlyOneStatement() throws {
        let db = try Connection(path: ":memory:")
        let error = #expect(throws: SQLiteError.self) { try db.prepare("SELECT 1; SELECT 2") }
        #expect(error?.message.contains("one statement") == true)
        #expect(try db.scalar("SELECT 1;  ") == .integer(1))
        #expect(throws: SQLiteError.self) { try db.prepare("-- only a comment") }
    }

    @Test func uriFilenamesHonourReadOnlyMode() throws {
        let dir = try TempDir("sqlite-uri")
        let path = dir.file("u.db").path
        try Connection(path: path).execute("CREATE TABLE t(v); INSERT INTO t VALUES (1)")
        let db = try Connection(path: "file:\(path)?mode=ro", options: [.readWrite, .uri])
        #expect(try db.scalar("SELECT v FROM t") == .integer(1))
        let error = #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO t VALUES (2)") }
        #expect(error?.code == 8)  // SQLITE_READONLY
    }

    @Test func busyTimeoutGivesUpOnALockHeldByAnotherProcess() throws {
        let dir = try TempDir("sqlite-busy")
        let db = dir.file("busy.db")
        try Connection(path: db.path).execute("CREATE TABLE t(v)")
        let ready = dir.file("ready")
        let holder = try BackgroundProcess(python: """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN EXCLUSIVE")
            open(sys.argv[2], "w").close()
            time.sleep(3600)  # held until the test releases it (deinit); an hour is only a backstop
            """, [db.path, ready.path], scratch: dir)
        try waitForFile(ready, seconds: 120, process: holder)
        let connection = try Connection(path: db.path, options: [.readWrite])
        try connection.setBusyTimeout(milliseconds: 100)
        let started = Date()
        let error = #expect(throws: SQLiteError.self) { try connection.execute("INSERT INTO t VALUES (1)") }
        #expect(error?.isBusy == true)
        #expect(Date().timeIntervalSince(started) >= 0.09)
    }

    @Test func interoperatesWithTheSQLite3CLI() throws {
        let dir = try TempDir("sqlite-cli")
        let ours = dir.file("ours.db")
        let db = try Connection(path: ours.path)
        try db.execute("CREATE TABLE t(s TEXT, b BLOB, r REAL)")
        _ = try db.query("INSERT INTO t VALUES (?, ?, ?)", [.text("Кабель 3×2.5 🔧"), .blob(Data([0xDE, 0, 0xAD])), .real(0.1)])
        #expect(try sqlite3CLI(ours, "SELECT s, hex(b), r FROM t") == "Кабель 3×2.5 🔧|DE00AD|0.1")

        let theirs = dir.file("theirs.db")
        try sqlite3CLI(theirs, "CREATE TABLE u(s TEXT, b BLOB); INSERT INTO u VALUES ('Ø20 轴承', x'00FF00');")
        let rows = try Connection(path: theirs.path, options: [.readOnly]).query("SELECT s, b FROM u")
        #expect(rows.map(\.values) == [[.text("Ø20 轴承"), .blob(Data([0, 0xFF, 0]))]])
    }

    @Test(arguments: [
        ("materials", "\"materials\""),
        ("with space", "\"with space\""),
        ("odd \"quoted\" name", "\"odd \"\"quoted\"\" name\""),
        ("材料", "\"材料\""),
        ("", "\"\""),
        ("x\"; DROP TABLE t; --", "\"x\"\"; DROP TABLE t; --\""),
    ])
    func quotesIdentifiers(_ name: String, _ quoted: String) throws {
        #expect(quoteIdentifier(name) == quoted)
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE \(quoted)(v)")
        #expect(try db.scalar("SELECT name FROM sqlite_master") == .text(name))
    }
}
