import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport
@testable import PostgresRestore

/// vaultops restore takes what the dumper writes for large objects, collations, text search objects,
/// operators, casts and conversions (Fixtures/postgres/fixture-kinds.sql): in one transaction, without
/// one, and over two connections, the result is what psql makes of the same script (whole pg_dump output,
/// large objects' contents included).
@Suite("Restoring vaultops' dumps of the newer object kinds")
struct OwnDumpKindsTests {
    /// A fresh database with both parts of the dump suites' fixture.
    static func source() throws -> String {
        let name = try PostgresTestServer.freshDatabase("kinds")
        let folder = Fixture.folder.deletingLastPathComponent().appendingPathComponent("postgres")
        for file in ["fixture.sql", "fixture-kinds.sql"] {
            let r = try runProcess("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", try PostgresTestServer.url(database: name),
                                            "-f", folder.appendingPathComponent(file).path])
            guard r.status == 0 else { throw TestSupportError("loading \(file) failed: \(r.stderr)") }
        }
        return name
    }

    @Test("the restorer runs our dump of the kinds fixture as psql does",
          arguments: [RestoreOptions(), RestoreOptions(singleTransaction: false), RestoreOptions(jobs: 2)])
    func restoresAsPsqlDoes(_ options: RestoreOptions) throws {
        let dir = try TempDir("kinds")
        let script = dir.file("kinds.sql")
        _ = try OwnDumpTests.dump(try Self.source(), to: script)
        let text = try String(contentsOf: script, encoding: .utf8)
        #expect(text.contains("SELECT pg_catalog.lo_put('910003', "))
        #expect(text.contains("CREATE TEXT SEARCH CONFIGURATION app.english_custom"))

        let ours = try PostgresTestServer.freshDatabase("kindsours")
        let theirs = try PostgresTestServer.freshDatabase("kindspsql")
        _ = try Fixture.restore(script, into: ours, options)
        try Fixture.psqlRestore(script, into: theirs)
        let expected = try Fixture.comparable(theirs)
        #expect(expected.contains("lowrite(0, '\\x68656c6c6f2c206c61726765206f626a656374')"), "pg_dump sees the large object's contents")
        #expect(try Fixture.comparable(ours) == expected)
    }
}
