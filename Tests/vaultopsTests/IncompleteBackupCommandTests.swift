import Foundation
import Testing
import TestSupport

/// Objects the dumper cannot recreate: the backup stops with a list, unless `--allow-incomplete`
/// (or `allow_incomplete: true` on the source) records them in the manifest and the dump's header.
@Suite("backup postgres with objects the dump cannot carry (CLI)")
struct IncompleteBackupCommandTests {
    /// A database with a table and an object of a kind the dumper does not recreate, made by hand: a column privilege
    /// on a pg_catalog table, which pg_dump writes.
    static func databaseWithUnsupportedObject() throws -> String {
        let source = try PostgresTestServer.freshDatabase("incomplete")
        try PostgresTestServer.psql("""
            GRANT SELECT (stanullfrac) ON pg_catalog.pg_statistic TO PUBLIC;
            CREATE TABLE t (id integer PRIMARY KEY); INSERT INTO t VALUES (1), (2);
            """, database: source)
        return source
    }

    static let missing = "privileges on column pg_catalog.pg_statistic.stanullfrac"

    @Test("without --allow-incomplete the backup stops with exit 1, lists what it cannot carry, and names the flag")
    func refusedWithoutTheFlag() throws {
        let source = try Self.databaseWithUnsupportedObject()
        let dir = try TempDir("incomplete-refused")
        let r = try vaultops(["backup", "postgres", try PostgresTestServer.url(database: source), "--out", dir.path, "--name", "db"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains(Self.missing))
        #expect(r.stderr.contains("--allow-incomplete"))
        #expect(!r.stderr.contains("DumpOptions") && !r.stderr.contains("skipUnsupportedObjects"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("with --allow-incomplete the backup is written, and the manifest and the dump's header list what is missing")
    func recordedWithTheFlag() throws {
        let source = try Self.databaseWithUnsupportedObject()
        let dir = try TempDir("incomplete-allowed")
        let r = try vaultops(["backup", "postgres", try PostgresTestServer.url(database: source), "--out", dir.path, "--name", "db",
                              "--allow-incomplete"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains(Self.missing), "the user is told what the backup lacks")
        let artifact = dir.file("db_\(todayStamp()).sql.gz")
        let manifest = try String(contentsOf: URL(fileURLWithPath: artifact.path + ".manifest.json"), encoding: .utf8)
        #expect(manifest.contains("\"not_dumped\" : \"\(Self.missing)\""))
        let script = try runProcess("gunzip", ["-c", artifact.path]).stdout
        let header = script[..<(script.range(of: "\nCREATE ")?.lowerBound ?? script.endIndex)]
        #expect(header.contains("-- WARNING: not dumped (unsupported object kind): \(Self.missing)"))
        #expect(try vaultops(["verify", artifact.path]).status == 0)
    }

    @Test("allow_incomplete: true on a postgres source lets run back it up; on another kind of source it is a config error")
    func configKey() throws {
        let source = try Self.databaseWithUnsupportedObject()
        let dir = try TempDir("incomplete-run")
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let url = try PostgresTestServer.url(database: source)
        let refused = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: \(url)
            """, name: "refused.yml")
        let r1 = try vaultops(["run", "--config", refused.path])
        #expect(r1.status == 1, "\(r1.stdout)\(r1.stderr)")
        #expect((r1.stdout + r1.stderr).contains("--allow-incomplete"))
        #expect(try artifacts(in: dir.file("backups")).isEmpty)

        let allowed = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: \(url)
                allow_incomplete: true
            """, name: "allowed.yml")
        let r2 = try vaultops(["run", "--config", allowed.path])
        #expect(r2.status == 0, "\(r2.stdout)\(r2.stderr)")
        #expect(r2.stderr.contains(Self.missing))
        let made = try artifacts(in: dir.file("backups"))
        #expect(made == ["db_\(todayStamp()).sql.gz"])
        let manifest = try String(contentsOf: dir.file("backups/db_\(todayStamp()).sql.gz.manifest.json"), encoding: .utf8)
        #expect(manifest.contains(Self.missing))

        let wrongKind = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: files
                files: [backups]
                allow_incomplete: true
            """, name: "wrong.yml")
        let r3 = try vaultops(["run", "--config", wrongKind.path, "--dry-run"])
        #expect(r3.status == 2, "\(r3.stdout)\(r3.stderr)")
        #expect(r3.stderr.contains("allow_incomplete") && r3.stderr.contains("wrong.yml:5"))
    }
}
