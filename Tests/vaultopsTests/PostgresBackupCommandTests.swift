import Foundation
import Testing
import TestSupport

/// The password in the test server's URL, so tests can check it never leaks.
func testServerPassword() throws -> String {
    let url = try #require(URLComponents(string: try PostgresTestServer.adminURL()))
    return try #require(url.password)
}

@Suite("backup postgres (CLI)")
struct PostgresBackupCommandTests {
    @Test("the dump restores with psql --single-transaction, and the password appears nowhere")
    func dumpRestoresWithPsql() throws {
        let source = try PostgresTestServer.freshDatabase("pgcli")
        try PostgresTestServer.psql("""
            CREATE TABLE "Customers" (id bigint PRIMARY KEY, name text NOT NULL, tags text[], doc jsonb);
            INSERT INTO "Customers" SELECT g, 'name ' || g || E'\\ttab', ARRAY['a', NULL], jsonb_build_object('g', g)
              FROM generate_series(1, 500) g;
            CREATE TABLE orders (id serial PRIMARY KEY, customer bigint REFERENCES "Customers"(id), note text);
            INSERT INTO orders (customer, note) SELECT g % 500 + 1, E'line\\n\\\\.' FROM generate_series(1, 800) g;
            """, database: source)
        let dir = try TempDir("pgcli")
        let r = try vaultops(["backup", "postgres", try PostgresTestServer.url(database: source), "--out", dir.path, "--name", "db"])
        #expect(r.status == 0, "\(r.stderr)")
        let artifact = dir.file("db_\(todayStamp()).sql.gz")
        let password = try testServerPassword()
        let manifest = try String(contentsOf: URL(fileURLWithPath: artifact.path + ".manifest.json"), encoding: .utf8)
        #expect(!manifest.contains(password))
        #expect(!r.stdout.contains(password) && !r.stderr.contains(password))
        #expect(manifest.contains("\"public.orders\" : 800"))
        #expect(try runProcess("gzip", ["-t", artifact.path]).status == 0)
        #expect(try vaultops(["verify", artifact.path]).status == 0)

        let target = try PostgresTestServer.freshDatabase("pgcli_restored")
        let restore = try shell("gunzip -c '\(artifact.path)' | psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d '\(try PostgresTestServer.url(database: target))'")
        #expect(restore.status == 0, "\(restore.stderr)")
        for table in ["\"Customers\"", "orders"] {
            let query = "COPY (SELECT * FROM \(table) ORDER BY id) TO STDOUT"
            #expect(try PostgresTestServer.psql(query, database: source) == (try PostgresTestServer.psql(query, database: target)))
        }
    }

    @Test("a wrong password or a missing database fails with exit 1, no artifact, and no password in the message")
    func connectionFailures() throws {
        let dir = try TempDir("pgcli-fail")
        let good = try PostgresTestServer.url(database: "postgres")
        let password = try testServerPassword()
        let wrong = good.replacingOccurrences(of: ":\(password)@", with: ":not-the-password@")
        let missing = try PostgresTestServer.url(database: "no_such_database_here")
        for url in [wrong, missing] {
            let r = try vaultops(["backup", "postgres", url, "--out", dir.path])
            #expect(r.status == 1, "\(r.stderr)")
            #expect(!r.stderr.contains(password) && !r.stderr.contains("not-the-password"))
            #expect(!r.stderr.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        }
    }
}
