import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// A partition's index or key constraint keeps its own name, as pg_dump keeps it (its own CREATE INDEX or ADD CONSTRAINT
/// and ATTACH): made alone before the parent's, which takes it as its partition, rather than made anew by the parent's
/// under a name the server chooses. Common after partitioning existing tables: ADD PRIMARY KEY, then ATTACH PARTITION.
@Suite("Partitions' indexes and key constraints")
struct PartitionIndexTests {
    @Test(arguments: PostgresServers.all)
    func partitionIndexesAndKeysKeepTheirNames(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            CREATE TABLE p (a integer, b integer) PARTITION BY RANGE (a);
            CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
            CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (10) TO (20);
            CREATE INDEX "My Own Name" ON p1 (a);
            CREATE INDEX a_again ON p1 (a);
            CREATE INDEX p_a ON p (a);
            CREATE INDEX p_b ON p (b) WHERE b > 0;
            CREATE TABLE q (a integer PRIMARY KEY, b integer, UNIQUE (a, b)) PARTITION BY RANGE (a);
            CREATE TABLE q1 (a integer NOT NULL, b integer);
            ALTER TABLE q1 ADD CONSTRAINT q1_custom_pk PRIMARY KEY (a);
            ALTER TABLE q ATTACH PARTITION q1 FOR VALUES FROM (0) TO (10);
            CREATE TABLE q2 PARTITION OF q FOR VALUES FROM (10) TO (20);
            INSERT INTO p VALUES (1, 1), (11, 2);
            INSERT INTO q VALUES (1, 1), (11, 2);
            """, on: server)
        #expect(script.contains("CREATE INDEX \"My Own Name\" ON public.p1"))
        #expect(script.contains("ADD CONSTRAINT q1_custom_pk PRIMARY KEY (a);"))
    }

    /// One level down too: a partitioned partition's own index and key constraint names, and its leaves', survive
    /// (pg_dump: CREATE INDEX … ON ONLY on each partitioned table, each partition's made alone, then ALTER INDEX … ATTACH
    /// PARTITION), where the root's CREATE INDEX would make the middle level's anew under names the server chooses.
    @Test(arguments: PostgresServers.all)
    func partitionedPartitionsKeepTheirIndexAndKeyNames(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            CREATE TABLE r (a integer, b integer) PARTITION BY RANGE (a);
            CREATE TABLE r1 (a integer NOT NULL, b integer) PARTITION BY RANGE (b);
            CREATE TABLE r1a PARTITION OF r1 FOR VALUES FROM (0) TO (10);
            CREATE TABLE r1b (a integer NOT NULL, b integer);
            CREATE INDEX r1b_own ON r1b (b);
            ALTER TABLE r1b ADD CONSTRAINT r1b_own_key UNIQUE (a, b);
            ALTER TABLE r1 ATTACH PARTITION r1b FOR VALUES FROM (10) TO (20);
            CREATE INDEX "Mid Index" ON r1 (b);
            ALTER TABLE r1 ADD CONSTRAINT r1_own_key UNIQUE (a, b);
            COMMENT ON INDEX "Mid Index" IS 'the middle level''s';
            ALTER TABLE r ATTACH PARTITION r1 FOR VALUES FROM (0) TO (100);
            CREATE TABLE r2 PARTITION OF r FOR VALUES FROM (100) TO (200);
            CREATE INDEX r_b ON r (b);
            ALTER TABLE r ADD CONSTRAINT r_key UNIQUE (a, b);
            CREATE TABLE s (a integer PRIMARY KEY) PARTITION BY LIST (a);
            CREATE TABLE s1 PARTITION OF s FOR VALUES IN (1, 2) PARTITION BY LIST (a);
            CREATE TABLE s11 PARTITION OF s1 FOR VALUES IN (1);
            ALTER INDEX s1_pkey RENAME TO s1_renamed_pkey;
            ALTER INDEX s11_pkey RENAME TO s11_renamed_pkey;
            ALTER TABLE s REPLICA IDENTITY USING INDEX s_pkey;
            ALTER TABLE s1 REPLICA IDENTITY USING INDEX s1_renamed_pkey;
            ALTER TABLE s11 REPLICA IDENTITY USING INDEX s11_renamed_pkey;
            CREATE TABLE f (a integer REFERENCES s);
            INSERT INTO r VALUES (1, 1), (2, 11), (150, 150);
            INSERT INTO s VALUES (1);
            INSERT INTO f VALUES (1);
            """, on: server)
        #expect(script.contains("CREATE INDEX \"Mid Index\" ON ONLY public.r1"))
        #expect(script.contains("ALTER INDEX public.r_b ATTACH PARTITION public.\"Mid Index\";"))
    }
}
