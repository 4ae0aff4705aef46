import Foundation
import Testing
import TestSupport
@testable import PostgresRestore

/// A restore touches only its target: database-level statements and `\connect` are translated or refused.
@Suite("Restore touches only its target database")
struct TargetOnlyTests {
    /// The OID, the comment and the table contents of `database`: what must not change when another is restored.
    static func fingerprint(_ database: String) throws -> String {
        let oid = try PostgresTestServer.psql("SELECT oid FROM pg_database WHERE datname = '\(database)'")
        let comment = try PostgresTestServer.psql("SELECT coalesce(shobj_description(oid, 'pg_database'), '-') FROM pg_database WHERE datname = '\(database)'")
        return "oid \(oid) comment \(comment)\n" + (try Fixture.comparable(database))
    }

    @Test("a pg_dump -C -c script restored into a scratch database leaves the database it names untouched",
          arguments: [(["-C", "-c"], false), (["-C", "-c", "--if-exists"], true), (["-C"], false)])
    func createCleanScriptStaysInTarget(_ variant: (arguments: [String], clean: Bool)) throws {
        let dir = try TempDir("target-only")
        let prod = try Fixture.sourceDatabase()
        try PostgresTestServer.psql("COMMENT ON DATABASE \(prod) IS 'production'")
        let script = dir.file("prod.sql")
        try Fixture.pgDump(prod, to: script, variant.arguments)
        // Production moves on after the dump: a restore that followed the script would lose this row and comment.
        try PostgresTestServer.psql("INSERT INTO app.customers (id, name) VALUES (999999, 'after the dump')", database: prod)
        try PostgresTestServer.psql("COMMENT ON DATABASE \(prod) IS 'production, later'")
        let before = try Self.fingerprint(prod)

        let scratch = try PostgresTestServer.freshDatabase("scratch")
        if variant.clean {
            // --clean over a scratch copy that already holds the data: the case that dropped production.
            try Fixture.restore(script, into: scratch)
            try PostgresTestServer.psql("DELETE FROM app.orders", database: scratch)
        }
        let summary = try Fixture.restore(script, into: scratch, RestoreOptions(clean: variant.clean))
        #expect(summary.database == scratch)
        #expect(try Self.fingerprint(prod) == before)
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app.orders", database: scratch) == "5000")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app.customers WHERE id = 999999", database: scratch) == "0")
        // The scratch database keeps its own properties: they belong to a database that existed before.
        #expect(try PostgresTestServer.psql("SELECT coalesce(shobj_description(oid, 'pg_database'), '-') FROM pg_database WHERE datname = '\(scratch)'") == "-")
    }

    @Test("with --create, a pg_dump -C script makes the --to database with the script's options, not the one it names")
    func createOptionWithCreateScript() throws {
        let dir = try TempDir("target-only")
        let prod = try Fixture.sourceDatabase()
        try PostgresTestServer.psql("COMMENT ON DATABASE \(prod) IS 'production'; ALTER DATABASE \(prod) SET work_mem = '7MB'")
        let script = dir.file("prod.sql")
        try Fixture.pgDump(prod, to: script, ["-C", "-c", "--if-exists"])
        try PostgresTestServer.psql("INSERT INTO app.customers (id, name) VALUES (999999, 'after the dump')", database: prod)
        let before = try Self.fingerprint(prod)

        let target = "created_\(UUID().uuidString.prefix(8).lowercased())"
        let summary = try Fixture.restore(script, into: target, RestoreOptions(createDatabase: true))
        #expect(summary.database == target)
        #expect(try Self.fingerprint(prod) == before)
        #expect(try Fixture.comparable(target).contains("COPY app.orders"))
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app.orders", database: target) == "5000")
        // The database properties of the script went to the database --create made.
        #expect(try PostgresTestServer.psql("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '\(target)'") == "production")
        #expect(try PostgresTestServer.psql("""
            SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
            WHERE d.datname = '\(target)' AND s.setrole = 0
            """) == "work_mem=7MB")
        #expect(try PostgresTestServer.psql("SELECT pg_encoding_to_char(encoding) || ' ' || datcollate FROM pg_database WHERE datname = '\(target)'")
                == (try PostgresTestServer.psql("SELECT pg_encoding_to_char(encoding) || ' ' || datcollate FROM pg_database WHERE datname = '\(prod)'")))
        try PostgresTestServer.psql("DROP DATABASE \(target)")
    }

    @Test("a failing --create restore of a -C script drops the database it made and creates no other")
    func createOptionFailure() throws {
        let dir = try TempDir("target-only")
        let prod = try Fixture.sourceDatabase()
        let script = dir.file("prod.sql")
        try Fixture.pgDump(prod, to: script, ["-C"])
        try PostgresTestServer.psql("ALTER DATABASE \(prod) RENAME TO \(prod)_orig")
        var text = try String(contentsOf: script, encoding: .utf8)
        let anchor = try #require(text.range(of: "CREATE TABLE app.orders"))
        text.insert(contentsOf: "SELECT 1/0;\n", at: anchor.lowerBound)
        try Fixture.write(text, to: script)

        let target = "created_\(UUID().uuidString.prefix(8).lowercased())"
        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(script, into: target, RestoreOptions(createDatabase: true)) }
        #expect(error?.sqlState == "22012")
        #expect(try Fixture.databaseExists(target) == false)
        #expect(try Fixture.databaseExists(prod) == false)
    }

    @Test("a leading \\connect to another database does not move the restore there")
    func leadingConnect() throws {
        let dir = try TempDir("target-only")
        let other = try PostgresTestServer.freshDatabase("other")
        let script = dir.file("connect.sql")
        try Fixture.write("\\connect \(other)\nCREATE TABLE moved (a int);\nINSERT INTO moved VALUES (1);\n", to: script)
        let scratch = try PostgresTestServer.freshDatabase("scratch")
        let summary = try Fixture.restore(script, into: scratch)
        #expect(summary.database == scratch)
        #expect(try Fixture.userObjects(other) == 0)
        #expect(try PostgresTestServer.psql("SELECT a FROM moved", database: scratch) == "1")
    }

    @Test("a script that moves on to a second database is refused at that line, and changes nothing")
    func secondDatabaseRefused() throws {
        let dir = try TempDir("target-only")
        let one = try PostgresTestServer.freshDatabase("one")
        let two = try PostgresTestServer.freshDatabase("two")
        let script = dir.file("two.sql")
        try Fixture.write("\\connect \(one)\nCREATE TABLE a (x int);\n\\connect \(two)\nCREATE TABLE b (x int);\n", to: script)
        let scratch = try PostgresTestServer.freshDatabase("scratch")
        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(script, into: scratch) }
        #expect(error?.line == 3)
        #expect(error?.description.contains("only its target \(scratch)") == true)
        #expect(try Fixture.userObjects(scratch) == 0)
        #expect(try Fixture.userObjects(one) == 0)
        #expect(try Fixture.userObjects(two) == 0)
    }

    @Test("a hand-written DROP DATABASE of another database is refused with its line, whatever the options",
          arguments: [RestoreOptions(), RestoreOptions(clean: true), RestoreOptions(force: true), RestoreOptions(singleTransaction: false)])
    func handWrittenDropDatabase(_ options: RestoreOptions) throws {
        let dir = try TempDir("target-only")
        let prod = try PostgresTestServer.freshDatabase("prod")
        try PostgresTestServer.psql("CREATE TABLE precious (a int); INSERT INTO precious VALUES (42);", database: prod)
        let before = try Self.fingerprint(prod)
        let script = dir.file("drop.sql")
        try Fixture.write("SET client_min_messages = warning;\nDROP DATABASE \(prod);\nCREATE TABLE t (a int);\n", to: script)
        let scratch = try PostgresTestServer.freshDatabase("scratch")

        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(script, into: scratch, options) }
        #expect(error?.line == 2)
        #expect(error?.description.contains("drops database \(prod)") == true)
        #expect(try Self.fingerprint(prod) == before)
        #expect(try Fixture.userObjects(scratch) == 0)
    }

    @Test("ALTER DATABASE and GRANT … ON DATABASE naming another database do not reach it")
    func propertiesOfAnotherDatabase() throws {
        let dir = try TempDir("target-only")
        let prod = try PostgresTestServer.freshDatabase("prod")
        let script = dir.file("props.sql")
        try Fixture.write("""
            ALTER DATABASE \(prod) SET work_mem = '3MB';
            COMMENT ON DATABASE \(prod) IS 'overwritten';
            REVOKE CONNECT ON DATABASE \(prod) FROM PUBLIC;
            CREATE TABLE t (a int);

            """, to: script)
        let scratch = try PostgresTestServer.freshDatabase("scratch")
        try Fixture.restore(script, into: scratch)
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = '\(prod)'") == "0")
        #expect(try PostgresTestServer.psql("SELECT coalesce(shobj_description(oid, 'pg_database'), '-') FROM pg_database WHERE datname = '\(prod)'") == "-")
        #expect(try PostgresTestServer.psql("SELECT has_database_privilege('public', '\(prod)', 'CONNECT')") == "t")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM t", database: scratch) == "0")
    }
}
