import Foundation
import Testing
import TestSupport

/// `backup postgres --engine pg_dump` against every server version CI runs, restored with `vaultops restore`.
@Suite("backup postgres --engine pg_dump (CLI)")
struct PgDumpEngineCommandTests {
    static let schema = """
        CREATE SCHEMA shop;
        CREATE TABLE shop."Customers" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, tags text[]);
        CREATE TABLE shop.orders (id serial PRIMARY KEY, customer bigint REFERENCES shop."Customers"(id), note text,
                                  total numeric(12,2) CHECK (total >= 0));
        CREATE INDEX orders_customer ON shop.orders (customer);
        CREATE VIEW shop.big_orders AS SELECT * FROM shop.orders WHERE total > 100;
        CREATE FUNCTION shop.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
        COMMENT ON TABLE shop.orders IS 'orders, with a '' quote';
        INSERT INTO shop."Customers" (name, tags) SELECT 'c' || g || E'\\ttab', ARRAY['a', NULL] FROM generate_series(1, 300) g;
        INSERT INTO shop.orders (customer, note, total)
          SELECT g % 300 + 1, CASE WHEN g % 7 = 0 THEN NULL ELSE E'\\\\restrict x\\nline' END, g FROM generate_series(1, 900) g;
        """

    @Test("the dump restores with vaultops restore to the same schema and rows; no \\restrict line, no password",
          arguments: PostgresServers.all)
    func roundTrip(_ server: PostgresServer) throws {
        let source = try server.freshDatabase("engsrc")
        try server.psql(Self.schema, database: source)
        let dir = try TempDir("engine")
        let r = try vaultops(["backup", "postgres", try server.url(database: source), "--engine", "pg_dump",
                              "--pg-dump", server.tool("pg_dump"), "--out", dir.path, "--name", "db"])
        #expect(r.status == 0, "\(r.stderr)")
        let artifact = dir.file("db_\(todayStamp()).sql.gz")
        let manifest = try String(contentsOf: URL(fileURLWithPath: artifact.path + ".manifest.json"), encoding: .utf8)
        let password = try #require(URLComponents(string: try server.adminURL())?.password)
        #expect(!manifest.contains(password) && !r.stdout.contains(password) && !r.stderr.contains(password))
        #expect(manifest.contains("\"engine\" : \"pg_dump \(server.major).") && manifest.contains("\"row_counts\""))
        #expect(!manifest.contains("\"tables\""))
        let script = try runProcess("gzip", ["-dc", artifact.path]).stdout
        #expect(script.contains("-- PostgreSQL database dump complete"))
        #expect(!script.split(separator: "\n").contains { $0.hasPrefix("\\restrict ") || $0.hasPrefix("\\unrestrict ") })
        let verify = try vaultops(["verify", artifact.path])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        let target = try server.freshDatabase("engdst")
        let restore = try vaultops(["restore", artifact.path, "--to", try server.url(database: target)])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try server.comparableDump(source, ["--schema-only"]) == (try server.comparableDump(target, ["--schema-only"])))
        for table in ["shop.\"Customers\"", "shop.orders"] {
            let query = "COPY (SELECT * FROM \(table) ORDER BY id) TO STDOUT"
            #expect(try server.psql(query, database: source) == (try server.psql(query, database: target)))
        }
        try server.psql("DROP DATABASE \"\(source)\"")
        try server.psql("DROP DATABASE \"\(target)\"")
    }

    @Test("a pg_dump older than the server is refused before anything is written, naming both versions")
    func olderPgDumpRefused() throws {
        let servers = PostgresServers.all
        let oldest = try #require(servers.min { $0.major < $1.major })
        let newest = try #require(servers.max { $0.major < $1.major })
        try #require(oldest.major < newest.major, "needs two server versions")
        let dir = try TempDir("engine-old")
        let r = try vaultops(["backup", "postgres", try newest.url(database: "postgres"), "--engine", "pg_dump",
                              "--pg-dump", oldest.tool("pg_dump"), "--out", dir.path])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("PostgreSQL \(newest.major).") && r.stderr.contains("pg_dump \(oldest.major).")
                && r.stderr.contains("postgresql-client-\(newest.major)"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("a --pg-dump path that is no program is named as such, before anything is written")
    func missingProgram() throws {
        let server = try #require(PostgresServers.all.first)
        let dir = try TempDir("engine-missing")
        let r = try vaultops(["backup", "postgres", try server.url(database: "postgres"), "--engine", "pg_dump",
                              "--pg-dump", "/nonexistent/bin/pg_dump", "--out", dir.path])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("--pg-dump /nonexistent/bin/pg_dump: no such program"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("pg_dump's own failure (a table it cannot lock in time) fails the backup with its message; nothing is left")
    func pgDumpFailureLeavesNothing() throws {
        let server = try #require(PostgresServers.all.first)
        let source = try server.freshDatabase("englock")
        try server.psql("CREATE TABLE t (a int)", database: source)
        let url = try server.url(database: source)
        // Another session holds an exclusive lock until the test ends, so pg_dump's lock wait times out.
        let holder = try PostgresLockHolder(url: url, psql: server.tool("psql"), sql: "LOCK TABLE t IN ACCESS EXCLUSIVE MODE;",
                                            admin: { try server.psql($0) })
        defer { holder.release() }
        let dir = try TempDir("engine-lock")
        let r = try vaultops(["backup", "postgres", url, "--engine", "pg_dump", "--pg-dump", server.tool("pg_dump"),
                              "--lock-timeout", "500ms", "--out", dir.path])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("pg_dump") && r.stderr.contains("exited with status 1")
                && r.stderr.contains("LOCK TABLE public.t"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("a source with engine: pg_dump in the config: run backs it up with that pg_dump and verifies it")
    func runWithEngineFromConfig() throws {
        let server = try #require(PostgresServers.all.first)
        let source = try server.freshDatabase("engrun")
        try server.psql("CREATE TABLE t (a int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 50);", database: source)
        let dir = try TempDir("engine-run")
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: \(try server.url(database: source))
                engine: pg_dump
                pg_dump: \(server.tool("pg_dump"))
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("source db: verified"), "\(r.stderr)")
        let manifest = try String(contentsOf: dir.file("backups/db_\(todayStamp()).sql.gz.manifest.json"), encoding: .utf8)
        #expect(manifest.contains("\"engine\" : \"pg_dump \(server.major)."))
        try server.psql("DROP DATABASE \"\(source)\"")
    }

    @Test("--pg-dump without --engine pg_dump, and --allow-incomplete with it, are usage errors (exit 2)")
    func usage() throws {
        let a = try vaultops(["backup", "postgres", "postgresql://x@127.0.0.1:1/db", "--pg-dump", "/usr/bin/pg_dump"])
        #expect(a.status == 2 && a.stderr.contains("--pg-dump needs --engine pg_dump"), "\(a.stderr)")
        let b = try vaultops(["backup", "postgres", "postgresql://x@127.0.0.1:1/db", "--engine", "pg_dump", "--allow-incomplete"])
        #expect(b.status == 2 && b.stderr.contains("native engine only"), "\(b.stderr)")
        let c = try vaultops(["backup", "postgres", "postgresql://x@127.0.0.1:1/db", "--engine", "pgdump"])
        #expect(c.status == 2, "\(c.stderr)")
    }
}

/// pg_dump wraps its large objects in `BEGIN;` … `COMMIT;`; vaultops restore must still restore such scripts whole.
@Suite("restore of pg_dump scripts with large objects (CLI)")
struct PgDumpLargeObjectRestoreTests {
    static let setup = """
        CREATE TABLE docs (id int PRIMARY KEY, blob oid);
        INSERT INTO docs VALUES (1, lo_from_bytea(0, convert_to(repeat('large object ', 20000), 'UTF8'))),
                                (2, lo_from_bytea(0, '\\x00ff00ff'::bytea));
        """

    static func objects(_ server: PostgresServer, _ database: String) throws -> String {
        try server.psql("SELECT string_agg(d.id || ':' || md5(lo_get(d.blob)), ',' ORDER BY d.id) FROM docs d", database: database)
    }

    @Test("a pg_dump script and an --engine pg_dump artifact with large objects restore with vaultops, one transaction",
          arguments: PostgresServers.all)
    func restoresWhole(_ server: PostgresServer) throws {
        let source = try server.freshDatabase("losrc")
        try server.psql(Self.setup, database: source)
        let dir = try TempDir("lo-pgdump")
        let script = dir.file("plain.sql")
        let dump = try runProcess(server.tool("pg_dump"), ["-d", try server.url(database: source), "-f", script.path])
        try #require(dump.status == 0, "\(dump.stderr)")
        let r = try vaultops(["backup", "postgres", try server.url(database: source), "--engine", "pg_dump",
                              "--pg-dump", server.tool("pg_dump"), "--out", dir.path, "--name", "lo"])
        try #require(r.status == 0, "\(r.stderr)")
        let artifact = dir.file("lo_\(todayStamp()).sql.gz")
        let verify = try vaultops(["verify", "--deep", artifact.path, "--server", try server.url(database: "postgres")])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        for file in [script, artifact] {
            let target = try server.freshDatabase("lodst")
            let restore = try vaultops(["restore", file.path, "--to", try server.url(database: target)])
            #expect(restore.status == 0, "\(file.lastPathComponent) on \(server): \(restore.stderr)")
            #expect(try Self.objects(server, target) == (try Self.objects(server, source)))
            try server.psql("DROP DATABASE \"\(target)\"")
        }
        try server.psql("DROP DATABASE \"\(source)\"")
    }
}
