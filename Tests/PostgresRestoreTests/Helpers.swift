import Foundation
import Testing
import TestSupport
@testable import PostgresRestore

/// Helpers for the restore tests against the real server that `.ci/pg-start` runs.
enum Fixture {
    /// The repository's Fixtures/postgres-restore folder.
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/postgres-restore")

    /// A fresh database loaded with the fixture schema and data; returns its name.
    static func sourceDatabase() throws -> String {
        let name = try PostgresTestServer.freshDatabase("src")
        let url = try PostgresTestServer.url(database: name)
        let r = try runProcess("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", folder.appendingPathComponent("schema.sql").path])
        guard r.status == 0 else { throw TestSupportError("loading the fixture failed: \(r.stderr)") }
        return name
    }

    /// Runs this machine's pg_dump on `database` with `arguments` into `file`.
    static func pgDump(_ database: String, to file: URL, _ arguments: [String] = []) throws {
        let r = try runProcess("pg_dump", arguments + ["-f", file.path, "-d", try PostgresTestServer.url(database: database)])
        guard r.status == 0 else { throw TestSupportError("pg_dump failed: \(r.stderr)") }
    }

    /// A schema-and-data dump of `database` for comparing two databases (random \restrict keys removed).
    static func comparable(_ database: String) throws -> String {
        let r = try runProcess("pg_dump", ["-d", try PostgresTestServer.url(database: database)])
        guard r.status == 0 else { throw TestSupportError("pg_dump failed: \(r.stderr)") }
        return r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }

    /// Restores `file` with psql in one transaction, as the spec's reference command does.
    static func psqlRestore(_ file: URL, into database: String) throws {
        let r = try runProcess("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                                        "-d", try PostgresTestServer.url(database: database), "-f", file.path])
        guard r.status == 0 else { throw TestSupportError("psql restore failed: \(r.stderr)") }
    }

    /// User tables, views and sequences in `database` (0 means the restore left nothing behind).
    static func userObjects(_ database: String) throws -> Int {
        let count = try PostgresTestServer.psql("""
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            """, database: database)
        return Int(count) ?? -1
    }

    /// How many functions the user schemas of `database` hold.
    static func userFunctions(_ database: String) throws -> Int {
        Int(try PostgresTestServer.psql("""
            SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
            """, database: database)) ?? -1
    }

    /// Script lines that make `table`'s COPY first wait for the advisory lock `gate` (a statement trigger), so a
    /// test that holds the lock knows the restore is at that COPY, whatever the machine's speed.
    static func gate(_ table: String, on gate: Int) -> String {
        """
        CREATE FUNCTION wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM pg_advisory_lock_shared(\(gate)); RETURN NULL; END$$;
        CREATE TRIGGER \(table)_gate BEFORE INSERT ON \(table) FOR EACH STATEMENT EXECUTE FUNCTION wait_for_gate();

        """
    }

    /// Whether a database called `name` exists.
    static func databaseExists(_ name: String) throws -> Bool {
        try PostgresTestServer.psql("SELECT count(*) FROM pg_database WHERE datname = '\(name)'") == "1"
    }

    /// Restores `file` into `database` through the runner.
    @discardableResult
    static func restore(_ file: URL, into database: String, _ options: RestoreOptions = RestoreOptions()) throws -> RestoreSummary {
        try ScriptRestorer(targetURL: try PostgresTestServer.url(database: database), options: options)
            .restore(.file(file.path))
    }

    /// Writes `text` to `file`.
    static func write(_ text: String, to file: URL) throws {
        try Data(text.utf8).write(to: file)
    }

    /// The rows of every table of the fixture, as pg_dump's counts would give them.
    static let expectedRows: [String: Int64] = [
        "app.customers": 2004, "app.orders": 5000, "Mixed Case.Table; With \"Quotes\"": 2,
        "app.events_2025": 301, "public.empty_table": 0,
    ]
}
