import Foundation
import PostgresRestore
import Testing
import TestSupport
import VaultopsCore
@testable import Artifacts

/// How an artifact is damaged for a test; most are only noticeable once the whole file has been read.
enum DumpDamage: String, CaseIterable, CustomStringConvertible {
    /// The manifest's SHA-256 is wrong; the gzip stream itself is perfect.
    case manifestChecksum
    /// The manifest's uncompressed size is wrong.
    case manifestUncompressedSize
    /// The CRC-32 in the gzip trailer is wrong; every data byte is right.
    case trailerCRC
    /// Bytes after the gzip stream.
    case trailingGarbage
    /// A byte flipped early in the deflate data.
    case earlyFlip
    /// The last third is missing.
    case truncated

    var description: String { rawValue }

    func apply(artifact: URL, manifest: URL) throws {
        var data = try Data(contentsOf: artifact)
        switch self {
        case .manifestChecksum, .manifestUncompressedSize:
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: manifest)) as! [String: Any]
            if self == .manifestChecksum {
                json["sha256"] = String(repeating: "0", count: 64)
            } else {
                json["uncompressed_bytes"] = (json["uncompressed_bytes"] as! Int) + 1
            }
            try JSONSerialization.data(withJSONObject: json).write(to: manifest)
            return
        case .trailerCRC:
            data[data.count - 8] ^= 0xFF
        case .trailingGarbage:
            data.append(contentsOf: Array("not gzip".utf8))
        case .earlyFlip:
            data[2000] ^= 0x55
        case .truncated:
            data = data.prefix(data.count * 2 / 3)
        }
        try data.write(to: artifact)
    }
}

@Suite("Restoring a dump while checking it")
struct PostgresDumpRestoreTests {
    /// A source database of a few MiB (several read-ahead chunks) and its vaultops dump.
    static func dump(in dir: TempDir) throws -> (source: String, result: BackupResult) {
        let source = try PostgresTestServer.freshDatabase("jobsrc")
        try PostgresTestServer.psql("""
            CREATE TABLE parts (id bigint PRIMARY KEY, code text NOT NULL, note text);
            INSERT INTO parts SELECT g, 'P' || g, repeat(md5(g::text), 1 + g % 5) FROM generate_series(1, 40000) g;
            CREATE TABLE moves (id serial PRIMARY KEY, part bigint REFERENCES parts(id), qty numeric);
            INSERT INTO moves (part, qty) SELECT g % 40000 + 1, g / 7.0 FROM generate_series(1, 60000) g;
            """, database: source)
        let result = try PostgresBackup.run(connection: try PostgresTestServer.url(database: source),
                                            options: BackupOptions(outputDirectory: dir.url))
        return (source, result)
    }

    static func contents(_ database: String) throws -> [String] {
        try ["parts", "moves"].map { try PostgresTestServer.psql("COPY (SELECT * FROM \($0) ORDER BY 1) TO STDOUT", database: database) }
    }

    @Test("a good dump restores in one read with the same contents")
    func goodDump() throws {
        let dir = try TempDir("restorejob")
        let (source, result) = try Self.dump(in: dir)
        let target = try PostgresTestServer.freshDatabase("jobdst")
        let summary = try PostgresDumpRestore.restore(result.artifact, targetURL: try PostgresTestServer.url(database: target),
                                                     options: RestoreOptions())
        #expect(summary.rows == 100_000)
        #expect(summary.bytesRead == result.manifest.uncompressedBytes)
        #expect(try Self.contents(target) == (try Self.contents(source)))
    }

    @Test("damage, even when only the end shows it, is a verification failure and leaves the target as it was",
          arguments: DumpDamage.allCases, [false, true])
    func damagedDump(damage: DumpDamage, force: Bool) throws {
        let dir = try TempDir("restorejob-damaged")
        let (_, result) = try Self.dump(in: dir)
        try damage.apply(artifact: result.artifact, manifest: result.manifestURL)
        let target = try PostgresTestServer.freshDatabase("jobdamaged")
        if force {
            // --force takes the verify-first path; what is there must survive too.
            try PostgresTestServer.psql("CREATE TABLE keep (x int); INSERT INTO keep VALUES (42)", database: target)
        }
        do {
            _ = try PostgresDumpRestore.restore(result.artifact, targetURL: try PostgresTestServer.url(database: target),
                                               options: RestoreOptions(force: force))
            Issue.record("a damaged artifact (\(damage)) was restored")
        } catch let error as ArtifactError {
            guard case .verification(_, let reason) = error else {
                Issue.record("expected a verification failure, got \(error)")
                return
            }
            #expect(reason.contains("nothing was restored"))
            #expect(VaultopsExitCode.for(error) == .verificationFailed)
        }
        let tables = try PostgresTestServer.psql("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'", database: target)
        #expect(tables == (force ? "keep" : ""))
    }

    @Test("a target with tables is refused and untouched; the message names --clean and --force")
    func refusedTarget() throws {
        let dir = try TempDir("restorejob-refused")
        let (_, result) = try Self.dump(in: dir)
        let target = try PostgresTestServer.freshDatabase("jobbusy")
        try PostgresTestServer.psql("CREATE TABLE parts (id int); INSERT INTO parts VALUES (7)", database: target)
        #expect {
            _ = try PostgresDumpRestore.restore(result.artifact, targetURL: try PostgresTestServer.url(database: target),
                                               options: RestoreOptions())
        } throws: { error in
            (error as? PostgresRestoreError)?.kind == .targetNotEmpty && "\(error)".contains("--clean") && "\(error)".contains("--force")
        }
        #expect(try PostgresTestServer.psql("SELECT string_agg(id::text, ',') FROM parts", database: target) == "7")
    }

    @Test("only modes that can undo everything check while restoring", arguments: [
        (RestoreOptions(), true),
        (RestoreOptions(createDatabase: true), true),
        (RestoreOptions(noOwner: true, noPrivileges: true), true),
        (RestoreOptions(clean: true), false),
        (RestoreOptions(force: true), false),
        (RestoreOptions(singleTransaction: false), false),
    ])
    func streamingModes(options: RestoreOptions, streams: Bool) {
        #expect(PostgresDumpRestore.checksWhileRestoring(options) == streams)
    }
}
