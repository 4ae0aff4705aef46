import Foundation
import LibPQ
@testable import Migration
import SQLite
import TestSupport
import Testing

/// A translator for a table with the columns the CHECK tests use.
private let checkTranslator = ExpressionTranslator(
    columns: ["status": "status", "qty": "qty", "name": "name", "code": "code", "amount": "amount", "price": "price",
              "data": "data", "unit_price": "unit_price"],
    kinds: ["status": .text, "qty": .integer, "name": .text, "code": .text, "amount": .numeric, "price": .real,
            "data": .blob, "unit_price": .numeric])

private let fold = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'"

@Suite("CHECK translation (pure)")
struct CheckTranslationTests {
    @Test(arguments: [
        ("unit_price >= 0", #""unit_price" >= 0"#),
        ("qty <> 0", #""qty" <> 0"#),
        ("qty == 1", #""qty" = 1"#),
        ("status IN ('open', 'closed')", #""status" IN ('open', 'closed')"#),
        ("status NOT IN ('a', 'b')", #""status" NOT IN ('a', 'b')"#),
        ("code IN (1, 2)", #""code" IN ('1', '2')"#),
        ("qty IN ()", "false"),
        ("qty NOT IN ()", "true"),
        ("qty BETWEEN 1 AND 10", #""qty" BETWEEN 1 AND 10"#),
        ("qty NOT BETWEEN 1 AND 10 AND status = 'x'", #"("qty" NOT BETWEEN 1 AND 10) AND ("status" = 'x')"#),
        ("code BETWEEN 1 AND 5", #""code" BETWEEN '1' AND '5'"#),
        ("name LIKE 'Ab%'", #"translate("name", \#(fold)) LIKE 'ab%' ESCAPE ''"#),
        ("name NOT LIKE 'a!%%' ESCAPE '!'", #"translate("name", \#(fold)) NOT LIKE 'a!%%' ESCAPE '!'"#),
        ("name LIKE code", #"translate("name", \#(fold)) LIKE translate("code", \#(fold)) ESCAPE ''"#),
        ("qty LIKE '1%'", #"translate(("qty")::text, \#(fold)) LIKE '1%' ESCAPE ''"#),
        ("code GLOB 'A*'", #""code" LIKE 'A%'"#),
        ("code GLOB 'ab?*%'", #""code" LIKE 'ab_%\%'"#),
        ("code NOT GLOB '*x*'", #""code" NOT LIKE '%x%'"#),
        ("code GLOB '[A-Z][0-9]*'", #""code" ~ '^[A-Z][0-9].*$'"#),
        ("code GLOB 'a[^x]'", #""code" ~ '^a[^x]$'"#),
        ("code GLOB 'a.[]]'", #""code" ~ '^a\.[]]$'"#),
        ("length(name) <= 3", #"length("name") <= 3"#),
        ("length(qty) < 3", #"length(("qty")::text) < 3"#),
        ("typeof(qty) = 'integer'", #"CASE WHEN "qty" IS NULL THEN 'null' ELSE 'integer' END = 'integer'"#),
        ("typeof(data) IN ('blob', 'null')", #"CASE WHEN "data" IS NULL THEN 'null' ELSE 'blob' END IN ('blob', 'null')"#),
        ("CASE WHEN qty > 0 THEN status = 'open' ELSE status = 'closed' END",
         #"CASE WHEN "qty" > 0 THEN "status" = 'open' ELSE "status" = 'closed' END"#),
        ("CASE status WHEN 'a' THEN 1 ELSE 0 END = 1", #"CASE "status" WHEN 'a' THEN 1 ELSE 0 END = 1"#),
        ("qty IS NOT NULL", #""qty" IS NOT NULL"#),
        ("qty NOTNULL", #""qty" IS NOT NULL"#),
        ("qty IS 5", #""qty" IS NOT DISTINCT FROM 5"#),
        ("qty IS NOT 5", #""qty" IS DISTINCT FROM 5"#),
        ("status = 'a' OR status IS NULL", #"("status" = 'a') OR ("status" IS NULL)"#),
        ("NOT (qty > 5)", #"NOT ("qty" > 5)"#),
        ("-qty < 5", #"-"qty" < 5"#),
        ("length(trim(name)) > 0", #"length(btrim("name")) > 0"#),
        ("CAST(qty AS TEXT) <> ''", #"CAST("qty" AS text) <> ''"#),
        ("price * 2 >= qty + 1", #"("price" * 2) >= ("qty" + 1)"#),
    ])
    func translates(_ sqlite: String, _ postgres: String) throws {
        #expect(try checkTranslator.translateCheck(tokenizeSQL(sqlite)).get() == postgres)
    }

    @Test(arguments: [
        ("code GLOB name", "GLOB"),
        ("name LIKE 'a' ESCAPE 'x'", "ESCAPE"),
        ("strftime('%Y', name) > '2000'", "strftime"),
        ("typeof(amount) = 'real'", "typeof"),
        ("typeof(qty + 1) = 'integer'", "typeof"),
        ("code GLOB 'a[b'", "GLOB"),
        ("qty IN (SELECT 1)", "SELECT"),
        ("price LIKE '1%'", "LIKE"),
    ])
    func untranslatable(_ sqlite: String, _ reasonMentions: String) {
        switch checkTranslator.translateCheck(tokenizeSQL(sqlite)) {
        case .success(let sql): Issue.record("\(sqlite) translated to \(sql)")
        case .failure(let problem): #expect(problem.reason.contains(reasonMentions), "\(problem.reason)")
        }
    }
}

@Suite("Translated CHECKs against SQLite and the real PostgreSQL server", .serialized)
struct CheckBehaviourTests {
    /// Each case: the columns a row sets, the CHECK, and candidate rows (SQL literals valid in both dialects).
    static let cases: [(columns: String, check: String, rows: [String])] = [
        ("status", "status IN ('open', 'closed')", ["'open'", "'Open'", "NULL", "'x'"]),
        ("status", "status NOT IN ('a', 'b')", ["'a'", "'c'", "NULL"]),
        ("code", "code IN (1, 2)", ["'1'", "1", "'01'", "3"]),
        ("qty", "qty BETWEEN 1 AND 10", ["0", "1", "10", "11", "NULL", "'5'"]),
        ("qty", "qty NOT BETWEEN 1 AND 10", ["0", "5", "11"]),
        ("name", "name LIKE 'ab%'", ["'abc'", "'ABC'", "'aBz'", "'xab'", "NULL"]),
        ("name", "name LIKE 'é_'", ["'éx'", "'Éx'", "'éxx'", "'ÉX'"]),
        ("name", #"name LIKE '%\_%'"#, [#"'a\bc'"#, "'a_b'", "'abc'"]),
        ("name", "name NOT LIKE 'a!%%' ESCAPE '!'", ["'a%x'", "'ab'", "'A%'"]),
        ("name", "name LIKE 'K%'", ["'k1'", "'\u{212A}1'", "'K'"]),
        ("code", "code GLOB '[A-Z][0-9]*'", ["'A1'", "'a1'", "'AB'", "'A1xyz'", "'Z9'", "NULL"]),
        ("code", "code GLOB 'ab?*%'", ["'abc%'", "'abcd%'", "'ab%'", "'ABc%'", "'abc_'"]),
        ("code", "code NOT GLOB '*x*'", ["'abc'", "'axc'", "'X'"]),
        ("code", "code GLOB 'a[^0-9]'", ["'ab'", "'a1'", "'a'"]),
        ("code", "code GLOB 'a.[]]'", ["'a.]'", "'ab]'"]),
        ("name", "length(name) <= 3", ["'abc'", "'abcd'", "'äöü'", "'äöüx'", "NULL"]),
        ("qty", "length(qty) < 3", ["12", "123", "-1", "-12"]),
        ("qty", "typeof(qty) = 'integer'", ["5", "NULL", "'7'"]),
        ("name", "typeof(name) IN ('text', 'null')", ["'a'", "NULL"]),
        ("qty, status", "CASE WHEN qty > 0 THEN status = 'open' ELSE status = 'closed' END",
         ["1, 'open'", "1, 'closed'", "0, 'closed'", "0, 'open'", "NULL, 'closed'", "NULL, 'open'"]),
        ("qty, status", "CASE status WHEN 'open' THEN qty > 0 WHEN 'closed' THEN qty = 0 END",
         ["1, 'open'", "0, 'open'", "0, 'closed'", "5, 'closed'", "5, 'other'"]),
        ("qty", "qty IS NOT 3", ["3", "4", "NULL"]),
    ]

    @Test func translatedChecksAcceptAndRejectTheSameRows() throws {
        let dir = try TempDir("migrate-checks")
        let path = dir.file("checks.db").path
        let db = try SQLite.Connection(path: path)
        for (index, testCase) in Self.cases.enumerated() {
            try db.execute("CREATE TABLE c\(index) (id INTEGER PRIMARY KEY, status TEXT, qty INTEGER, name TEXT, code TEXT, CHECK (\(testCase.check)))")
        }
        let database = try PostgresTestServer.freshDatabase("migchecks")
        let url = try PostgresTestServer.url(database: database)
        let report = try Migrator.run(MigrationOptions(sqlitePath: path, postgresURL: url))
        #expect(report.isComplete, "\(report.problems)")
        #expect(report.steps.filter { $0.step.kind == .check }.count == Self.cases.count)
        let pg = try LibPQ.Connection(url)
        var compared = 0
        for (index, testCase) in Self.cases.enumerated() {
            for row in testCase.rows {
                let insert = "INSERT INTO c\(index) (\(testCase.columns)) VALUES (\(row))"
                var sqliteAccepts = true
                do { try db.execute(insert) } catch { sqliteAccepts = false }
                var postgresAccepts = true
                do {
                    try pg.execute(insert)
                } catch let error as PostgresError where error.sqlState == "23514" {
                    postgresAccepts = false
                } catch {
                    Issue.record("CHECK (\(testCase.check)), row (\(row)): PostgreSQL failed otherwise: \(error)")
                    continue
                }
                #expect(sqliteAccepts == postgresAccepts,
                        "CHECK (\(testCase.check)), row (\(row)): SQLite \(sqliteAccepts ? "accepts" : "rejects"), PostgreSQL \(postgresAccepts ? "accepts" : "rejects")")
                compared += 1
            }
        }
        #expect(compared == Self.cases.reduce(0) { $0 + $1.rows.count })
    }

    @Test func dryRunListsUntranslatableChecksAndExitsZero() throws {
        let dir = try TempDir("migrate-dry-check")
        let path = dir.file("dry.db").path
        let db = try SQLite.Connection(path: path)
        try db.execute("""
            CREATE TABLE events (id INTEGER PRIMARY KEY, day TEXT CHECK (strftime('%Y', day) >= '2000'),
                                 kind TEXT CHECK (kind IN ('a', 'b')));
            CREATE INDEX events_open ON events (day) WHERE kind NOT IN ('b');
            INSERT INTO events VALUES (1, '2024-01-01', 'a');
            """)
        let result = try vaultops(["migrate", path, "postgresql://nobody@127.0.0.1:1/none", "--dry-run"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let planLine = result.stdout.split(separator: "\n").first { $0.hasPrefix("-- not migrated: check strftime") }
        #expect(planLine?.contains("function strftime() has no PostgreSQL equivalent") == true, "\(result.stdout)")
        #expect(result.stdout.contains(#"ADD CHECK ("kind" IN ('a', 'b'))"#), "\(result.stdout)")
        #expect(result.stdout.contains(#"("day") WHERE "kind" NOT IN ('b')"#), "\(result.stdout)")
    }
}
