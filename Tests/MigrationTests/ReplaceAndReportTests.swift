import Foundation
import LibPQ
@testable import Migration
import SQLite
import TestSupport
import Testing

@Suite("--replace with dependent objects, and reports of stopped runs", .serialized)
struct ReplaceAndReportTests {
    @Test func replaceRefusesWhenOtherObjectsDependOnATargetTableUnlessCascade() throws {
        let dir = try TempDir("migrate-replace-deps")
        let source = try buildFixture(in: dir)
        let database = try PostgresTestServer.freshDatabase("migdeps")
        let url = try PostgresTestServer.url(database: database)
        try PostgresTestServer.psql("""
            CREATE TABLE users (id bigint PRIMARY KEY, x int); INSERT INTO users VALUES (1, 1);
            CREATE VIEW user_ids AS SELECT id FROM users;
            CREATE VIEW user_ids_again AS SELECT id FROM user_ids;
            CREATE TABLE app_sessions (user_id bigint REFERENCES users (id));
            """, database: database)
        var options = MigrationOptions(sqlitePath: source, postgresURL: url)
        options.tables = ["users"]
        options.replace = true
        let error = #expect(throws: MigrationError.self) { try Migrator.run(options) }
        let message = error?.message ?? ""
        #expect(message.contains("view public.user_ids"), "\(message)")
        #expect(message.contains("app_sessions"), "\(message)")
        #expect(message.contains("--replace-cascade"), "\(message)")
        // Nothing changed.
        #expect(try PostgresTestServer.psql("SELECT x FROM users", database: database) == "1")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM user_ids_again", database: database) == "1")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_constraint WHERE contype = 'f'", database: database) == "1")

        options.replaceCascade = true
        let report = try Migrator.run(options)
        #expect(report.isComplete, "\(report.problems)")
        #expect(report.droppedDependents.contains("view public.user_ids"), "\(report.droppedDependents)")
        #expect(report.droppedDependents.contains("view public.user_ids_again"), "\(report.droppedDependents)")
        #expect(report.droppedDependents.contains { $0.contains("app_sessions") }, "\(report.droppedDependents)")
        #expect(report.render().contains("view public.user_ids"))
        #expect(!report.render().contains("nothing was lost.\n"))
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM users", database: database) == "5")
        #expect(try PostgresTestServer.psql("SELECT to_regclass('user_ids') IS NULL", database: database) == "t")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app_sessions", database: database) == "0")
    }

    @Test func replaceDropsTablesThatOnlyDependOnEachOtherWithoutCascade() throws {
        let dir = try TempDir("migrate-replace-pair")
        let source = try buildFixture(in: dir)
        let database = try PostgresTestServer.freshDatabase("migpair")
        let url = try PostgresTestServer.url(database: database)
        try PostgresTestServer.psql("""
            CREATE TABLE users (id bigint PRIMARY KEY); INSERT INTO users VALUES (1);
            CREATE TABLE suppliers (id bigint PRIMARY KEY, owner bigint REFERENCES users (id)); INSERT INTO suppliers VALUES (1, 1);
            """, database: database)
        var options = MigrationOptions(sqlitePath: source, postgresURL: url)
        options.tables = ["users", "suppliers"]
        options.replace = true
        let report = try Migrator.run(options)
        #expect(report.isComplete, "\(report.problems)")
        #expect(report.droppedDependents.isEmpty)
    }

    @Test func abortedRunSaysNotReachedForTablesItNeverGotTo() throws {
        let dir = try TempDir("migrate-not-reached")
        let path = dir.file("three.db").path
        let db = try SQLite.Connection(path: path)
        try db.execute("""
            CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO a VALUES (1, 'x'), (2, 'y');
            CREATE TABLE b (id INTEGER PRIMARY KEY); INSERT INTO b VALUES (1), (2), (3);
            CREATE TABLE c (id INTEGER PRIMARY KEY); INSERT INTO c VALUES (1);
            """)
        let database = try PostgresTestServer.freshDatabase("migreach")
        // A type named like the first table makes its CREATE TABLE fail: the run stops there.
        try PostgresTestServer.psql("CREATE TYPE a AS ENUM ('x')", database: database)
        var options = MigrationOptions(sqlitePath: path, postgresURL: try PostgresTestServer.url(database: database))
        options.jobs = 1
        let report = try Migrator.run(options)
        #expect(!report.committed)
        #expect(report.failure != nil)
        #expect(report.tables.map(\.reached) == [true, false, false])
        let lines = report.render().split(separator: "\n")
        for table in ["b", "c"] {
            let line = try #require(lines.first { $0.hasPrefix(table + " ") })
            #expect(line.contains("not reached"), "\(line)")
            #expect(!line.contains(" 0 "), "\(line)")
        }
        #expect(try report.json().contains("\"reached\" : false"))
    }
}
