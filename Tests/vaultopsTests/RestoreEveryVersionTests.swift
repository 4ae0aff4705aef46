import Foundation
import Testing
import TestSupport

/// The project's fixture backed up and brought back with the `vaultops` command itself (`backup postgres`,
/// `verify --deep`, `restore`) on every server version CI runs, and from the oldest into each newer one; judged
/// by the server's own pg_dump (schema and data) of the source and of the restored copy.
@Suite("backup and restore with vaultops on every server version (CLI)")
struct RestoreEveryVersionTests {
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/postgres")
    }

    /// A fresh database on `server` with the fixture (and its parts for `version`, default the server's) loaded;
    /// made without contrib extensions when `server` or one of `alike` has none.
    static func loadFixture(on server: PostgresServer, alike: [PostgresServer] = [], version: Int? = nil) throws -> String {
        let db = try server.freshDatabase("vrsrc")
        var environment = ProcessInfo.processInfo.environment
        for other in [server] + alike where try other.psql(
            "SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'citext'") == "0" {
            environment["PGOPTIONS"] = "-c vaultops.fixture_contrib=off"
        }
        var files = ["fixture.sql"]
        if (version ?? server.major) >= 17 { files.append("fixture-17.sql") }
        if (version ?? server.major) >= 18 { files.append("fixture-18.sql") }
        for file in files {
            let r = try runProcess(server.tool("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", try server.url(database: db),
                                                         "-f", fixtures.appendingPathComponent(file).path], environment: environment)
            guard r.status == 0 else { throw TestSupportError("loading \(file) on \(server): \(r.stderr)") }
        }
        return db
    }

    /// Backs `database` on `server` up with `vaultops backup postgres` into `dir`, checks it with `verify --deep`,
    /// and returns the artifact.
    static func backup(_ database: String, on server: PostgresServer, into dir: TempDir) throws -> URL {
        let r = try vaultops(["backup", "postgres", try server.url(database: database), "--out", dir.path, "--name", "db"])
        guard r.status == 0 else { throw TestSupportError("backup on \(server): \(r.stderr)") }
        let artifact = dir.file("db_\(todayStamp()).sql.gz")
        let verify = try vaultops(["verify", "--deep", artifact.path, "--server", try server.url(database: "postgres")])
        #expect(verify.status == 0, "verify --deep on \(server): \(verify.stdout)\(verify.stderr)")
        return artifact
    }

    static func expectSame(_ a: String, _ b: String, _ what: String, dir: TempDir) throws {
        guard a != b else { return }
        try a.write(to: dir.file("source.sql"), atomically: true, encoding: .utf8)
        try b.write(to: dir.file("copy.sql"), atomically: true, encoding: .utf8)
        let diff = try runProcess("diff", ["-u", dir.file("source.sql").path, dir.file("copy.sql").path])
        Issue.record("pg_dump of the source and of the restored copy differ (\(what)):\n\(diff.stdout.prefix(6000))")
    }

    @Test("vaultops restore gives back what pg_dump sees in the source", arguments: PostgresServers.all)
    func sameServer(_ server: PostgresServer) throws {
        let dir = try TempDir("everyversion")
        let source = try Self.loadFixture(on: server)
        let artifact = try Self.backup(source, on: server, into: dir)
        let target = try server.freshDatabase("vrdst")
        let r = try vaultops(["restore", artifact.path, "--to", try server.url(database: target)])
        #expect(r.status == 0, "\(r.stderr)")
        try Self.expectSame(try server.comparableDump(source), try server.comparableDump(target), "\(server)", dir: dir)
        for db in [source, target] { try server.psql("DROP DATABASE \"\(db)\"") }
    }

    /// The newer server's pg_dump is the judge: the copy's schema must equal the fixture's loaded there directly
    /// (an older server deparses views differently, so its own dump of the source is no reference), and its data
    /// the source's, both read by the newer pg_dump.
    @Test("vaultops restore of the oldest server's backup into each newer server", arguments: PostgresServers.upgradePairs)
    func intoNewer(_ old: PostgresServer, _ new: PostgresServer) throws {
        let dir = try TempDir("everyversion-up")
        let source = try Self.loadFixture(on: old, alike: [new])
        let artifact = try Self.backup(source, on: old, into: dir)
        // The reference first: loading the fixture creates its roles on the newer server (roles are cluster-wide
        // and not in a database's dump), which the restore needs for its owners and grants.
        let reference = try Self.loadFixture(on: new, alike: [old], version: old.major)
        let target = try new.freshDatabase("vrup")
        let r = try vaultops(["restore", artifact.path, "--to", try new.url(database: target)])
        #expect(r.status == 0, "\(r.stderr)")
        try Self.expectSame(try new.comparableDump(reference, ["--schema-only"]), try new.comparableDump(target, ["--schema-only"]),
                            "schema, \(old) to \(new)", dir: dir)
        try Self.expectSame(try old.comparableDump(source, ["--data-only"], dumper: new),
                            try new.comparableDump(target, ["--data-only"]), "data, \(old) to \(new)", dir: dir)
        try old.psql("DROP DATABASE \"\(source)\"")
        for db in [target, reference] { try new.psql("DROP DATABASE \"\(db)\"") }
    }
}
