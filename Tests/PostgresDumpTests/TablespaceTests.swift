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

    /// A partition outside its parent's tablespace (PARTITION OF would put it in the parent's, whatever default_tablespace
    /// says) is created alone in its own and attached, as pg_dump does; so is a partition's index outside its parent
    /// index's (a key constraint's too), at any level of the tree, which is then attached to the parent's. On 17 and later
    /// a partition created alone carries its parent's identity column.
    @Test(arguments: PostgresServers.all)
    func partitionsOutsideTheirParentsTablespaceRoundTrip(_ server: PostgresServer) throws {
        let dir = try TempDir("tablespace")
        let ts = "vaultops_ts_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        try server.createTablespace(ts, in: dir)
        defer {
            _ = try? server.psql("DROP TABLESPACE IF EXISTS \(ts)")
            withExtendedLifetime(dir) {}
        }
        // PostgreSQL 17 gives a partitioned table's identity column to its partitions, so one created alone carries it.
        let identity = server.major < 17 ? "" : """
            CREATE TABLE g (id integer GENERATED ALWAYS AS IDENTITY, a integer) PARTITION BY RANGE (a) TABLESPACE \(ts);
            CREATE TABLE g1 PARTITION OF g FOR VALUES FROM (0) TO (10) TABLESPACE pg_default;
            CREATE TABLE g2 PARTITION OF g FOR VALUES FROM (10) TO (20);
            INSERT INTO g (a) VALUES (1), (11);
            """
        let script = try VersionedDump.expectRoundTrip("""
            CREATE TABLE p (a integer NOT NULL, b text DEFAULT 'x', c integer GENERATED ALWAYS AS (a * 2) STORED,
                            CONSTRAINT a_positive CHECK (a >= 0)) PARTITION BY RANGE (a) TABLESPACE \(ts);
            CREATE TABLE p1 PARTITION OF p (CONSTRAINT b_short CHECK (length(b) < 5)) FOR VALUES FROM (0) TO (10) TABLESPACE pg_default;
            CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (10) TO (20);
            CREATE TABLE p3 PARTITION OF p FOR VALUES FROM (20) TO (30) PARTITION BY RANGE (a);
            CREATE TABLE p31 PARTITION OF p3 FOR VALUES FROM (20) TO (25) TABLESPACE pg_default;
            CREATE INDEX p_b ON p (b);
            COMMENT ON TABLE p1 IS 'in the database''s default';
            CREATE TABLE q (a integer, b integer) PARTITION BY RANGE (a);
            CREATE TABLE q1 PARTITION OF q FOR VALUES FROM (0) TO (10);
            CREATE TABLE q2 PARTITION OF q FOR VALUES FROM (10) TO (20);
            CREATE INDEX q_a ON q (a);
            CREATE INDEX q_b ON q (b) TABLESPACE \(ts);
            ALTER INDEX q1_a_idx SET TABLESPACE \(ts);
            ALTER INDEX q2_b_idx SET TABLESPACE pg_default;
            CREATE TABLE r (a integer PRIMARY KEY USING INDEX TABLESPACE \(ts)) PARTITION BY RANGE (a);
            CREATE TABLE r1 PARTITION OF r FOR VALUES FROM (0) TO (10);
            CREATE TABLE r2 PARTITION OF r FOR VALUES FROM (10) TO (20);
            ALTER INDEX r1_pkey SET TABLESPACE pg_default;
            CREATE TABLE s (a integer PRIMARY KEY) PARTITION BY RANGE (a);
            CREATE TABLE s1 PARTITION OF s FOR VALUES FROM (0) TO (10) PARTITION BY RANGE (a);
            CREATE TABLE s11 PARTITION OF s1 FOR VALUES FROM (0) TO (5);
            CREATE INDEX s_a ON s (a);
            ALTER INDEX s1_a_idx SET TABLESPACE \(ts);
            ALTER INDEX s1_pkey SET TABLESPACE \(ts);
            INSERT INTO p (a, b) VALUES (1, 'one'), (11, 'elf'), (21, 'tw');
            INSERT INTO q VALUES (1, 1), (11, 11);
            INSERT INTO r VALUES (1), (11);
            INSERT INTO s VALUES (1);
            \(identity)
            """, on: server)
        #expect(script.contains("ATTACH PARTITION public.p1 "), "p1 is created alone and attached")
        #expect(!script.contains("ATTACH PARTITION public.p2 "), "p2 is in its parent's tablespace: PARTITION OF puts it there")
        #expect(script.contains("ALTER INDEX public.s_a ATTACH PARTITION public.s1_a_idx;"))
    }
}
