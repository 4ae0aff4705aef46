import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// Tables, indexes, constraints' indexes, partitioned tables and indexes, and materialized views in a tablespace
/// other than the database's default, dumped as pg_dump does: `SET default_tablespace = x;` before the object and
/// `''` after it; the tablespace itself is pg_dumpall's and is not created.
@Suite("Objects in a non-default tablespace")
struct TablespaceTests {
    @Test(arguments: PostgresServers.all)
    func tablespacesRoundTrip(_ server: PostgresServer) throws {
        let dir = try TempDir("tablespace")
        let ts = "vaultops_ts_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        try server.createTablespace(ts, in: dir)
        defer {
            // The databases using it are gone by now (expectRoundTrip drops them); then the folder may go.
            _ = try? server.psql("DROP TABLESPACE IF EXISTS \(ts)")
            withExtendedLifetime(dir) {}
        }
        let script = try VersionedDump.expectRoundTrip("""
            CREATE TABLE t (a integer PRIMARY KEY USING INDEX TABLESPACE \(ts), b text) TABLESPACE \(ts);
            CREATE INDEX t_b ON t (b) TABLESPACE \(ts);
            CREATE TABLE u (a integer, CONSTRAINT u_a UNIQUE (a) USING INDEX TABLESPACE \(ts));
            CREATE TABLE p (a integer) PARTITION BY RANGE (a) TABLESPACE \(ts);
            CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
            CREATE INDEX p_a ON p (a) TABLESPACE \(ts);
            CREATE TABLE plain (a integer);
            INSERT INTO t VALUES (1, 'x');
            INSERT INTO p VALUES (1);
            CREATE MATERIALIZED VIEW m TABLESPACE \(ts) AS SELECT a FROM t;
            """, on: server)
        #expect(script.contains("SET default_tablespace = \(ts);\n\n"))
        #expect(!script.contains("CREATE TABLESPACE"), "the tablespace itself is pg_dumpall's, not pg_dump's")
        // Each object is followed by the reset, so `plain` lands in the database's default.
        let plain = try #require(script.range(of: "CREATE TABLE public.plain"))
        let lastSet = try #require(script.range(of: "SET default_tablespace = ", options: .backwards, range: script.startIndex..<plain.lowerBound))
        #expect(script[lastSet.upperBound...].hasPrefix("'';"))
    }

    /// A partition made by PARTITION OF takes its parent's tablespace whatever default_tablespace says, so one
    /// outside it is refused by name, as is a partition's index outside its parent index's tablespace.
    @Test(arguments: PostgresServers.all)
    func partitionsOutsideTheirParentsTablespaceAreRefused(_ server: PostgresServer) throws {
        let dir = try TempDir("tablespace")
        let ts = "vaultops_ts_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        try server.createTablespace(ts, in: dir)
        let db = try server.freshDatabase("tsrefuse")
        defer {
            try? server.dropDatabase(db)
            _ = try? server.psql("DROP TABLESPACE IF EXISTS \(ts)")
            withExtendedLifetime(dir) {}
        }
        try server.psql("""
            CREATE TABLE p (a integer) PARTITION BY RANGE (a) TABLESPACE \(ts);
            CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10) TABLESPACE pg_default;
            CREATE TABLE q (a integer) PARTITION BY RANGE (a);
            CREATE TABLE q1 PARTITION OF q FOR VALUES FROM (0) TO (10);
            CREATE INDEX q_a ON q (a);
            ALTER INDEX q1_a_idx SET TABLESPACE \(ts);
            """, database: db)
        let connection = try Connection(try server.url(database: db))
        let summary = try PostgresDumper(connection: connection, options: DumpOptions(skipUnsupportedObjects: true)).dump(to: MemorySink())
        #expect(summary.skipped.contains { $0.contains("public.p1") }, "\(summary.skipped)")
        #expect(summary.skipped.contains { $0.contains("public.q1_a_idx") }, "\(summary.skipped)")
        #expect(!summary.skipped.contains { $0.contains("public.q1 ") || $0.hasSuffix("public.q1") }, "\(summary.skipped)")
    }
}
