import Foundation
import Testing
import TestSupport
@testable import PostgresRestore

@Suite("Database scope and hazard rules")
struct ScopeAndHazardRuleTests {
    static let references: [(String, DatabaseReferences.Verb?, [String])] = [
        ("CREATE DATABASE prod WITH TEMPLATE = template0 ENCODING = 'UTF8';", .create, ["prod"]),
        ("DROP DATABASE IF EXISTS \"Prod DB\";", .drop, ["Prod DB"]),
        ("drop database prod;", .drop, ["prod"]),
        ("ALTER DATABASE prod OWNER TO bob;", .properties, ["prod"]),
        ("ALTER DATABASE prod SET work_mem TO '8MB';", .properties, ["prod"]),
        ("ALTER DATABASE prod RENAME TO old;", .rename, ["prod"]),
        ("COMMENT ON DATABASE prod IS 'the database';", .properties, ["prod"]),
        ("SECURITY LABEL FOR selinux ON DATABASE prod IS 'x';", .properties, ["prod"]),
        ("GRANT CONNECT ON DATABASE prod, other TO app;", .properties, ["prod", "other"]),
        ("REVOKE ALL ON DATABASE prod FROM PUBLIC;", .properties, ["prod"]),
        ("ALTER ROLE app IN DATABASE prod SET search_path TO app;", .properties, ["prod"]),
        ("COMMENT ON TABLE t IS 'on database prod';", nil, []),
        ("GRANT SELECT ON TABLE database TO app;", nil, []),
        ("CREATE TABLE database (a int);", nil, []),
        ("ALTER ROLE app SET search_path TO database;", nil, []),
    ]

    @Test("finds the databases a statement names", arguments: references)
    func findsReferences(_ c: (String, DatabaseReferences.Verb?, [String])) {
        let found = DatabaseReferences.find(c.0)
        #expect(found?.verb == c.1, "\(c.0)")
        #expect(found?.names ?? [] == c.2, "\(c.0)")
    }

    @Test("renames the database in the statement, quoted")
    func renames() throws {
        let sql = "GRANT CONNECT ON DATABASE prod, prod TO app;"
        #expect(try #require(DatabaseReferences.find(sql)).renamed(sql, to: "scr\"atch") == "GRANT CONNECT ON DATABASE \"scr\"\"atch\", \"scr\"\"atch\" TO app;")
    }

    /// Runs `items` (SQL or `\connect x`) through a scope for target `scratch`; the decisions, or the refusal's line.
    static func run(_ items: [String], created: Bool = false) -> (decisions: [DatabaseScope.Decision], refusedAt: Int?, notes: [String]) {
        var scope = DatabaseScope(target: "scratch", created: created)
        var decisions: [DatabaseScope.Decision] = []
        do {
            for (index, item) in items.enumerated() {
                if item.hasPrefix("\\connect ") {
                    decisions.append(try scope.connect(String(item.dropFirst(9)), line: index + 1))
                } else if let references = DatabaseReferences.find(item) {
                    decisions.append(try scope.statement(item, line: index + 1, references: references, targetIsFresh: true))
                } else {
                    try scope.settlePendingDrop()
                }
            }
            try scope.settlePendingDrop()
        } catch {
            return (decisions, error.line, scope.notes)
        }
        return (decisions, nil, scope.notes)
    }

