import Foundation
import LibPQ
@testable import Migration
import SQLite
import TestSupport
import Testing

/// The export's reference: each value through `ValueCodec.transfer`, rows assembled the way the export
/// documents it (quoted fields, `""` escapes, canonical 0 / 1 + length + bytes), independently of the
/// in-place encoder.
private func referenceExport(_ values: [[SourceValue]], kinds: [ValueKind]) -> (csv: [UInt8], checksum: RowChecksum, profiles: [ColumnProfile], errors: [String]) {
    var csv: [UInt8] = []
    var checksum = RowChecksum()
    var profiles = kinds.map { _ in ColumnProfile() }
    var errors: [String] = []
    for row in values {
        var line: [UInt8] = []
        var canonical: [UInt8] = []
        var failed = false
        for (index, value) in row.enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            var out: [UInt8] = []
            var normalized: [UInt8] = []
            switch ValueCodec.transfer(value, kind: kinds[index], into: &out, canonical: &normalized, profile: &profiles[index]) {
            case .success(true):
                line.append(UInt8(ascii: "\""))
                for byte in out {
                    if byte == UInt8(ascii: "\"") { line.append(byte) }
                    line.append(byte)
                }
                line.append(UInt8(ascii: "\""))
                let bytes = ValueCodec.sourceCanonicalIsIdentity(kinds[index]) ? out : normalized
                canonical.append(1)
                appendLength(bytes.count, to: &canonical)
                canonical += bytes
            case .success(false):
                canonical.append(0)
            case .failure(let error):
                failed = true
                errors.append(error.reason)
            }
        }
        if failed { continue }
        csv += line + [UInt8(ascii: "\n")]
        checksum.add(rowBytes: canonical)
    }
    return (csv, checksum, profiles, errors)
}

@Suite("Streaming export: in-place encoder against ValueCodec")
struct StreamingExportTests {
    /// Values of every storage class, including the awkward ones.
    static let samples: [SQLiteValue] = [
        .null, .integer(0), .integer(1), .integer(-1), .integer(42), .integer(Int64.max), .integer(Int64.min),
        .integer(9_007_199_254_740_993), .real(0.1), .real(-2.5), .real(1e20), .real(100), .real(.infinity), .real(-0.0),
        .text(""), .text("plain"), .text("with \"quotes\", commas\nand newlines\r"), .text("ünïcödé 🚀"), .text("42"),
        .text("-17"), .text("1e3"), .text("true"), .text("No"), .text("2024-02-29"), .text("2023-02-29"),
        .text("2024-01-05 10:00"), .text("2024-01-05T10:00:00.120000"), .text("2024-1-5"),
        .blob(Data()), .blob(Data([0x00, 0xAB, 0x22])), .blob(Data("clean text".utf8)), .blob(Data([0xFF, 0x41])),
    ]

    @Test(arguments: ValueKind.allCases)
    func inPlaceEncoderMatchesTransfer(_ kind: ValueKind) throws {
        let dir = try TempDir("migrate-encoder")
        let db = try SQLite.Connection(path: dir.file("v.db").path)
        // No declared type: SQLite keeps every value in the storage class it was given.
        try db.execute("CREATE TABLE t (v)")
        var values: [[SourceValue]] = []
        for sample in Self.samples {
            let insert = try db.prepare("INSERT INTO t VALUES (?)")
            try insert.bind(sample, at: 1)
            try insert.run()
            switch sample {
            case .null: values.append([.null])
            case .integer(let v): values.append([.integer(v)])
            case .real(let d): values.append([.real(d)])
            case .text(let s): values.append([.text(Data(s.utf8))])
            case .blob(let b): values.append([.blob(b)])
            }
        }
        // Text with a NUL byte and invalid UTF-8, stored as text.
        try db.execute("INSERT INTO t VALUES (CAST(X'6E756C00627974' AS TEXT)), (CAST(X'FF41' AS TEXT)), (CAST(X'C0AF' AS TEXT))")
        values += [[.text(Data([0x6E, 0x75, 0x6C, 0x00, 0x62, 0x79, 0x74]))], [.text(Data([0xFF, 0x41]))], [.text(Data([0xC0, 0xAF]))]]
        let table = try #require(try SourceSchema.read(from: db).tables.first)
        var csv: [UInt8] = []
        // A tiny chunk size: rows are handed over whole, in many calls.
        let export = try exportTable(table, kinds: [kind], db: db, chunkSize: 16) { csv += $0 }
        let expected = referenceExport(values, kinds: [kind])
        #expect(String(decoding: csv, as: UTF8.self) == String(decoding: expected.csv, as: UTF8.self))
        #expect(csv == expected.csv)
        #expect(export.checksum == expected.checksum)
        #expect(export.profiles == expected.profiles)
        #expect(export.rowErrors.map(\.reason) == expected.errors)
        #expect(export.rows + export.skipped == Int64(values.count))
        #expect(export.bytes == Int64(csv.count))
    }

