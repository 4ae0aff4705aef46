import Foundation
import LibPQ
@testable import Migration
import SQLite
import TestSupport
import Testing

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Builds the materials-management fixture database with the sqlite3 CLI.
func buildFixture(in dir: TempDir, name: String = "mms.db") throws -> String {
    let path = dir.file(name).path
    let script = repositoryRoot.appendingPathComponent("Fixtures/migration/mms.sql").path
    let result = try shell("sqlite3 '\(path)' < '\(script)'")
    guard result.status == 0 else { throw TestSupportError("sqlite3 failed: \(result.stderr)") }
    return path
}

/// Compares every row of every table value by value, independently of the migration's own checksum.
///
/// PostgreSQL values are read as text (timestamps as `to_char`), SQLite values by storage class, and each
/// pair is compared by the PostgreSQL column type.
func compareEveryValue(sqlitePath: String, pg: LibPQ.Connection, schema: String = "public") throws -> Int {
    let db = try SQLite.Connection(path: sqlitePath, options: [.readOnly])
    let source = try SourceSchema.read(from: db)
    var compared = 0
    for table in source.tables {
        let types = try pg.query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
            [schema, table.name]).rows
        var typeOf: [String: String] = [:]
        for row in types { typeOf[try row.string("column_name")] = try row.string("data_type") }
        let order = table.primaryKey.isEmpty ? ["rowid"] : table.primaryKey
        var sqliteColumns: [String] = []
        var pgColumns: [String] = []
        for column in table.columns {
            let type = try #require(typeOf[column.name], "column \(table.name).\(column.name) missing in PostgreSQL")
            let q = quoteIdentifier(column.name)
            if type.hasPrefix("timestamp") {
                sqliteColumns.append("strftime('%Y-%m-%d %H:%M:%f', \(q))")
                pgColumns.append("to_char(\(q), 'YYYY-MM-DD HH24:MI:SS.MS')")
            } else {
                sqliteColumns.append(q)
                pgColumns.append("\(q)::text")
            }
        }
        let sqliteRows = try db.query("SELECT \(sqliteColumns.joined(separator: ", ")) FROM \(quoteIdentifier(table.name)) ORDER BY \(order.map(quoteIdentifier).joined(separator: ", "))")
        let pgResult = try pg.execute("SELECT \(pgColumns.joined(separator: ", ")) FROM \(pgIdentifier(schema)).\(pgIdentifier(table.name)) AS t ORDER BY \(order.map { "t." + pgIdentifier($0) }.joined(separator: ", "))")
        #expect(pgResult.rowCount == sqliteRows.count, "row count of \(table.name)")
        for (r, row) in sqliteRows.enumerated() where r < pgResult.rowCount {
            for (c, column) in table.columns.enumerated() {
                let expected = row.values[c]
                let actual = pgResult[r, c]
                let type = typeOf[column.name]!
                let where_ = "\(table.name) row \(r) column \(column.name) (\(type))"
                switch expected {
                case .null:
                    #expect(actual == nil, "\(where_): expected NULL, got \(actual ?? "")")
                case .integer(let v):
                    switch type {
                    case "boolean": #expect(actual == (v == 1 ? "true" : "false") || actual == (v == 1 ? "t" : "f"), "\(where_)")
                    case "double precision", "numeric": #expect(actual.flatMap(Double.init) == Double(v), "\(where_): \(actual ?? "NULL") vs \(v)")
                    default: #expect(actual == String(v), "\(where_): \(actual ?? "NULL") vs \(v)")
                    }
                case .real(let d):
                    let parsed = actual.flatMap(Double.init)
                    #expect(parsed?.bitPattern == d.bitPattern || (parsed == 0 && d == 0), "\(where_): \(actual ?? "NULL") vs \(d)")
                case .text(let s):
                    #expect(actual == s, "\(where_): \(actual ?? "NULL") vs \(s)")
                case .blob(let b):
                    if type == "bytea" {
                        #expect(actual == "\\x" + b.map { String(format: "%02x", $0) }.joined(), "\(where_)")
                    } else {
                        #expect(actual == String(decoding: b, as: UTF8.self), "\(where_)")
                    }
                }
                compared += 1
            }
        }
    }
    return compared
}

