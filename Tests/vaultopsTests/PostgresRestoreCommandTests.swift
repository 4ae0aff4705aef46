import Foundation
import Testing
import TestSupport

/// COPY output of every listed table in primary-key order, for comparing two databases.
func tableContents(_ database: String, tables: [String]) throws -> [String] {
    try tables.map { try PostgresTestServer.psql("COPY (SELECT * FROM \($0) ORDER BY 1) TO STDOUT", database: database) }
}

/// A database with two related tables and awkward values.
func makeShopDatabase() throws -> String {
    let db = try PostgresTestServer.freshDatabase("shop")
    try PostgresTestServer.psql("""
        CREATE TABLE "Customers" (id bigint PRIMARY KEY, name text NOT NULL, note text);
        INSERT INTO "Customers" SELECT g, 'name ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE E'a\\tb\\n\\\\.;' END
          FROM generate_series(1, 300) g;
        CREATE TABLE orders (id serial PRIMARY KEY, customer bigint REFERENCES "Customers"(id), total numeric);
        INSERT INTO orders (customer, total) SELECT g % 300 + 1, g * 1.5 FROM generate_series(1, 1000) g;
        """, database: db)
    return db
}

@Suite("restore and verify PostgreSQL dumps (CLI)")
struct PostgresRestoreCommandTests {
    let tables = ["\"Customers\"", "orders"]

    @Test("our dump restores through vaultops restore with the same content; verify --deep matches the manifest")
    func ourDumpRoundTrip() throws {
        let source = try makeShopDatabase()
        let dir = try TempDir("pgrestore-cli")
        #expect(try vaultops(["backup", "postgres", try PostgresTestServer.url(database: source), "--out", dir.path]).status == 0)
        let artifact = dir.file("db_\(todayStamp()).sql.gz")
        let deep = try vaultops(["verify", "--deep", "--server", try PostgresTestServer.adminURL(), artifact.path])
        #expect(deep.status == 0, "\(deep.stdout)\(deep.stderr)")
        #expect(deep.stdout.contains("match the manifest"))

        let target = try PostgresTestServer.freshDatabase("restored")
        let r = try vaultops(["restore", artifact.path, "--to", try PostgresTestServer.url(database: target)])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try tableContents(target, tables: tables) == (try tableContents(source, tables: tables)))
        #expect(!r.stdout.contains(try testServerPassword()))

        // A second restore into the now populated target is refused, and says how to go on.
        let again = try vaultops(["restore", artifact.path, "--to", try PostgresTestServer.url(database: target)])
        #expect(again.status == 1)
        #expect(again.stderr.contains("--clean") && again.stderr.contains("--force"))
        let clean = try vaultops(["restore", artifact.path, "--clean", "--to", try PostgresTestServer.url(database: target)])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(try tableContents(target, tables: tables) == (try tableContents(source, tables: tables)))
    }

    @Test("plain dumps made by pg_dump restore, gzipped or not", arguments: [false, true])
    func pgDumpFiles(gzipped: Bool) throws {
        let source = try makeShopDatabase()
        let dir = try TempDir("pgdump-cli")
        let sql = dir.file("shop.sql")
        let dump = try runProcess("pg_dump", ["-d", try PostgresTestServer.url(database: source), "-f", sql.path])
        #expect(dump.status == 0, "\(dump.stderr)")
        var file = sql
        if gzipped {
            #expect(try runProcess("gzip", [sql.path]).status == 0)
            file = dir.file("shop.sql.gz")
        }
        let target = try PostgresTestServer.freshDatabase("from_pgdump")
        let r = try vaultops(["restore", file.path, "--to", try PostgresTestServer.url(database: target)])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try tableContents(target, tables: tables) == (try tableContents(source, tables: tables)))
    }

    @Test("a truncated or damaged dump is refused with exit 3 and the target is untouched", arguments: ["truncate", "flip"])
    func damagedDump(damage: String) throws {
        let source = try makeShopDatabase()
        let dir = try TempDir("pgdamaged-cli")
        #expect(try vaultops(["backup", "postgres", try PostgresTestServer.url(database: source), "--out", dir.path]).status == 0)
        let artifact = dir.file("db_\(todayStamp()).sql.gz")
        if damage == "flip" {
            try flipByte(artifact, at: 2000)
        } else {
            let data = try Data(contentsOf: artifact)
            try data.prefix(data.count * 2 / 3).write(to: artifact)
        }
        #expect(try vaultops(["verify", artifact.path]).status == 3)
        let target = try PostgresTestServer.freshDatabase("untouched")
        let r = try vaultops(["restore", artifact.path, "--to", try PostgresTestServer.url(database: target)])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: target) == "0")
    }

    @Test("a dump cut exactly at a statement boundary (valid gzip, no manifest) fails verify: no completion marker")
    func cutDumpWithoutMarker() throws {
        let source = try makeShopDatabase()
        let dir = try TempDir("pgcut-cli")
        let full = dir.file("full.sql")
        #expect(try vaultops(["backup", "postgres", try PostgresTestServer.url(database: source), "--out", dir.path]).status == 0)
        #expect(try shell("gunzip -c '\(dir.file("db_\(todayStamp()).sql.gz").path)' > '\(full.path)'").status == 0)
        let text = try String(contentsOf: full, encoding: .utf8)
        let cut = try #require(text.range(of: "\nCOPY public.orders", options: .backwards))
        let partial = dir.file("cut_20250101.sql")
        try Data(text[..<cut.lowerBound].utf8).write(to: partial)
        let v = try vaultops(["verify", partial.path])
        #expect(v.status == 3, "\(v.stdout)")
        let target = try PostgresTestServer.freshDatabase("cut")
        // SPEC.md: exit 3 when an artifact fails verification; the message says why and that nothing changed.
        let r = try vaultops(["restore", partial.path, "--to", try PostgresTestServer.url(database: target)])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("\(partial.path): verification failed: restore failed at \(partial.path): the script ends without "
            + "its completion marker \"-- vaultops dump complete\" (truncated); nothing was committed"), "\(r.stderr)")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: target) == "0")
    }
}
