import Foundation
import Testing
import TestSupport

/// The project's fixture backed up and brought back with the `vaultops` command itself (`backup postgres`,
/// `verify --deep`, `restore`) on every server version CI runs, and from the oldest into each newer one; judged
/// by the server's own pg_dump (schema and data) of the source and of the restored copy.
@Suite("backup and restore with vaultops on every server version (CLI)")
struct RestoreEveryVersionTests {
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
        let source = try PostgresFixture.loadedDatabase(on: server, label: "vrsrc")
        defer { try? server.dropDatabase(source) }
        let artifact = try Self.backup(source, on: server, into: dir)
        let target = try server.freshDatabase("vrdst")
        defer { try? server.dropDatabase(target) }
        let r = try vaultops(["restore", artifact.path, "--to", try server.url(database: target)])
        #expect(r.status == 0, "\(r.stderr)")
        try Self.expectSame(try server.comparableDump(source), try server.comparableDump(target), "\(server)", dir: dir)
    }

    /// The newer server's pg_dump is the judge: the copy's schema must equal the fixture's loaded there directly
    /// (an older server deparses views differently, so its own dump of the source is no reference), and its data
    /// the source's, both read by the newer pg_dump.
    @Test("vaultops restore of the oldest server's backup into each newer server", arguments: PostgresServers.upgradePairs)
    func intoNewer(_ old: PostgresServer, _ new: PostgresServer) throws {
        let dir = try TempDir("everyversion-up")
        let source = try PostgresFixture.loadedDatabase(on: old, alike: [new], label: "vrsrc")
        defer { try? old.dropDatabase(source) }
        let artifact = try Self.backup(source, on: old, into: dir)
        // The reference first: loading the fixture creates its roles on the newer server (roles are cluster-wide
        // and not in a database's dump), which the restore needs for its owners and grants.
        let reference = try PostgresFixture.loadedDatabase(on: new, alike: [old], version: old.major, label: "vrsrc")
        defer { try? new.dropDatabase(reference) }
        let target = try new.freshDatabase("vrup")
        defer { try? new.dropDatabase(target) }
        let r = try vaultops(["restore", artifact.path, "--to", try new.url(database: target)])
        #expect(r.status == 0, "\(r.stderr)")
        try Self.expectSame(try new.comparableDump(reference, ["--schema-only"]), try new.comparableDump(target, ["--schema-only"]),
                            "schema, \(old) to \(new)", dir: dir)
        try Self.expectSame(try old.comparableDump(source, ["--data-only"], dumper: new),
                            try new.comparableDump(target, ["--data-only"]), "data, \(old) to \(new)", dir: dir)
    }
}