@Suite("Migration against the real PostgreSQL server", .serialized)
struct MigrationIntegrationTests {
    @Test func materialsDatabaseMigratesAndEveryValueMatches() throws {
        let dir = try TempDir("migrate")
        let source = try buildFixture(in: dir)
        let database = try PostgresTestServer.freshDatabase("mig")
        let url = try PostgresTestServer.url(database: database)
        var options = MigrationOptions(sqlitePath: source, postgresURL: url)
        options.csvDirectory = dir.file("csv").path
        options.jobs = 3
        options.splitRows = 2  // every table in rowid ranges over several readers, then joined
        let report = try Migrator.run(options)
        #expect(report.problems == [])
        #expect(report.isComplete)
        #expect(report.committed)
        #expect(report.tables.map(\.table) == ["suppliers", "users", "materials", "stock_movements"])
        #expect(report.tables.map(\.loadedRows) == [3, 5, 5, 5])
        #expect(report.tables.allSatisfy { $0.verified })

        let pg = try LibPQ.Connection(url)
        let compared = try compareEveryValue(sqlitePath: source, pg: pg)
        #expect(compared == 3 * 7 + 5 * 9 + 5 * 12 + 5 * 6)

        // Types chosen from declared types and the data.
        func type(_ table: String, _ column: String) throws -> String {
            try pg.query("SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2",
                         ["public.\(pgIdentifier(table))", column]).rows.first?.string("t") ?? "missing"
        }
        #expect(try type("suppliers", "rating") == "double precision")
        #expect(try type("suppliers", "active") == "boolean")
        #expect(try type("suppliers", "created_at") == "timestamp without time zone")
        #expect(try type("suppliers", "contact_email") == "character varying(120)")
        #expect(try type("users", "balance") == "numeric(12,2)")
        #expect(try type("users", "joined") == "date")
        #expect(try type("users", "avatar") == "bytea")
        #expect(try type("materials", "updated_at") == "text")  // text and unix integers mixed
        #expect(report.warnings.contains { $0.contains("updated_at") })
        // NOT NULL kept, identities, generated column, keys, indexes, checks, view.
        #expect(try PostgresTestServer.psql("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'materials'::regclass AND attname = 'code'", database: database) == "t")
        #expect(try PostgresTestServer.psql("SELECT attidentity FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'id'", database: database) == "d")
        #expect(try PostgresTestServer.psql("SELECT attgenerated FROM pg_attribute WHERE attrelid = 'materials'::regclass AND attname = 'total_weight'", database: database) == "s")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace", database: database) == "3")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace", database: database) == "2")
        #expect(try PostgresTestServer.psql("SELECT string_agg(conrelid::regclass::text, ',' ORDER BY conrelid::regclass::text) FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace", database: database)
                == "materials,stock_movements,suppliers,users")
        #expect(try PostgresTestServer.psql("SELECT indexdef FROM pg_indexes WHERE indexname = 'materials_supplier'", database: database)
                .hasSuffix("WHERE (supplier_id IS NOT NULL)"))
        #expect(try PostgresTestServer.psql("SELECT string_agg(code, ',' ORDER BY code) FROM low_stock", database: database) == "M-002,M-003,M-004")
        // Sequences continue past the largest id, and past AUTOINCREMENT's high-water mark.
        #expect(try PostgresTestServer.psql("INSERT INTO suppliers (name) VALUES ('New') RETURNING id", database: database) == "5")
        #expect(try PostgresTestServer.psql("INSERT INTO materials (code, name) VALUES ('N', 'n') RETURNING id", database: database) == "7")
        #expect(try PostgresTestServer.psql("INSERT INTO users (username) VALUES ('new') RETURNING id", database: database) == "11")
        // COLLATE NOCASE: the unique name is case-insensitive, as in SQLite.
        #expect(throws: (any Error).self) { try PostgresTestServer.psql("INSERT INTO suppliers (name) VALUES ('ACME INDUSTRIAL')", database: database) }
        // psql's \copy reads the kept CSV files back to the same rows (NULL and '' stay distinct).
        try PostgresTestServer.psql("CREATE TABLE users_copy (LIKE users)", database: database)
        let copy = try runProcess("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                                           "\\copy users_copy FROM '\(dir.file("csv/users.csv").path)' WITH (FORMAT csv)"])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM (SELECT * FROM users WHERE id <= 10 EXCEPT SELECT * FROM users_copy) d", database: database) == "0")
        #expect(try PostgresTestServer.psql("SELECT count(*) FILTER (WHERE display_name = ''), count(*) FILTER (WHERE is_admin IS NULL) FROM users_copy", database: database) == "1|1")
        // The CSV files are PostgreSQL's CSV dialect: NULL is an empty field, '' is "".
        let users = try String(contentsOfFile: dir.file("csv/users.csv").path, encoding: .utf8)
        #expect(users.contains("\"10\",\"eve\",\"\","))
        #expect(users.contains("\"4\",\"dmitri\",\"Дмитрий 🚀\",,"))
    }

    @Test func verificationCatchesWhatPgloaderGetsWrong() throws {
        let dir = try TempDir("migrate-verify")
        let source = try buildFixture(in: dir)
        let database = try PostgresTestServer.freshDatabase("migver")
        let url = try PostgresTestServer.url(database: database)
        let report = try Migrator.run(MigrationOptions(sqlitePath: source, postgresURL: url))
        #expect(report.isComplete, "\(report.problems)")
        let db = try SQLite.Connection(path: source, options: [.readOnly])
        let plan = planMigration(try SourceSchema.read(from: db), profiles: nil, targetSchema: "public")
        let pg = try LibPQ.Connection(url)
        try pg.execute("SET extra_float_digits = 1; SET bytea_output = 'hex'; SET DateStyle = 'ISO, YMD'")
        func checksum(_ table: String) throws -> String {
            try targetChecksum(plan.tables.first { $0.source.name == table }!, connection: pg).description
        }
        let expected = report.tables.first { $0.table == "suppliers" }!.sourceChecksum
        #expect(try checksum("suppliers") == expected)
        // Floats squeezed into float4 (pgloader's REAL mapping), text cut at a NUL, a lost row: all caught.
        try pg.execute("ALTER TABLE suppliers ALTER COLUMN rating TYPE real USING least(rating, 1e38)")
        #expect(try checksum("suppliers") != expected)
        try pg.execute("ALTER TABLE suppliers ALTER COLUMN rating TYPE double precision")
        let users = report.tables.first { $0.table == "users" }!.sourceChecksum
        try pg.execute("UPDATE users SET display_name = left(display_name, 3) WHERE id = 3")
        #expect(try checksum("users") != users)
        let movements = report.tables.first { $0.table == "stock_movements" }!.sourceChecksum
        #expect(try checksum("stock_movements") == movements)
        try pg.execute("DELETE FROM stock_movements WHERE seq = 2")
        #expect(try checksum("stock_movements") != movements)
    }

    @Test func badRowsAreReportedPreciselyAndAbortLeavesTheTargetUntouched() throws {
        let dir = try TempDir("migrate-bad")
        let path = dir.file("bad.db").path
        let db = try SQLite.Connection(path: path)
        // WAL mode: the export runs in one read transaction on one connection (the fixture tests the
        // parallel rollback-journal path).
        try db.execute("PRAGMA journal_mode = WAL")
        try db.execute("""
            CREATE TABLE parts (id INTEGER PRIMARY KEY, qty INTEGER, label TEXT);
            INSERT INTO parts VALUES (1, 5, 'fine'), (2, 'twelve', 'bad qty'), (3, 7, CAST(X'6E756C00627974' AS TEXT)),
                                     (4, 8, CAST(X'FF41' AS TEXT)), (5, 9, 'fine too');
            CREATE TABLE notes (body TEXT);
            INSERT INTO notes VALUES ('ok');
            """)
        let database = try PostgresTestServer.freshDatabase("migbad")
        let url = try PostgresTestServer.url(database: database)
        let report = try Migrator.run(MigrationOptions(sqlitePath: path, postgresURL: url))
        #expect(!report.isComplete)
        #expect(!report.committed)
        #expect(report.rowErrors == [
            RowError(table: "parts", row: "rowid 2", column: "qty", reason: "text 'twelve' is not an integer"),
            RowError(table: "parts", row: "rowid 3", column: "label", reason: "text contains a NUL byte at offset 3 (PostgreSQL text cannot hold it)"),
            RowError(table: "parts", row: "rowid 4", column: "label", reason: "text is not valid UTF-8"),
        ])
        #expect(report.render().contains("parts rowid 2 column qty: text 'twelve' is not an integer"))
        #expect(report.render().contains("Nothing was committed to the target."))
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace", database: database) == "0")

        // With --on-error skip the good rows go in, the bad ones are reported, and the run is still incomplete.
        var skip = MigrationOptions(sqlitePath: path, postgresURL: url)
        skip.onError = .skip
        let skipped = try Migrator.run(skip)
        #expect(skipped.committed)
        #expect(!skipped.isComplete)
        #expect(skipped.tables.first { $0.table == "parts" }?.loadedRows == 2)
        #expect(skipped.tables.allSatisfy { $0.verified })
        #expect(try PostgresTestServer.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM parts", database: database) == "1,5")
    }

    @Test func rowErrorsFromParallelRangesKeepRowOrder() throws {
        let dir = try TempDir("migrate-split")
        let path = dir.file("split.db").path
        let db = try SQLite.Connection(path: path)
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)")
        for i in 1...50 { try db.execute("INSERT INTO t VALUES (\(i), \(i == 7 || i == 44 ? "'bad\(i)'" : String(i)))") }
        let database = try PostgresTestServer.freshDatabase("migsplit")
        var options = MigrationOptions(sqlitePath: path, postgresURL: try PostgresTestServer.url(database: database))
        options.splitRows = 2
        options.jobs = 4
        let report = try Migrator.run(options)
        #expect(report.rowErrors.map(\.row) == ["rowid 7", "rowid 44"])
        #expect(!report.committed)
        options.onError = .skip
        let skipped = try Migrator.run(options)
        #expect(skipped.tables.first?.loadedRows == 48)
        #expect(skipped.tables.first?.verified == true)
        #expect(try PostgresTestServer.psql("SELECT sum(n) FROM t", database: database) == String((1...50).reduce(0, +) - 7 - 44))
    }

    @Test func refusesTablesWithRowsUnlessReplace() throws {
        let dir = try TempDir("migrate-replace")
        let source = try buildFixture(in: dir)
        let database = try PostgresTestServer.freshDatabase("migrep")
        let url = try PostgresTestServer.url(database: database)
        try PostgresTestServer.psql("CREATE TABLE users (x int); INSERT INTO users VALUES (1)", database: database)
        var options = MigrationOptions(sqlitePath: source, postgresURL: url)
        options.tables = ["users"]
        #expect(throws: MigrationError.self) { try Migrator.run(options) }
        #expect(try PostgresTestServer.psql("SELECT x FROM users", database: database) == "1")
        options.replace = true
        let report = try Migrator.run(options)
        #expect(report.isComplete, "\(report.problems)")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM users", database: database) == "5")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_class WHERE relname = 'materials'", database: database) == "0")
    }

    @Test func schemaOptionAndOddNames() throws {
        let dir = try TempDir("migrate-schema")
        let path = dir.file("odd.db").path
        let db = try SQLite.Connection(path: path)
        try db.execute(#"""
            CREATE TABLE "Order Items; DROP TABLE x" ("Qty ""q""" INTEGER NOT NULL, "select" TEXT, [ünïcode] REAL);
            INSERT INTO "Order Items; DROP TABLE x" VALUES (1, 'a', 0.5), (2, NULL, NULL);
            CREATE TRIGGER t AFTER INSERT ON "Order Items; DROP TABLE x" BEGIN SELECT 1; END;
            """#)
        let database = try PostgresTestServer.freshDatabase("migodd")
        var options = MigrationOptions(sqlitePath: path, postgresURL: try PostgresTestServer.url(database: database))
        options.schema = "Legacy Data"
        let report = try Migrator.run(options)
        #expect(report.tables.allSatisfy { $0.verified })
        // Triggers are reported, never silently dropped: the run is not complete.
        #expect(!report.isComplete)
        #expect(report.problems == ["trigger t on Order Items; DROP TABLE x not migrated: triggers are not migrated; recreate it as a PL/pgSQL trigger"])
        #expect(try PostgresTestServer.psql("SELECT sum(\"Qty \"\"q\"\"\") FROM \"Legacy Data\".\"Order Items; DROP TABLE x\"", database: database) == "3")
    }

    @Test func dryRunPlanMatchesTheGoldenFile() throws {
        let dir = try TempDir("migrate-dry")
        let source = try buildFixture(in: dir)
        // A dry run never connects: an unreachable target proves it.
        var options = MigrationOptions(sqlitePath: source, postgresURL: "postgresql://nobody@127.0.0.1:1/none")
        options.dryRun = true
        let report = try Migrator.run(options)
        let text = ((report.ddl ?? "") + "\n" + report.render()).replacingOccurrences(of: source, with: "mms.db")
        let expected = try Golden.expected(text, at: "Fixtures/migration/mms-dry-run.txt")
        #expect(text == expected, "\(Golden.differs("Fixtures/migration/mms-dry-run.txt"))")
    }

    @Test func commandLineExitsNonZeroOnRowErrorsAndPrintsJSON() throws {
        let dir = try TempDir("migrate-cli")
        let path = dir.file("bad.db").path
        let db = try SQLite.Connection(path: path)
        try db.execute("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), ('x');")
        let database = try PostgresTestServer.freshDatabase("migcli")
        let url = try PostgresTestServer.url(database: database)
        let result = try vaultops(["migrate", path, url, "--json"])
        #expect(result.status == 1, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
        let errors = json?["rowErrors"] as? [[String: Any]]
        #expect(errors?.first?["row"] as? String == "rowid 2")
        #expect(!result.stdout.contains("vaultops-test-"), "the password must not appear")
        let usage = try vaultops(["migrate", path, url, "--on-error", "maybe"])
        #expect(usage.status == 2)
    }
}
