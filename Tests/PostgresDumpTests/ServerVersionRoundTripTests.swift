import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// The fixture dumped by vaultops and restored with psql on every PostgreSQL version CI runs (15–18),
/// and from each into every newer one, compared with `pg_dump --schema-only` and the table contents.
@Suite("Dump round trip on every server version")
struct ServerVersionRoundTripTests {
    /// Each listed server really is the version it is listed as, so no version is tested under another's name.
    @Test(arguments: PostgresServers.all)
    func serverIsTheListedVersion(_ server: PostgresServer) throws {
        let versionNum = try #require(Int(try server.psql("SHOW server_version_num")))
        #expect(versionNum / 10000 == server.major, "\(server) answers server_version_num \(versionNum)")
        let pgDump = try runProcess(server.tool("pg_dump"), ["--version"])
        #expect(pgDump.stdout.contains("(PostgreSQL) \(server.major)."), "\(server.tool("pg_dump")) is \(pgDump.stdout)")
    }

    @Test(arguments: PostgresServers.all)
    func fixtureRoundTripsThroughPsql(_ server: PostgresServer) throws {
        let dir = try TempDir("versions")
        let source = try PostgresFixture.loadedDatabase(on: server, kinds: true, label: "dumpsrc")
        defer { try? server.dropDatabase(source) }
        let copy = try VersionedDump.roundTrip(source, from: server, into: server, dir: dir)
        defer { try? server.dropDatabase(copy) }
        try VersionedDump.expectSameSchema(try VersionedDump.schemaOnly(source, on: server),
                                           try VersionedDump.schemaOnly(copy, on: server), "\(server) source vs copy", dir: dir)
        VersionedDump.expectSameContents(try VersionedDump.contents(source, on: server),
                                         try VersionedDump.contents(copy, on: server), "\(server)")
    }

    /// A dump from each server restores into each newer one as the same database the fixture makes
    /// there: the newer server's pg_dump sees the same schema in the copy as in the fixture loaded on it
    /// directly, and the copy has the source's rows. (The source itself is not compared as text: an older
    /// server deparses views differently, and Debian's 15 keeps an internal `pg_attver` column option that
    /// newer pg_dumps print.)
    @Test(arguments: PostgresServers.upgradePairs)
    func dumpRestoresIntoEachNewerServer(_ old: PostgresServer, _ new: PostgresServer) throws {
        let dir = try TempDir("upgrade")
        let source = try PostgresFixture.loadedDatabase(on: old, alike: [new], kinds: true, label: "dumpsrc")
        defer { try? old.dropDatabase(source) }
        // The reference first: loading the fixture creates its roles on the newer server (roles are cluster-wide and
        // not in a database's dump), which the restore needs; on a fresh server it depended on which test ran first.
        let reference = try PostgresFixture.loadedDatabase(on: new, alike: [old], version: old.major, kinds: true, label: "dumpsrc")
        defer { try? new.dropDatabase(reference) }
        let copy = try VersionedDump.roundTrip(source, from: old, into: new, dir: dir)
        defer { try? new.dropDatabase(copy) }
        try VersionedDump.expectSameSchema(try VersionedDump.schemaOnly(reference, on: new),
                                           try VersionedDump.schemaOnly(copy, on: new),
                                           "fixture on \(new) vs \(old) copy", dir: dir)
        VersionedDump.expectSameContents(try VersionedDump.contents(source, on: old),
                                         try VersionedDump.contents(copy, on: new), "\(old) to \(new)")
    }
}
