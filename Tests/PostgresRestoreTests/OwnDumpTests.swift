import Archive
import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport
@testable import PostgresRestore

@Suite("Restoring vaultops' own dumps")
struct OwnDumpTests {
    /// Dumps `database` with PostgresDumper into `file`.
    static func dump(_ database: String, to file: URL) throws -> DumpSummary {
        let connection = try Connection(try PostgresTestServer.url(database: database))
        let sink = try FileSink(path: file.path, replace: true)
        let summary = try PostgresDumper(connection: connection).dump(to: sink)
        try sink.close()
        return summary
    }

    @Test("our dumps of the fixture restore through the runner as through psql, with the dump's row counts")
    func roundTrip() throws {
        let dir = try TempDir("own")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("db.sql")
        let dumped = try Self.dump(source, to: script)

        let ours = try PostgresTestServer.freshDatabase("own")
        let theirs = try PostgresTestServer.freshDatabase("ownpsql")
        let summary = try Fixture.restore(script, into: ours)
        try Fixture.psqlRestore(script, into: theirs)
        #expect(try Fixture.comparable(ours) == Fixture.comparable(theirs))
        #expect(summary.writer == .vaultops)
        #expect(summary.rowsPerTable == dumped.tables)
        #expect(DumpMarkers.vaultopsComplete == dumpCompletionMarker)

        let verified = try deepVerify(script: .file(script.path), serverURL: try PostgresTestServer.adminURL())
        #expect(verified == dumped.tables)
    }

    @Test("our dump cut before its completion marker is refused and changes nothing")
    func missingMarker() throws {
        let dir = try TempDir("own")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("db.sql")
        _ = try Self.dump(source, to: script)
        let text = try String(contentsOf: script, encoding: .utf8)
        let marker = try #require(text.range(of: dumpCompletionMarker))
        let cut = dir.file("cut.sql")
        try Fixture.write(String(text[..<marker.lowerBound]), to: cut)
        let target = try PostgresTestServer.freshDatabase("owncut")
        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(cut, into: target) }
        #expect(error?.kind == .truncated)
        #expect(error?.message.contains(dumpCompletionMarker) == true)
        #expect(try Fixture.userObjects(target) == 0)
    }
}

@Suite("Restoring dumps of PostgresDump's rich fixture")
struct RichFixtureTests {
    /// A fresh database loaded with Fixtures/postgres/fixture.sql (every object kind the dumper covers).
    /// Dumps `source` to `script` as plain SQL with `writer`: "pg_dump" (this machine's) or "vaultops" (ours).
    static func dump(_ source: String, by writer: String, to script: URL) throws {
        if writer == "pg_dump" {
            try Fixture.pgDump(source, to: script)
        } else {
            _ = try OwnDumpTests.dump(source, to: script)
        }
    }

    static func source() throws -> String {
        let name = try PostgresTestServer.freshDatabase("rich")
        let file = Fixture.folder.deletingLastPathComponent().appendingPathComponent("postgres/fixture.sql")
        let r = try runProcess("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", try PostgresTestServer.url(database: name), "-f", file.path])
        guard r.status == 0 else { throw TestSupportError("loading the rich fixture failed: \(r.stderr)") }
        return name
    }

    @Test("pg_dump's and our dumps of the rich fixture restore as through psql, and again over themselves with clean",
          arguments: ["pg_dump", "vaultops"])
    func richRoundTrip(_ writer: String) throws {
        let dir = try TempDir("rich")
        let source = try Self.source()
        let script = dir.file("rich.sql")
        try Self.dump(source, by: writer, to: script)
        let ours = try PostgresTestServer.freshDatabase("richours")
        let theirs = try PostgresTestServer.freshDatabase("richpsql")
        try Fixture.restore(script, into: ours)
        try Fixture.psqlRestore(script, into: theirs)
        let expected = try Fixture.comparable(theirs)
        #expect(try Fixture.comparable(ours) == expected)

        try Fixture.restore(script, into: ours, RestoreOptions(clean: true))
        #expect(try Fixture.comparable(ours) == expected)
    }
}
