import Foundation
import Testing
import TestSupport

/// Catalog forms that only some server versions have, each dumped and restored on the versions that
/// have it (in CI 18 is always among them, running or failing by name).
@Suite("Version-specific dump forms")
struct VersionSpecificDumpTests {
    static var from17: [PostgresServer] { PostgresServers.all.filter { $0.major >= 17 } }
    static var from18: [PostgresServer] { PostgresServers.all.filter { $0.major >= 18 } }

    /// From 17 a domain's NOT NULL is also a named pg_constraint row; written again as a constraint it
    /// made the script fail on 17 ("already exists") and 18 ("redundant NOT NULL").
    @Test(arguments: PostgresServers.all)
    func notNullDomainsRestore(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            CREATE DOMAIN flag AS boolean NOT NULL;
            CREATE DOMAIN qty AS integer CONSTRAINT qty_required NOT NULL CONSTRAINT qty_positive CHECK (VALUE > 0);
            CREATE DOMAIN code AS text DEFAULT 'x' NOT NULL CHECK (VALUE <> '');
            CREATE TABLE uses (f flag, q qty, c code);
            INSERT INTO uses VALUES (true, 1, 'a');
            """, on: server)
        #expect(script.contains("CREATE DOMAIN public.flag AS boolean NOT NULL;"))
        #expect(!script.contains("_not_null NOT NULL"), "a NOT NULL written twice:\n\(script)")
        if server.major >= 17 {
            // The name is kept when it is not the default one.
            #expect(script.contains("CREATE DOMAIN public.qty AS integer CONSTRAINT qty_required NOT NULL"))
        }
    }

    /// A comment on a domain's NOT NULL constraint (it has a name to comment on from 17).
    @Test(arguments: from17)
    func commentOnADomainNotNullRestores(_ server: PostgresServer) throws {
        try VersionedDump.expectRoundTrip("""
            CREATE DOMAIN qty AS integer CONSTRAINT qty_required NOT NULL;
            COMMENT ON CONSTRAINT qty_required ON DOMAIN qty IS 'never unknown';
            CREATE DOMAIN flag AS boolean NOT NULL;
            COMMENT ON CONSTRAINT flag_not_null ON DOMAIN flag IS 'default name';
            """, on: server)
    }

    /// PostgreSQL 18's table NOT NULL constraints: names (default or not), NO INHERIT and comments.
    @Test(arguments: from18)
    func namedNotNullConstraintsRestore(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            CREATE TABLE t (a integer CONSTRAINT a_required NOT NULL, b integer NOT NULL, c integer NOT NULL NO INHERIT,
                            d text CONSTRAINT d_present NOT NULL NO INHERIT, e integer NOT NULL);
            COMMENT ON CONSTRAINT a_required ON t IS 'a is required';
            COMMENT ON CONSTRAINT t_e_not_null ON t IS 'default name, commented';
            INSERT INTO t VALUES (1, 2, 3, 'd', 5);
            """, on: server)
        #expect(script.contains("a integer CONSTRAINT a_required NOT NULL"))
        #expect(script.contains("b integer NOT NULL"))
        #expect(script.contains("c integer NOT NULL NO INHERIT"))
    }

    /// Partitions and inheritance children: constraints of their own, named unlike the parent's, or inherited.
    @Test(arguments: from18)
    func notNullConstraintsOfPartitionsAndChildrenRestore(_ server: PostgresServer) throws {
        try VersionedDump.expectRoundTrip("""
            CREATE TABLE parent (id integer CONSTRAINT parent_id_required NOT NULL, x integer, y integer NOT NULL);
            CREATE TABLE child (z integer CONSTRAINT child_z_required NOT NULL,
                                CONSTRAINT child_x_own NOT NULL x, CONSTRAINT child_y_own NOT NULL y) INHERITS (parent);
            CREATE TABLE merged (id integer NOT NULL) INHERITS (parent);
            CREATE TABLE plain_child () INHERITS (parent);
            COMMENT ON CONSTRAINT parent_id_required ON child IS 'inherited, commented in the child';
            CREATE TABLE parted (k integer CONSTRAINT parted_k_required NOT NULL, v integer, w integer) PARTITION BY RANGE (k);
            CREATE TABLE part1 PARTITION OF parted (CONSTRAINT part1_v_required NOT NULL v) FOR VALUES FROM (0) TO (10);
            CREATE TABLE part2 (k integer CONSTRAINT part2_k_own NOT NULL, v integer, w integer NOT NULL);
            ALTER TABLE parted ATTACH PARTITION part2 FOR VALUES FROM (10) TO (20);
            INSERT INTO parted VALUES (1, 1, NULL), (11, NULL, 3);
            INSERT INTO child VALUES (1, 2, 3, 4);
            """, on: server)
    }

    /// A NOT VALID NOT NULL constraint over existing NULLs: added after the data and left NOT VALID, so the
    /// restore succeeds and the constraint is the same (it came back validated, and so failed, before).
    @Test(arguments: from18)
    func notValidNotNullConstraintStaysNotValid(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            CREATE TABLE t (id integer, note text);
            INSERT INTO t VALUES (1, NULL), (2, 'two');
            ALTER TABLE t ADD CONSTRAINT note_checked_later NOT NULL note NOT VALID;
            COMMENT ON CONSTRAINT note_checked_later ON t IS 'not valid yet';
            """, on: server)
        let add = try #require(script.range(of: "ADD CONSTRAINT note_checked_later NOT NULL note NOT VALID;"))
        let copy = try #require(script.range(of: "COPY public.t "))
        #expect(copy.lowerBound < add.lowerBound, "the NOT VALID constraint must be added after the data")
    }

    /// PostgreSQL 18's virtual generated columns were written as DEFAULT (expr), which restored as a
    /// plain column with a default (or failed); they are written as pg_dump does and left out of COPY.
    @Test(arguments: from18)
    func virtualGeneratedColumnsRestore(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            CREATE TABLE t (a integer, doubled integer GENERATED ALWAYS AS (a * 2) VIRTUAL,
                            label text GENERATED ALWAYS AS ('#' || a::text), stored integer GENERATED ALWAYS AS (a * 3) STORED);
            INSERT INTO t (a) VALUES (1), (NULL);
            """, on: server)
        #expect(script.contains("doubled integer GENERATED ALWAYS AS ((a * 2))"))
        #expect(script.contains("COPY public.t (a) FROM stdin;"))
        #expect(!script.contains(" DEFAULT (a * 2)"))
    }
}
