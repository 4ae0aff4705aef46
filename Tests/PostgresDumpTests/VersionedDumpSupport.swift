import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// DumpFixture's steps on a chosen server of `PostgresServers`, each with that version's own psql and pg_dump.
enum VersionedDump {
    /// Runs a SQL file with `server`'s psql as a restore does (`--single-transaction`, stop on the first error).
    static func psqlFile(_ file: URL, on server: PostgresServer, database: String, singleTransaction: Bool = true,
                         environment: [String: String]? = nil) throws {
        var args = ["-X", "-q", "-v", "ON_ERROR_STOP=1"]
        if singleTransaction { args.append("--single-transaction") }
        args += ["-d", try server.url(database: database), "-f", file.path]
        let r = try runProcess(server.tool("psql"), args, environment: environment)
        guard r.status == 0 else {
            throw TestSupportError("psql -f \(file.lastPathComponent) into \(database) on \(server) failed: \(r.stderr)")
        }
    }

    /// Whether `server` was built with ICU (initdb then makes the `*-x-icu` collations).
    static func hasICU(_ server: PostgresServer) throws -> Bool {
        try server.hasICU()
    }

    /// Runs `sql` in a fresh database on `server`, dumps it with vaultops, restores the script into another fresh
    /// database there, and expects the same `pg_dump --schema-only` and table contents; returns the script.
    @discardableResult
    static func expectRoundTrip(_ sql: String, on server: PostgresServer,
                                sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let dir = try TempDir("versioned")
        let source = try server.freshDatabase("vsrc")
        defer { try? server.dropDatabase(source) }
        try server.psql(sql, database: source)
        let (sink, _) = try dump(source, on: server)
        let file = dir.file("dump.sql")
        try sink.data.write(to: file)
        let copy = try server.freshDatabase("vdst")
        defer { try? server.dropDatabase(copy) }
        try psqlFile(file, on: server, database: copy)
        try expectSameSchema(try schemaOnly(source, on: server), try schemaOnly(copy, on: server), "\(server)", dir: dir,
                             sourceLocation: sourceLocation)
        expectSameContents(try contents(source, on: server), try contents(copy, on: server), "\(server)", sourceLocation: sourceLocation)
        return sink.text
    }

    /// Dumps `database` on `server` with PostgresDumper into memory.
    static func dump(_ database: String, on server: PostgresServer) throws -> (MemorySink, DumpSummary) {
        let connection = try Connection(try server.url(database: database))
        let sink = MemorySink()
        let summary = try PostgresDumper(connection: connection).dump(to: sink)
        return (sink, summary)
    }

    /// Dumps `database` on `source` and restores the script into a fresh database on `target`; returns its name.
    ///
    /// The script is kept in `dir` (as dump.sql) so a failure can be looked at.
    static func roundTrip(_ database: String, from source: PostgresServer, into target: PostgresServer, dir: TempDir) throws -> String {
        let (sink, _) = try dump(database, on: source)
        let file = dir.file("dump-\(source.major)-to-\(target.major).sql")
        try sink.data.write(to: file)
        if let keep = ProcessInfo.processInfo.environment["VAULTOPS_KEEP_DUMP"] {
            try sink.data.write(to: URL(fileURLWithPath: "\(keep).\(source.major)-\(target.major)"))
        }
        let copy = try target.freshDatabase("dumpdst")
        try psqlFile(file, on: target, database: copy)
        return copy
    }

    /// `pg_dump --schema-only` of `database` on `server`, made by `dumper`'s pg_dump (default: the server's own),
    /// without comment lines and pg_dump's per-run `\restrict` keys.
    static func schemaOnly(_ database: String, on server: PostgresServer, dumper: PostgresServer? = nil) throws -> String {
        let pgDump = (dumper ?? server).tool("pg_dump")
        let r = try runProcess(pgDump, ["--schema-only", "-d", try server.url(database: database)])
        guard r.status == 0 else { throw TestSupportError("\(pgDump) of \(database) on \(server) failed: \(r.stderr)") }
        return DumpFixture.comparableSchema(r.stdout)
    }

    /// Every table's and populated materialized view's rows as COPY text, in a total order, with the large objects and the
    /// sequences' positions.
    static func contents(_ database: String, on server: PostgresServer) throws -> [String: String] {
        try DumpFixture.contents(url: try server.url(database: database))
    }

    /// Records a test issue with the unified diff of two schema dumps when they differ.
    static func expectSameSchema(_ before: String, _ after: String, _ what: String, dir: TempDir,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard before != after else { return }
        let name = what.replacingOccurrences(of: " ", with: "_")
        try before.write(to: dir.file("\(name)-before.sql"), atomically: true, encoding: .utf8)
        try after.write(to: dir.file("\(name)-after.sql"), atomically: true, encoding: .utf8)
        let diff = try runProcess("diff", ["-u", dir.file("\(name)-before.sql").path, dir.file("\(name)-after.sql").path])
        Issue.record("pg_dump --schema-only differs (\(what)):\n\(diff.stdout.prefix(8000))", sourceLocation: sourceLocation)
    }

    /// Expects identical table contents in two databases.
    static func expectSameContents(_ source: [String: String], _ target: [String: String], _ what: String,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(source.keys.sorted() == target.keys.sorted(), "tables differ (\(what))", sourceLocation: sourceLocation)
        for (table, rows) in source.sorted(by: { $0.key < $1.key }) where target[table] != rows {
            Issue.record("table \(table) differs after restore (\(what))", sourceLocation: sourceLocation)
        }
    }
}
