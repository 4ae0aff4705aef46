import Archive
import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport
@testable import PostgresRestore

/// `restore --clean` over a database that already holds what the dump creates, for every object kind the
/// dumper and pg_dump write (Fixtures/postgres/fixture.sql and fixture-kinds.sql), on every server version.
@Suite("restore --clean over the newer object kinds")
struct CleanKindsTests {
    static let cases: [(PostgresServer, String)] = PostgresServers.all.flatMap { server in
        ["vaultops", "pg_dump"].map { (server, $0) }
    }

    /// A fresh database on `server` with both parts of the dump suites' fixture.
    static func source(on server: PostgresServer) throws -> String {
        let name = try server.freshDatabase("cleansrc")
        let folder = Fixture.folder.deletingLastPathComponent().appendingPathComponent("postgres")
        for file in ["fixture.sql", "fixture-kinds.sql"] {
            let r = try runProcess(server.tool("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", try server.url(database: name),
                                                         "-f", folder.appendingPathComponent(file).path])
            guard r.status == 0 else { throw TestSupportError("loading \(file) on \(server) failed: \(r.stderr)") }
        }
        return name
    }

    /// `server`'s pg_dump of `database` (schema and data), without the per-run `\restrict` keys.
    static func comparable(_ database: String, on server: PostgresServer) throws -> String {
        let r = try runProcess(server.tool("pg_dump"), ["-d", try server.url(database: database)])
        guard r.status == 0 else { throw TestSupportError("pg_dump of \(database) on \(server) failed: \(r.stderr)") }
        return r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }

    /// `database` on `server` dumped by `writer` ("vaultops" or "pg_dump") to a script in `dir`.
    static func dump(_ database: String, on server: PostgresServer, by writer: String, in dir: TempDir) throws -> URL {
        let script = dir.file("dump.sql")
        if writer == "vaultops" {
            let sink = try FileSink(path: script.path, replace: true)
            _ = try PostgresDumper(connection: try Connection(try server.url(database: database))).dump(to: sink)
            try sink.close()
        } else {
            let r = try runProcess(server.tool("pg_dump"), ["-f", script.path, "-d", try server.url(database: database)])
            guard r.status == 0 else { throw TestSupportError("pg_dump on \(server) failed: \(r.stderr)") }
        }
        return script
    }

    static func restore(_ file: URL, into database: String, on server: PostgresServer, clean: Bool) throws {
        _ = try ScriptRestorer(targetURL: try server.url(database: database), options: RestoreOptions(clean: clean))
            .restore(.file(file.path))
    }

    @Test("a dump restored again with --clean over its own restore gives the source back", arguments: cases)
    func cleanOverItself(_ c: (server: PostgresServer, writer: String)) throws {
        let server = c.server
        let dir = try TempDir("cleankinds")
        let source = try Self.source(on: server)
        let script = try Self.dump(source, on: server, by: c.writer, in: dir)
        let expected = try Self.comparable(source, on: server)
        #expect(expected.contains("CREATE TEXT SEARCH CONFIGURATION app.words"), "the fixture has the newer kinds")

        let copy = try server.freshDatabase("cleancopy")
        try Self.restore(script, into: copy, on: server, clean: false)
        #expect(try Self.comparable(copy, on: server) == expected, "\(server), \(c.writer): first restore")
        try Self.restore(script, into: copy, on: server, clean: true)
        #expect(try Self.comparable(copy, on: server) == expected, "\(server), \(c.writer): restore with --clean over it")
        for db in [source, copy] { try server.psql("DROP DATABASE IF EXISTS \"\(db)\"") }
    }

    @Test("restore --clean over a copy with subscriptions drops them without reaching the publisher or its slot",
          arguments: PostgresServers.all)
    func cleanDropsSubscriptions(_ server: PostgresServer) throws {
        let dir = try TempDir("cleansubs")
        let source = try server.freshDatabase("cleansubsrc")
        let copy = try server.freshDatabase("cleansubcopy")
        defer {
            for db in [source, copy] {
                _ = try? server.psql("ALTER SUBSCRIPTION \"Clean Sub\" DISABLE; ALTER SUBSCRIPTION \"Clean Sub\" SET (slot_name = NONE); "
                                     + "DROP SUBSCRIPTION \"Clean Sub\";", database: db)
                _ = try? server.psql("DROP DATABASE IF EXISTS \"\(db)\"")
            }
        }
        // The host does not resolve: dropping the subscription with its slot would have to connect there, and fail.
        try server.psql("""
            CREATE TABLE t (a integer);
            CREATE SUBSCRIPTION "Clean Sub" CONNECTION 'host=publisher.invalid dbname=app' PUBLICATION p
                WITH (connect = false, slot_name = 'the_source_slot');
            """, database: source)
        let script = dir.file("dump.sql")
        let sink = try FileSink(path: script.path, replace: true)
        _ = try PostgresDumper(connection: try Connection(try server.url(database: source))).dump(to: sink)
        try sink.close()
        try Self.restore(script, into: copy, on: server, clean: false)
        try Self.restore(script, into: copy, on: server, clean: true)
        #expect(try Self.comparable(copy, on: server) == Self.comparable(source, on: server))
    }

