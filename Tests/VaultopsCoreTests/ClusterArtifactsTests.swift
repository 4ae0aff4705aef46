import Foundation
import Testing
@testable import VaultopsCore

/// Whole-server backups: artifact names of globals and databases, manifest entries, and `postgres_all:` sources.
@Suite("ClusterArtifacts: whole-server names, manifest entries, postgres_all config")
struct ClusterArtifactsTests {
    @Test("globals and plain database names", arguments: [
        (ClusterRole.globals, "srv_globals"),
        (.database("app"), "srv_app"),
        (.database("app_2024"), "srv_app_2024"),
        (.database("my-db.v2"), "srv_my-db.v2"),
    ])
    func names(role: ClusterRole, source: String) throws {
        #expect(ClusterArtifacts.sourceName("srv", role) == source)
        try ArtifactName.validate(source: source)
        let stamp = ArtifactStamp(year: 2026, month: 12, day: 3)
        let file = ArtifactName.fileName(source: source, kind: .postgres, stamp: stamp)
        #expect(ArtifactName.parse(file)?.source == source)
    }

    @Test("a database named globals, or one with characters a name cannot hold, gets a distinct escaped form")
    func escaped() throws {
        let globals = ClusterArtifacts.sourceName("srv", .database("globals"))
        #expect(globals != ClusterArtifacts.sourceName("srv", .globals))
        #expect(globals.hasPrefix("srv_globals-x"))
        let spaced = ClusterArtifacts.namePart(database: "my db")
        let other = ClusterArtifacts.namePart(database: "my/db")
        #expect(spaced.hasPrefix("my_db-x") && other.hasPrefix("my_db-x") && spaced != other)
        for db in ["globals", "my db", "my/db", "Ünïcode", ".", "..", ""] {
            try ArtifactName.validate(source: ClusterArtifacts.sourceName("srv", .database(db)))
        }
        // Stable across runs: the same database keeps one name, so retention sees one history.
        #expect(ClusterArtifacts.namePart(database: "my db") == spaced)
        #expect(ClusterArtifacts.fnv1a("") == "cbf29ce484222325")
    }

    @Test("manifest entries round-trip through a manifest")
    func manifestEntries() throws {
        let run = Date(timeIntervalSince1970: 1_700_000_000)
        for role in [ClusterRole.globals, .database("my db")] {
            let manifest = Manifest(kind: .postgres, source: "postgresql://u@h/x", createdAt: run, artifact: "a.sql.gz",
                                    sizeBytes: 1, sha256: String(repeating: "0", count: 64), uncompressedBytes: 1, durationSeconds: 0,
                                    extra: ClusterArtifacts.manifestEntries("srv", role, run: run))
            let back = try Manifest.decode(try manifest.encoded(), file: "m")
            let member = try #require(ClusterArtifacts.member(of: back))
            #expect(member.name == "srv" && member.role == role && member.run == Manifest.timestamp(run))
        }
        let plain = Manifest(kind: .postgres, source: "x", createdAt: run, artifact: "a.sql.gz", sizeBytes: 1, sha256: String(repeating: "0", count: 64),
                             uncompressedBytes: 1, durationSeconds: 0)
        #expect(ClusterArtifacts.member(of: plain) == nil)
    }

    // A password no other test's text contains: parsing registers it process-wide (a password "pw" hid the
    // "pwd" of DeployTests' log lines).
    @Test("postgres_all: with exclude_database is read into a whole-server source")
    func config() throws {
        let config = try SourceKeysConfigTests.parse(
            "  - name: srv\n    postgres_all: postgresql://u:all-pw-5d2a@h/postgres\n    exclude_database: [scratch, \"tmp_*\"]\n")
        let source = config.sources[0]
        #expect(source.target == .postgres(connection: "postgresql://u:all-pw-5d2a@h/postgres"))
        #expect(source.wholeServer == WholeServerSource(excludeDatabases: ["scratch", "tmp_*"]))
        let plain = try SourceKeysConfigTests.parse("  - name: srv\n    postgres_all: postgresql://h/postgres\n").sources[0]
        #expect(plain.wholeServer == WholeServerSource())
        #expect(try SourceKeysConfigTests.parse("  - name: db\n    postgres: postgresql://h/db\n").sources[0].wholeServer == nil)
    }

    @Test("postgres_all: refuses what does not apply", arguments: [
        ("    postgres: postgresql://h/db\n    exclude_database: [x]\n", "'sources[0].exclude_database' applies to 'postgres_all' sources only"),
        ("    postgres_all: postgresql://h/postgres\n    engine: pg_dump\n", "native engine"),
        ("    postgres_all: postgresql://h/postgres\n    drill: postgresql://h/scratch\n", "one artifact per database"),
        ("    postgres_all: postgresql://h/postgres\n    postgres: postgresql://h/db\n", "needs exactly one of"),
    ])
    func refused(yaml: String, message: String) {
        #expect {
            try SourceKeysConfigTests.parse("  - name: srv\n" + yaml)
        } throws: { error in
            String(describing: error).contains(message)
        }
    }
}