    @Test("pg_dump -C -c is translated to the target; --create runs its CREATE DATABASE under the target's name")
    func pgDumpCreateClean() {
        let script = ["DROP DATABASE IF EXISTS prod;", "CREATE DATABASE prod WITH TEMPLATE = template0;", "ALTER DATABASE prod OWNER TO bob;",
                      "\\connect prod", "COMMENT ON DATABASE prod IS 'c';", "CREATE TABLE t (a int);"]
        let plain = Self.run(script)
        #expect(plain.refusedAt == nil)
        #expect(plain.decisions == [.skip, .skip, .skip, .skip, .skip])
        let created = Self.run(script, created: true)
        #expect(created.refusedAt == nil)
        #expect(created.decisions == [.skip, .recreateTarget("CREATE DATABASE \"scratch\" WITH TEMPLATE = template0;"),
                                      .run("ALTER DATABASE \"scratch\" OWNER TO bob;"), .skip, .run("COMMENT ON DATABASE \"scratch\" IS 'c';")])
    }

    @Test("refuses what would leave the target", arguments: [
        (["DROP DATABASE prod;", "CREATE TABLE t (a int);"], 1),
        (["DROP DATABASE prod;"], 1),
        (["DROP DATABASE prod;", "CREATE DATABASE other;"], 2),
        (["\\connect one", "CREATE TABLE t (a int);", "\\connect two"], 3),
        (["CREATE DATABASE one;", "ALTER DATABASE two SET work_mem = '1MB';"], 2),
        (["ALTER DATABASE prod RENAME TO x;"], 1),
    ])
    func refusals(_ c: ([String], Int)) {
        #expect(Self.run(c.0).refusedAt == c.1, "\(c.0)")
    }

    @Test("properties of the target itself run; of another database, only with --create")
    func properties() {
        #expect(Self.run(["ALTER DATABASE scratch SET work_mem = '1MB';"]).decisions == [.run("ALTER DATABASE \"scratch\" SET work_mem = '1MB';")])
        let other = Self.run(["ALTER DATABASE prod SET work_mem = '1MB';"])
        #expect(other.decisions == [.skip])
        #expect(other.notes.contains { $0.contains("not applied to scratch") })
    }

    static let hazards: [(String, Bool)] = [
        ("COPY t FROM PROGRAM 'id';", true),
        ("copy t (a, b) to program 'cat > /tmp/x';", true),
        ("COPY (SELECT 1) TO '/tmp/x';", true),
        ("COPY t FROM '/etc/passwd' WITH (FORMAT csv);", true),
        ("COPY t FROM E'/etc/passwd';", true),
        ("CREATE ROLE x SUPERUSER;", true),
        ("CREATE USER x WITH LOGIN SUPERUSER PASSWORD 'p';", true),
        ("ALTER ROLE x WITH REPLICATION;", true),
        ("ALTER USER x BYPASSRLS;", true),
        ("ALTER SYSTEM SET work_mem = '1MB';", true),
        ("alter system reset all;", true),
        ("DO $$ BEGIN END $$;", true),
        ("GRANT pg_execute_server_program TO app;", true),
        ("COPY t (a) FROM stdin;", false),
        ("COPY program FROM stdin;", false),
        ("COPY t (program, \"to\") FROM STDIN WITH (FORMAT text);", false),
        ("COPY (SELECT 'x' FROM t) TO STDOUT;", false),
        ("CREATE ROLE x NOSUPERUSER NOREPLICATION;", false),
        ("ALTER ROLE x SET search_path TO superuser;", false),
        ("ALTER ROLE x IN DATABASE d SET application_name = 'superuser';", false),
        ("COMMENT ON TABLE t IS 'COPY t FROM PROGRAM ''id''; ALTER SYSTEM';", false),
        ("INSERT INTO t VALUES ('DO $$ $$;');", false),
        ("CREATE FUNCTION f() RETURNS void AS $$ ALTER SYSTEM SET a = 1; COPY t TO '/x' $$ LANGUAGE sql;", false),
        ("-- COPY t FROM PROGRAM 'id'\nSELECT 1;", false),
        ("/* ALTER SYSTEM */ SELECT 1;", false),
        ("GRANT SELECT ON pg_execute_server_program TO app;", false),
        ("CREATE TABLE superuser (a int);", false),
        ("ALTER TABLE t ADD COLUMN superuser boolean;", false),
        // A user mapping names a role and options, not role attributes (pg_dump writes them).
        ("CREATE USER MAPPING FOR replication SERVER s OPTIONS (\n    superuser 'x'\n);", false),
    ]

    @Test("hazards are found in statements, never in literals, quotes or comments", arguments: hazards)
    func hazard(_ c: (String, Bool)) {
        #expect((StatementInfo.hazard(c.0) != nil) == c.1, "\(c.0)")
    }

    @Test("SET lock_timeout is recognised in its spellings")
    func lockTimeoutSettings() {
        #expect(StatementInfo.setsLockTimeout("SET lock_timeout = 0;"))
        #expect(StatementInfo.setsLockTimeout("set session LOCK_TIMEOUT to '1s';"))
        #expect(!StatementInfo.setsLockTimeout("SET statement_timeout = 0;"))
    }

    @Test("with trustScript the same statements run")
    func trusted() throws {
        let dir = try TempDir("hazard")
        let script = dir.file("trusted.sql")
        try Fixture.write("CREATE TABLE t (a int);\nCOPY (SELECT 42) TO PROGRAM 'cat > /dev/null';\nDO $$ BEGIN INSERT INTO t VALUES (7); END $$;\n", to: script)
        let target = try PostgresTestServer.freshDatabase("trusted")
        try Fixture.restore(script, into: target, RestoreOptions(trustScript: true))
        #expect(try PostgresTestServer.psql("SELECT a FROM t", database: target) == "7")
    }
}
