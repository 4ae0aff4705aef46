import Archive
import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// A sink that keeps the whole script in memory and records the largest single write.
final class MemorySink: ByteSink {
    var data = Data()
    var writes = 0
    var largestWrite = 0
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        data.append(contentsOf: bytes)
        writes += 1
        largestWrite = max(largestWrite, bytes.count)
    }
    var text: String { String(decoding: data, as: UTF8.self) }
}

/// A sink that only counts bytes, for dumps too large to keep.
final class CountingSink: ByteSink {
    var bytes = 0
    var largestWrite = 0
    var tail = Data()
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes += bytes.count
        largestWrite = max(largestWrite, bytes.count)
        tail = Data(bytes.suffix(200))
    }
}

enum DumpFixture {
    /// The fixture schema in Fixtures/postgres.
    static var fixtureURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/postgres/fixture.sql")
    }

    /// Runs a SQL file with psql the way restore does; throws with psql's stderr when it fails.
    static func psqlFile(_ file: URL, database: String, singleTransaction: Bool = true) throws {
        var args = ["-X", "-q", "-v", "ON_ERROR_STOP=1"]
        if singleTransaction { args.append("--single-transaction") }
        args += ["-d", try PostgresTestServer.url(database: database), "-f", file.path]
        let r = try runProcess("psql", args)
        guard r.status == 0 else { throw TestSupportError("psql -f \(file.lastPathComponent) on \(database) failed: \(r.stderr)") }
    }

    /// The fixture's second part: the object kinds only the dump suites load (see its first lines).
    static var kindsFixtureURL: URL {
        fixtureURL.deletingLastPathComponent().appendingPathComponent("fixture-kinds.sql")
    }

    /// A fresh database with the fixture (both parts) loaded.
    static func loadedDatabase() throws -> String {
        let db = try PostgresTestServer.freshDatabase("dumpsrc")
        try psqlFile(fixtureURL, database: db, singleTransaction: false)
        try psqlFile(kindsFixtureURL, database: db, singleTransaction: false)
        return db
    }

    /// Dumps `database` with PostgresDumper into memory.
    static func dump(_ database: String, options: DumpOptions = DumpOptions()) throws -> (MemorySink, DumpSummary) {
        let connection = try Connection(try PostgresTestServer.url(database: database))
        let sink = MemorySink()
        let summary = try PostgresDumper(connection: connection, options: options).dump(to: sink)
        return (sink, summary)
    }

    /// `pg_dump --schema-only` of `database` without comment lines and pg_dump's per-run `\restrict` keys.
    static func schemaOnly(_ database: String) throws -> String {
        let r = try runProcess("pg_dump", ["--schema-only", "-d", try PostgresTestServer.url(database: database)])
        guard r.status == 0 else { throw TestSupportError("pg_dump failed: \(r.stderr)") }
        return comparableSchema(r.stdout)
    }

    /// pg_dump's output without comment lines and its per-run `\restrict` keys, so two dumps can be compared.
    static func comparableSchema(_ output: String) -> String {
        comparablePgDumpOutput(output)
    }

    /// Every table's and populated materialized view's rows as COPY text, in a total order, with the large objects and the
    /// sequences' positions.
    static func contents(_ database: String) throws -> [String: String] {
        try contents(url: try PostgresTestServer.url(database: database))
    }

    /// The key under which `contents(url:)` lists the large objects.
    static let largeObjectsKey = "<large objects>"

    /// Every large object as one line: OID, owner, ACL, comment and the MD5 of its contents (nil when there are none).
    static func largeObjects(_ c: Connection) throws -> String? {
        try c.execute("""
            SELECT string_agg(concat_ws(' ', l.oid, pg_get_userbyid(l.lomowner), COALESCE(l.lomacl::text, '-'),
                                        length(lo_get(l.oid)), md5(lo_get(l.oid)), quote_nullable(obj_description(l.oid, 'pg_largeobject'))),
                              E'\\n' ORDER BY l.oid) AS objects
            FROM pg_largeobject_metadata l
            """).rows.first?.optionalString("objects")
    }

    /// The key under which `contents(url:)` lists the sequences' positions.
    static let sequencesKey = "<sequences>"

    /// Every sequence's position as one line: name, `last_value` and `is_called` (what `setval` restores; `log_cnt`
    /// is the server's own bookkeeping), nil when there are none.
    static func sequencePositions(_ c: Connection) throws -> String? {
        var lines: [String] = []
        for row in try c.execute("""
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qname
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
            """).rows {
            let qname = try row.string("qname")
            let state = try c.execute("SELECT last_value, is_called FROM \(qname)").rows[0]
            lines.append("\(qname) \(try state.string("last_value")) \(try state.string("is_called"))")
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    /// `contents(_:)` of the database at `url` (any server version).
    static func contents(url: String) throws -> [String: String] {
        let c = try Connection(url)
        let tables = try c.execute("""
            SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qname
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm') AND c.relispopulated AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_toast%'
            """)
        var result: [String: String] = [:]
        // Large objects are compared with the tables: their contents, owners, grants and comments.
        if let objects = try largeObjects(c) { result[largeObjectsKey] = objects }
        if let positions = try sequencePositions(c) { result[sequencesKey] = positions }
        for row in tables.rows {
            let qname = try row.string("qname")
            var data = Data()
            try c.copyOut("COPY (SELECT * FROM ONLY \(qname) t ORDER BY t::text) TO STDOUT") { data.append(contentsOf: $0) }
            result[qname] = String(decoding: data, as: UTF8.self)
        }
        return result
    }

    /// The script with its timestamp comment lines removed.
    static func withoutTimestamps(_ script: String) -> String {
        script.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("-- Started on") && !$0.hasPrefix("-- Completed on") }
            .joined(separator: "\n")
    }
}