    /// Tables, indexes and a materialized view in a tablespace of the server's, restored and restored again with
    /// --clean into a database of the same server (the tablespace is cluster-wide), from vaultops' and pg_dump's script.
    @Test("restore --clean over objects in a non-default tablespace gives the source back", arguments: cases)
    func cleanOverTablespaceObjects(_ c: (server: PostgresServer, writer: String)) throws {
        let server = c.server
        let dir = try TempDir("cleants")
        let ts = "vaultops_ts_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        try server.createTablespace(ts, in: dir)
        let source = try server.freshDatabase("cleantssrc"), copy = try server.freshDatabase("cleantscopy")
        defer {
            for db in [source, copy] { _ = try? server.psql("DROP DATABASE IF EXISTS \"\(db)\"") }
            _ = try? server.psql("DROP TABLESPACE IF EXISTS \(ts)")
            withExtendedLifetime(dir) {}
        }
        try server.psql("""
            CREATE TABLE t (a integer PRIMARY KEY USING INDEX TABLESPACE \(ts), b text) TABLESPACE \(ts);
            CREATE INDEX t_b ON t (b) TABLESPACE \(ts);
            CREATE TABLE p (a integer) PARTITION BY RANGE (a) TABLESPACE \(ts);
            CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
            INSERT INTO t VALUES (1, 'x');
            CREATE MATERIALIZED VIEW m TABLESPACE \(ts) AS SELECT a FROM t;
            """, database: source)
        let script = try Self.dump(source, on: server, by: c.writer, in: dir)
        let expected = try Self.comparable(source, on: server)
        #expect(expected.contains("SET default_tablespace = \(ts);"))
        try Self.restore(script, into: copy, on: server, clean: false)
        #expect(try Self.comparable(copy, on: server) == expected, "\(server), \(c.writer): first restore")
        try Self.restore(script, into: copy, on: server, clean: true)
        #expect(try Self.comparable(copy, on: server) == expected, "\(server), \(c.writer): restore with --clean over it")
    }

    /// pg_dump writes a function on a table's row type after that table; dropping newest first reached the
    /// function while the index, trigger, policy or statistics using it still stood (the restore failed and rolled back).
    @Test("restore --clean over indexes, triggers, policies, rules and statistics that use functions made after their table",
          arguments: cases)
    func cleanOverTablePartsUsingLaterFunctions(_ c: (server: PostgresServer, writer: String)) throws {
        let server = c.server
        let dir = try TempDir("cleanparts")
        let source = try server.freshDatabase("cleanpartsrc"), copy = try server.freshDatabase("cleanpartcopy")
        defer { for db in [source, copy] { _ = try? server.psql("DROP DATABASE IF EXISTS \"\(db)\"") } }
        try server.psql("""
            CREATE TABLE people (id int PRIMARY KEY, first text, last text);
            CREATE FUNCTION full_name(people) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1.first || ' ' || $1.last $$;
            CREATE FUNCTION named(people) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1.first IS NOT NULL $$;
            CREATE FUNCTION people_check() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
            CREATE FUNCTION allowed(people) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT $1.id > 0 $$;
            CREATE INDEX people_full ON people (full_name(people));
            CREATE INDEX people_named ON people (id) WHERE named(people);
            CREATE TRIGGER people_check BEFORE INSERT ON people FOR EACH ROW WHEN (named(NEW)) EXECUTE FUNCTION people_check();
            ALTER TABLE people ENABLE ROW LEVEL SECURITY;
            CREATE POLICY people_allowed ON people USING (allowed(people));
            CREATE RULE people_keep AS ON DELETE TO people WHERE NOT named(OLD) DO INSTEAD NOTHING;
            CREATE TABLE m (id int, k int, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
            CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10);
            CREATE INDEX m_k ON m (k);
            CREATE STATISTICS m1_stats ON id, k FROM m1;
            INSERT INTO people VALUES (1, 'a', 'b');
            INSERT INTO m VALUES (1, 1);
            """, database: source)
        let script = try Self.dump(source, on: server, by: c.writer, in: dir)
        let expected = try Self.comparable(source, on: server)
        try Self.restore(script, into: copy, on: server, clean: false)
        #expect(try Self.comparable(copy, on: server) == expected, "\(server), \(c.writer): first restore")
        try Self.restore(script, into: copy, on: server, clean: true)
        #expect(try Self.comparable(copy, on: server) == expected, "\(server), \(c.writer): restore with --clean over it")
    }
}
