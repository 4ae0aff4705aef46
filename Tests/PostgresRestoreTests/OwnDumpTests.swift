import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport
@testable import PostgresRestore

/// Writes a dump to a file (the CLI writes through Archive's gzip writer instead).
final class FileSink: SQLSink {
    let handle: FileHandle
    init(_ url: URL) throws {
        FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
    }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try handle.write(contentsOf: Data(bytes)) }
    func close() throws { try handle.close() }
}

@Suite("Restoring vaultops' own dumps")
struct OwnDumpTests {
    /// Dumps `database` with PostgresDumper into `file`.
    static func dump(_ database: String, to file: URL) throws -> DumpSummary {
        let connection = try Connection(try PostgresTestServer.url(database: database))
        let sink = try FileSink(file)
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