    @Test func utf8ValidationMatchesTheStandardLibrary() {
        var cases: [[UInt8]] = [
            [], Array("ascii only, longer than eight bytes".utf8), Array("ünïcödé 🚀 日本".utf8),
            [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
            [0xC2], [0xE2, 0x82], [0xF0, 0x9F, 0x9A], [0x80], [0xFF], [0xF5, 0x80, 0x80, 0x80], [0xEF, 0xBF, 0xBF],
            [0xF4, 0x8F, 0xBF, 0xBF], [0xED, 0x9F, 0xBF], [0xE0, 0xA0, 0x80],
        ]
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xA0, 0x9F, 0x90, 0x8F]
        for _ in 0..<20_000 {
            cases.append((0..<Int.random(in: 1...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        for bytes in cases {
            let expected = String(validating: bytes, as: UTF8.self).map { $0.unicodeScalars.count }
            let actual = bytes.withUnsafeBufferPointer { utf8ScalarCount($0.baseAddress, $0.count) }
            #expect(actual == expected, "\(bytes.map { String(format: "%02X", $0) })")
        }
    }

    @Test(arguments: [Int64.min, Int64.max, 0, -1, 9, 10, -10, 1_000_000, -999_999_999_999])
    func decimalsAreSpelledAsStringDoes(_ v: Int64) {
        var buffer = ByteBuffer(capacity: 4)
        buffer.appendDecimal(v)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == String(v))
    }
}

@Suite("Streaming load against the real PostgreSQL server", .serialized)
struct StreamingLoadTests {
    @Test func typesThatDependOnTheDataMatchTheProfileFirstPlan() throws {
        let dir = try TempDir("migrate-types")
        let path = dir.file("types.db").path
        let db = try SQLite.Connection(path: path)
        // PostgreSQL accepts '2024-1-5' and 'yesterday' for date/timestamp; the profile does not, so the
        // column must end up text (as the dry run's profile-first plan says), not date/timestamp.
        try db.execute("""
            CREATE TABLE a (id INTEGER PRIMARY KEY, d DATE, ts TIMESTAMP, unix DATE, code VARCHAR(3), ok DATETIME);
            INSERT INTO a VALUES (1, '2024-01-05', '2024-01-05 10:00', 1700000000, 'abc', '2024-01-05 10:00:00.5'),
                                 (2, '2024-1-5', 'yesterday', 1700000001, 'abcd', NULL);
            CREATE TABLE b (id INTEGER PRIMARY KEY, at TIMESTAMP);
            INSERT INTO b VALUES (1, 'not a time at all');
            """)
        var dry = MigrationOptions(sqlitePath: path, postgresURL: "postgresql://nobody@127.0.0.1:1/none")
        dry.dryRun = true
        let planned = try Migrator.run(dry)
        let database = try PostgresTestServer.freshDatabase("migtypes")
        let url = try PostgresTestServer.url(database: database)
        let report = try Migrator.run(MigrationOptions(sqlitePath: path, postgresURL: url))
        #expect(report.isComplete, "\(report.problems)")
        #expect(report.tables.allSatisfy { $0.verified })
        #expect(report.warnings == planned.warnings)
        let types = try PostgresTestServer.psql(
            "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attrelid::regclass::text, attnum) FROM pg_attribute WHERE attrelid IN ('a'::regclass, 'b'::regclass) AND attnum > 0",
            database: database)
        #expect(types == "id bigint, d text, ts text, unix bigint, code text, ok timestamp without time zone, id bigint, at text")
        #expect(try compareEveryValue(sqlitePath: path, pg: try LibPQ.Connection(url)) == 2 * 6 + 2)
    }

    @Test func replaceWithABadRowLeavesTheOldTablesInPlace() throws {
        let dir = try TempDir("migrate-replace-bad")
        let path = dir.file("bad.db").path
        let db = try SQLite.Connection(path: path)
        try db.execute("CREATE TABLE parts (id INTEGER PRIMARY KEY, qty INTEGER); INSERT INTO parts VALUES (1, 5), (2, 'many');")
        let database = try PostgresTestServer.freshDatabase("migrepbad")
        try PostgresTestServer.psql("CREATE TABLE parts (old text); INSERT INTO parts VALUES ('kept')", database: database)
        var options = MigrationOptions(sqlitePath: path, postgresURL: try PostgresTestServer.url(database: database))
        options.replace = true
        let report = try Migrator.run(options)
        #expect(!report.committed)
        #expect(report.rowErrors.map(\.row) == ["rowid 2"])
        #expect(try PostgresTestServer.psql("SELECT old FROM parts", database: database) == "kept")
    }

    @Test func abortedRunRemovesTheSchemaItCreated() throws {
        let dir = try TempDir("migrate-abort-schema")
        let path = dir.file("bad.db").path
        let db = try SQLite.Connection(path: path)
        try db.execute("""
            CREATE TABLE good (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE);
            INSERT INTO good VALUES (1, 'a'), (2, 'b');
            CREATE TABLE bad (n INTEGER);
            INSERT INTO bad VALUES (1), ('x'), (3), ('y');
            """)
        let database = try PostgresTestServer.freshDatabase("migabort")
        var options = MigrationOptions(sqlitePath: path, postgresURL: try PostgresTestServer.url(database: database))
        options.schema = "staging"
        options.jobs = 2
        let report = try Migrator.run(options)
        #expect(!report.committed)
        #expect(report.failure == "row errors with --on-error abort: nothing was loaded")
        #expect(report.rowErrors.map(\.row) == ["rowid 2", "rowid 4"])
        #expect(report.tables.map(\.sourceRows) == [2, 4])
        #expect(try PostgresTestServer.psql("SELECT to_regnamespace('staging') IS NULL", database: database) == "t")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_collation WHERE collname = 'nocase'", database: database) == "0")
    }
}
