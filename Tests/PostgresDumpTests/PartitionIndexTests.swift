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
}
