import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// Object kinds the dump once refused (large objects, collations, text search configurations and dictionaries,
/// operators and their families and classes, casts, conversions) or left out without a word (text search parsers
/// and templates), each dumped and restored on every server.
@Suite("Object kinds on every server version")
struct ObjectKindTests {
    /// Large objects with their contents (empty, small, and over several reads), owners, grants and comments;
    /// `expectRoundTrip` compares them with the tables (DumpFixture.contents).
    @Test(arguments: PostgresServers.all)
    func largeObjectsRoundTrip(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            DO $$ BEGIN CREATE ROLE vaultops_lo_owner NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
            SELECT lo_from_bytea(700001, convert_to('first', 'UTF8'));
            SELECT lo_create(700002);
            SELECT lo_from_bytea(700003, (SELECT string_agg(int4send(g), ''::bytea ORDER BY g) FROM generate_series(1, 300000) g));
            COMMENT ON LARGE OBJECT 700002 IS 'nothing in it';
            ALTER LARGE OBJECT 700003 OWNER TO vaultops_lo_owner;
            GRANT UPDATE ON LARGE OBJECT 700001 TO vaultops_lo_owner WITH GRANT OPTION;
            REVOKE ALL ON LARGE OBJECT 700003 FROM vaultops_lo_owner;
            GRANT SELECT ON LARGE OBJECT 700003 TO PUBLIC;
            CREATE TABLE docs (id integer, body oid);
            INSERT INTO docs VALUES (1, 700001), (3, 700003);
            """, on: server)
        #expect(script.contains("SELECT pg_catalog.lo_create('700002');\n\nALTER LARGE OBJECT 700002 OWNER TO "))
        #expect(script.contains("COMMENT ON LARGE OBJECT 700002 IS 'nothing in it';"))
        #expect(script.contains("SELECT pg_catalog.lo_put('700001', 0, '\\x6669727374');"))
        // 1,200,000 bytes: 74 statements of 16 KiB (the last one shorter), at increasing offsets.
        #expect(script.components(separatedBy: "SELECT pg_catalog.lo_put('700003', ").count - 1 == 74)
        #expect(script.contains("SELECT pg_catalog.lo_put('700003', 1196032, '\\x"))
        // No descriptor is kept between statements, so the script restores without one transaction too.
        #expect(!script.contains("lo_open") && !script.contains("lowrite"))
        #expect(script.contains("GRANT UPDATE ON LARGE OBJECT 700001 TO vaultops_lo_owner WITH GRANT OPTION;"))
        #expect(script.contains("REVOKE ALL ON LARGE OBJECT 700003 FROM vaultops_lo_owner;"))
        let data = try #require(script.range(of: "SELECT pg_catalog.lo_put('700001'"))
        let grant = try #require(script.range(of: "GRANT UPDATE ON LARGE OBJECT 700001"))
        #expect(data.lowerBound < grant.lowerBound, "grants come after the contents, with the other privileges")
    }

    /// A dump without data (schema only) has no large objects, as `pg_dump --schema-only`.
    @Test func largeObjectsAreDataForOptions() throws {
        let db = try PostgresTestServer.freshDatabase("lonodata")
        try PostgresTestServer.psql("SELECT lo_from_bytea(0, 'x'::bytea);", database: db)
        let (sink, _) = try DumpFixture.dump(db, options: DumpOptions(includeData: false))
        #expect(!sink.text.contains("lo_create"))
        let (withData, summary) = try DumpFixture.dump(db)
        #expect(withData.text.contains("lo_create"))
        #expect(summary.skipped.isEmpty)
    }

    /// libc collations (one locale, two, a copy of C), the builtin provider from 17 and ICU where the server has
    /// it, with owners and comments, and the columns, domain and index that use them.
    @Test(arguments: PostgresServers.all)
    func collationsRoundTrip(_ server: PostgresServer) throws {
        var sql = """
            DO $$ BEGIN CREATE ROLE vaultops_coll_owner NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
            CREATE SCHEMA "Coll ""S"" x";
            CREATE COLLATION one_locale (provider = libc, locale = 'C.utf8');
            CREATE COLLATION "Coll ""S"" x".two_locales (provider = libc, lc_collate = 'POSIX', lc_ctype = 'C.utf8');
            CREATE COLLATION copy_of_c FROM "C";
            COMMENT ON COLLATION one_locale IS 'it''s C.utf8';
            ALTER COLLATION "Coll ""S"" x".two_locales OWNER TO vaultops_coll_owner;
            CREATE DOMAIN sorted AS text COLLATE "Coll ""S"" x".two_locales;
            CREATE TABLE t (a text COLLATE one_locale, b sorted, c text);
            CREATE INDEX t_c ON t (c COLLATE copy_of_c);
            INSERT INTO t VALUES ('x', 'y', 'z');
            """
        if server.major >= 17 {
            sql += "\nCREATE COLLATION builtin_c (provider = builtin, locale = 'C');"
            sql += "\nCREATE TABLE u (v text COLLATE builtin_c);"
        }
        if try VersionedDump.hasICU(server) {
            sql += "\nCREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);"
            sql += "\nCREATE COLLATION de_phone (provider = icu, locale = 'de-u-co-phonebk');"
            sql += "\nCREATE TABLE w (v text COLLATE ci);"
        }
        let script = try VersionedDump.expectRoundTrip(sql, on: server)
        #expect(script.contains("CREATE COLLATION public.one_locale (provider = libc, locale = 'C.utf8');"))
        #expect(script.contains("CREATE COLLATION \"Coll \"\"S\"\" x\".two_locales (provider = libc, lc_collate = 'POSIX', lc_ctype = 'C.utf8');"))
        let collation = try #require(script.range(of: "CREATE COLLATION public.one_locale"))
        let table = try #require(script.range(of: "CREATE TABLE public.t "))
        #expect(collation.lowerBound < table.lowerBound)
        if server.major >= 17 {
            #expect(script.contains("CREATE COLLATION public.builtin_c (provider = builtin, locale = 'C');"))
        }
        if try VersionedDump.hasICU(server) {
            #expect(script.contains("CREATE COLLATION public.ci (provider = icu, deterministic = false, locale = 'und-u-ks-level2');"))
        }
    }

    /// Parsers, templates, dictionaries and configurations of the database's own, mappings included, and
    /// a generated column and an index that need them.
    @Test(arguments: PostgresServers.all)
    func textSearchRoundTrip(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            DO $$ BEGIN CREATE ROLE vaultops_ts_owner NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
            CREATE SCHEMA ts;
            CREATE TEXT SEARCH PARSER ts.prs (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype);
            CREATE TEXT SEARCH TEMPLATE ts.tmpl (INIT = dsimple_init, LEXIZE = dsimple_lexize);
            -- Never used by a dictionary: dsimple_lexize without its INIT crashes the server when it lexizes.
            CREATE TEXT SEARCH TEMPLATE ts.lexize_only (LEXIZE = dsimple_lexize);
            CREATE TEXT SEARCH DICTIONARY ts."Stop Words" (TEMPLATE = pg_catalog.simple, STOPWORDS = english, ACCEPT = false);
            CREATE TEXT SEARCH DICTIONARY ts.plain (TEMPLATE = ts.tmpl);
            CREATE TEXT SEARCH CONFIGURATION ts.cfg (COPY = pg_catalog.english);
            ALTER TEXT SEARCH CONFIGURATION ts.cfg ALTER MAPPING FOR asciiword, word WITH ts."Stop Words", english_stem;
            ALTER TEXT SEARCH CONFIGURATION ts.cfg DROP MAPPING FOR email;
            CREATE TEXT SEARCH CONFIGURATION ts.own (PARSER = ts.prs);
            ALTER TEXT SEARCH CONFIGURATION ts.own ADD MAPPING FOR "int", "float", asciiword WITH ts.plain;
            COMMENT ON TEXT SEARCH PARSER ts.prs IS 'parser';
            COMMENT ON TEXT SEARCH TEMPLATE ts.tmpl IS 'template';
            COMMENT ON TEXT SEARCH DICTIONARY ts.plain IS 'dictionary';
            COMMENT ON TEXT SEARCH CONFIGURATION ts.own IS 'configuration';
            ALTER TEXT SEARCH DICTIONARY ts.plain OWNER TO vaultops_ts_owner;
            ALTER TEXT SEARCH CONFIGURATION ts.own OWNER TO vaultops_ts_owner;
            CREATE TABLE docs (body text, v tsvector GENERATED ALWAYS AS (to_tsvector('ts.cfg', body)) STORED);
            CREATE INDEX docs_own ON docs USING gin (to_tsvector('ts.own'::regconfig, body));
            INSERT INTO docs (body) VALUES ('the foxes ran 42 times');
            """, on: server)
        #expect(script.contains("CREATE TEXT SEARCH PARSER ts.prs (\n    START = prsd_start,\n    GETTOKEN = prsd_nexttoken,\n    END = prsd_end,\n    LEXTYPES = prsd_lextype );"))
        #expect(script.contains("CREATE TEXT SEARCH DICTIONARY ts.\"Stop Words\" (\n    TEMPLATE = pg_catalog.simple,\n    stopwords = 'english', accept = 'false' );"))
        #expect(script.contains("ALTER TEXT SEARCH CONFIGURATION ts.own\n    ADD MAPPING FOR \"int\" WITH ts.plain;"))
        #expect(script.contains("ALTER TEXT SEARCH CONFIGURATION ts.cfg\n    ADD MAPPING FOR asciiword WITH ts.\"Stop Words\", english_stem;"))
        let dictionary = try #require(script.range(of: "CREATE TEXT SEARCH DICTIONARY ts.plain"))
        #expect(script.contains("CREATE TEXT SEARCH TEMPLATE ts.lexize_only (\n    LEXIZE = dsimple_lexize );"))
        let template = try #require(script.range(of: "CREATE TEXT SEARCH TEMPLATE ts.tmpl"))
        #expect(template.lowerBound < dictionary.lowerBound)
    }

    /// Operators (prefix, with shells, with estimators), a family with loose members, classes, casts and
    /// conversions, with owners and comments, and the indexes that use the classes.
    @Test(arguments: PostgresServers.all)
    func operatorsCastsAndConversionsRoundTrip(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            DO $$ BEGIN CREATE ROLE vaultops_op_owner NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
            CREATE SCHEMA "Op S";
            CREATE TYPE "Op S".pt AS (x integer);
            CREATE FUNCTION "Op S".pt_eq("Op S".pt, "Op S".pt) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1.x = $2.x';
            CREATE FUNCTION "Op S".pt_lt("Op S".pt, "Op S".pt) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1.x < $2.x';
            CREATE FUNCTION "Op S".pt_gt("Op S".pt, "Op S".pt) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1.x > $2.x';
            CREATE FUNCTION "Op S".pt_cmp("Op S".pt, "Op S".pt) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT sign($1.x - $2.x)::integer';
            CREATE FUNCTION "Op S".pt_int("Op S".pt) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1.x';
            CREATE OPERATOR "Op S".< (LEFTARG = "Op S".pt, RIGHTARG = "Op S".pt, FUNCTION = "Op S".pt_lt, COMMUTATOR = OPERATOR("Op S".>),
                                      RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
            CREATE OPERATOR "Op S".> (LEFTARG = "Op S".pt, RIGHTARG = "Op S".pt, FUNCTION = "Op S".pt_gt, COMMUTATOR = OPERATOR("Op S".<));
            CREATE OPERATOR "Op S".= (LEFTARG = "Op S".pt, RIGHTARG = "Op S".pt, FUNCTION = "Op S".pt_eq, NEGATOR = OPERATOR("Op S".<>), MERGES);
            CREATE OPERATOR "Op S".@ (RIGHTARG = "Op S".pt, FUNCTION = "Op S".pt_int);
            CREATE OPERATOR FAMILY "Op S".fam USING btree;
            CREATE OPERATOR CLASS "Op S".pt_ops DEFAULT FOR TYPE "Op S".pt USING btree FAMILY "Op S".fam AS
                OPERATOR 1 "Op S".<, OPERATOR 3 "Op S".=, OPERATOR 5 "Op S".>, FUNCTION 1 "Op S".pt_cmp("Op S".pt, "Op S".pt);
            CREATE OPERATOR FAMILY "Op S".loose USING hash;
            ALTER OPERATOR FAMILY "Op S".loose USING hash ADD FUNCTION 1 ("Op S".pt, "Op S".pt) "Op S".pt_int("Op S".pt);
            COMMENT ON OPERATOR "Op S".@ (NONE, "Op S".pt) IS 'prefix';
            COMMENT ON OPERATOR CLASS "Op S".pt_ops USING btree IS 'class';
            COMMENT ON OPERATOR FAMILY "Op S".loose USING hash IS 'family';
            ALTER OPERATOR "Op S".= ("Op S".pt, "Op S".pt) OWNER TO vaultops_op_owner;
            ALTER OPERATOR FAMILY "Op S".loose USING hash OWNER TO vaultops_op_owner;
            CREATE CAST ("Op S".pt AS integer) WITH FUNCTION "Op S".pt_int("Op S".pt) AS IMPLICIT;
            CREATE CAST ("Op S".pt AS text) WITH INOUT;
            COMMENT ON CAST ("Op S".pt AS text) IS 'as text';
            CREATE CONVERSION "Op S".conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
            ALTER CONVERSION "Op S".conv OWNER TO vaultops_op_owner;
            CREATE TABLE points (p "Op S".pt);
            CREATE INDEX points_p ON points (p);
            INSERT INTO points VALUES (ROW(2)), (ROW(1));
            """, on: server)
        #expect(script.contains("CREATE OPERATOR \"Op S\".@ (\n    FUNCTION = \"Op S\".pt_int,\n    RIGHTARG = \"Op S\".pt\n);"))
        #expect(script.contains("NEGATOR = OPERATOR(\"Op S\".<>),\n    MERGES\n);"))
        #expect(!script.contains("CREATE OPERATOR \"Op S\".<> "), "a shell operator is made by the operator that names it")
        #expect(script.contains("ALTER OPERATOR FAMILY \"Op S\".loose USING hash ADD\n    FUNCTION 1 (\"Op S\".pt, \"Op S\".pt) \"Op S\".pt_int(\"Op S\".pt);"))
        #expect(script.contains("CREATE CAST (\"Op S\".pt AS integer) WITH FUNCTION \"Op S\".pt_int(\"Op S\".pt) AS IMPLICIT;"))
        #expect(script.contains("CREATE CONVERSION \"Op S\".conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;"))
        let opclass = try #require(script.range(of: "CREATE OPERATOR CLASS \"Op S\".pt_ops"))
        let greater = try #require(script.range(of: "CREATE OPERATOR \"Op S\".> "))
        #expect(greater.lowerBound < opclass.lowerBound, "a class comes after its operators")
    }

    /// Publications (all tables, column lists, row filters, schemas, options, comments) and event triggers
    /// (tags, enabled states), the latter after the privileges so that they do not fire on the restore.
    @Test(arguments: PostgresServers.all)
    func publicationsAndEventTriggersRoundTrip(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            CREATE SCHEMA pubs;
            CREATE TABLE pubs.a (id integer PRIMARY KEY, x text, y integer);
            CREATE TABLE pubs.parted (id integer, k integer) PARTITION BY RANGE (id);
            CREATE TABLE pubs.parted_1 PARTITION OF pubs.parted FOR VALUES FROM (0) TO (10);
            CREATE TABLE b (id integer);
            CREATE PUBLICATION every FOR ALL TABLES WITH (publish = 'insert, update');
            CREATE PUBLICATION "Some ""P"" x" FOR TABLE pubs.a (id, x) WHERE (id > 5 AND x <> ''), TABLE pubs.parted
                WITH (publish_via_partition_root = true);
            CREATE PUBLICATION by_schema FOR TABLES IN SCHEMA pubs, TABLE b WITH (publish = 'delete');
            CREATE PUBLICATION nothing_yet;
            COMMENT ON PUBLICATION nothing_yet IS 'empty';
            CREATE FUNCTION pubs.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no DDL'; END $$;
            CREATE EVENT TRIGGER stop_tables ON ddl_command_start WHEN TAG IN ('CREATE TABLE', 'DROP TABLE') EXECUTE FUNCTION pubs.on_ddl();
            CREATE EVENT TRIGGER "Off ""E"" x" ON ddl_command_end EXECUTE FUNCTION pubs.on_ddl();
            ALTER EVENT TRIGGER "Off ""E"" x" DISABLE;
            COMMENT ON EVENT TRIGGER stop_tables IS 'no tables';
            INSERT INTO pubs.a VALUES (1, 'x', 2);
            """, on: server)
        #expect(script.contains("CREATE PUBLICATION every FOR ALL TABLES WITH (publish = 'insert, update');"))
        #expect(script.contains("CREATE PUBLICATION nothing_yet WITH (publish = 'insert, update, delete, truncate');"))
        #expect(script.contains("ALTER PUBLICATION \"Some \"\"P\"\" x\" ADD TABLE ONLY pubs.a (id, x) WHERE (((id > 5) AND (x <> ''::text)));"))
        #expect(script.contains("ALTER PUBLICATION by_schema ADD TABLES IN SCHEMA pubs;"))
        #expect(script.contains("CREATE EVENT TRIGGER stop_tables ON ddl_command_start\n         WHEN TAG IN ('CREATE TABLE', 'DROP TABLE')\n   EXECUTE FUNCTION pubs.on_ddl();"))
        // The trigger raises on CREATE TABLE: the restore only passes because it comes after every table.
        let trigger = try #require(script.range(of: "CREATE EVENT TRIGGER stop_tables"))
        for table in ["CREATE TABLE public.b ", "CREATE TABLE pubs.a ", "CREATE TABLE pubs.parted_1 "] {
            #expect(try #require(script.range(of: table)).lowerBound < trigger.lowerBound)
        }
    }

    /// Members of extensions (citext's operators, operator classes and families and casts; unaccent's text
    /// search template and dictionary) are left to CREATE EXTENSION, as pg_dump leaves them; a dump that wrote
    /// them would fail to restore ("already exists").
    @Test func extensionMembersAreLeftToTheirExtension() throws {
        let (script, _) = try PgDumpParityTests.roundTrip("""
            CREATE EXTENSION citext;
            CREATE EXTENSION unaccent;
            CREATE TEXT SEARCH CONFIGURATION plain_unaccent (COPY = simple);
            ALTER TEXT SEARCH CONFIGURATION plain_unaccent ALTER MAPPING FOR asciiword, word WITH public.unaccent, simple;
            CREATE TABLE names (n public.citext, v tsvector GENERATED ALWAYS AS (to_tsvector('plain_unaccent', n::text)) STORED);
            INSERT INTO names (n) VALUES ('Zoë');
            """, label: "extmembers")
        #expect(script.contains("CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;"))
        #expect(script.contains("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;"))
        #expect(script.contains("ADD MAPPING FOR asciiword WITH public.unaccent, simple;"))
        for member in ["CREATE OPERATOR public.", "CREATE OPERATOR CLASS public.citext", "CREATE OPERATOR FAMILY public.citext",
                       "CREATE CAST (public.citext", "CREATE TEXT SEARCH DICTIONARY public.unaccent", "CREATE TEXT SEARCH TEMPLATE public.unaccent"] {
            #expect(!script.contains(member), "an extension's member was written: \(member)")
        }
    }

    /// Typed tables (`CREATE TABLE … OF type`), once refused: one with nothing of its own, one with defaults, NOT NULL,
    /// a CHECK, a primary key and rows, and a partitioned one with a partition, as pg_dump writes them.
    @Test(arguments: PostgresServers.all)
    func typedTablesRoundTrip(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            CREATE TYPE person AS (id integer, name text, born date);
            CREATE TABLE plain_people OF person;
            CREATE TABLE "Odd People" OF person (id WITH OPTIONS PRIMARY KEY, name WITH OPTIONS NOT NULL DEFAULT 'nobody',
                                                 CONSTRAINT born_late CHECK (born > '1900-01-01'));
            COMMENT ON TABLE "Odd People" IS 'typed';
            CREATE TABLE people_by_year OF person PARTITION BY RANGE (born);
            CREATE TABLE people_1990s PARTITION OF people_by_year FOR VALUES FROM ('1990-01-01') TO ('2000-01-01');
            INSERT INTO "Odd People" (id, born) VALUES (1, '1990-05-01');
            INSERT INTO plain_people VALUES (2, 'x', NULL);
            INSERT INTO people_by_year VALUES (3, 'y', '1995-01-01');
            """, on: server)
        #expect(script.contains("CREATE TABLE public.plain_people OF public.person;"))
        #expect(script.contains("CREATE TABLE public.\"Odd People\" OF public.person (\n    id "))
        #expect(!script.contains("typed table"))
    }

    /// Aggregates of every kind pg_dump writes, once refused as "special": ordered-set (FINALFUNC_EXTRA and _MODIFY),
    /// hypothetical-set, moving-aggregate options, combine, serial and deserial functions, SSPACE, SORTOP, and an
    /// initial value holding ", " (it was cut into lines with the other options).
    @Test(arguments: PostgresServers.all)
    func aggregatesOfEveryKindRoundTrip(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            CREATE AGGREGATE my_pct(float8 ORDER BY anyelement) (SFUNC = ordered_set_transition, STYPE = internal,
                FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = SHAREABLE);
            CREATE AGGREGATE my_rank(VARIADIC "any" ORDER BY VARIADIC "any") (SFUNC = ordered_set_transition_multi, STYPE = internal,
                FINALFUNC = rank_final, FINALFUNC_EXTRA, HYPOTHETICAL);
            CREATE AGGREGATE my_avg(int8) (SFUNC = int8_avg_accum, STYPE = internal, SSPACE = 48, FINALFUNC = numeric_poly_avg,
                COMBINEFUNC = int8_avg_combine, SERIALFUNC = int8_avg_serialize, DESERIALFUNC = int8_avg_deserialize,
                MSFUNC = int8_avg_accum, MINVFUNC = int8_avg_accum_inv, MSTYPE = internal, MSSPACE = 48, MFINALFUNC = numeric_poly_avg,
                PARALLEL = SAFE);
            CREATE FUNCTION my_mfinal(integer, integer) RETURNS integer LANGUAGE sql AS 'SELECT $1';
            CREATE AGGREGATE my_sum(int4) (SFUNC = int4pl, STYPE = int4, MSFUNC = int4pl, MINVFUNC = int4mi, MSTYPE = int4,
                MINITCOND = '0', MFINALFUNC = my_mfinal, MFINALFUNC_EXTRA, MFINALFUNC_MODIFY = SHAREABLE);
            CREATE AGGREGATE my_max(int4) (SFUNC = int4larger, STYPE = int4, SORTOP = >);
            CREATE AGGREGATE my_concat(text) (SFUNC = textcat, STYPE = text, INITCOND = 'a, b');
            CREATE TABLE nums (n integer);
            INSERT INTO nums VALUES (1), (3);
            CREATE VIEW uses_them AS SELECT my_pct(0.5) WITHIN GROUP (ORDER BY n), my_rank(2) WITHIN GROUP (ORDER BY n),
                                            my_avg(n::int8), my_sum(n), my_max(n), my_concat(n::text) FROM nums;
            """, on: server)
        #expect(script.contains("CREATE AGGREGATE public.my_pct(double precision ORDER BY anyelement) ("))
        #expect(script.contains("    HYPOTHETICAL\n);"))
        #expect(script.contains("    INITCOND = 'a, b'"))
        #expect(script.contains("    SORTOP = OPERATOR(pg_catalog.>)"))
    }

    /// Subscriptions, once refused by name, are written as pg_dump writes them: not connected, with the source's
    /// slot name (or NONE) and every option that differs from the default, streaming always (its default changed
    /// in 18), owner and comment; restored, they stay disabled until someone enables them.
    @Test(arguments: PostgresServers.all)
    func subscriptionsRoundTrip(_ server: PostgresServer) throws {
        var sql = """
            DO $$ BEGIN CREATE ROLE vaultops_sub_owner SUPERUSER NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
            CREATE SUBSCRIPTION "Sub S" CONNECTION 'dbname=nowhere host=example.invalid password=se''cret' PUBLICATION p, "Odd Pub"
                WITH (connect = false, slot_name = NONE, enabled = false);
            CREATE SUBSCRIPTION with_slot CONNECTION 'dbname=nowhere' PUBLICATION p
                WITH (connect = false, slot_name = 'remote_slot', binary = true, streaming = on, synchronous_commit = 'local');
            COMMENT ON SUBSCRIPTION "Sub S" IS 'not connected';
            ALTER SUBSCRIPTION with_slot OWNER TO vaultops_sub_owner;
            """
        sql += "\nCREATE SUBSCRIPTION two_phase CONNECTION 'dbname=nowhere' PUBLICATION p WITH (connect = false, slot_name = NONE, two_phase = true, disable_on_error = true);"
        if server.major >= 16 { sql += "\nCREATE SUBSCRIPTION origin_none CONNECTION 'dbname=nowhere' PUBLICATION p WITH (connect = false, slot_name = NONE, origin = none, password_required = false, run_as_owner = true, streaming = parallel);" }
        if server.major >= 17 { sql += "\nCREATE SUBSCRIPTION failover CONNECTION 'dbname=nowhere' PUBLICATION p WITH (connect = false, slot_name = 'fo', failover = true);" }
        defer { try? Self.dropTestSubscriptions(on: server) }
        let script = try VersionedDump.expectRoundTrip(sql, on: server)
        #expect(script.contains("CREATE SUBSCRIPTION \"Sub S\" CONNECTION 'dbname=nowhere host=example.invalid password=se''cret' "
                                + "PUBLICATION p, \"Odd Pub\" WITH (connect = false, slot_name = NONE, streaming = "))
        #expect(script.contains("CREATE SUBSCRIPTION with_slot CONNECTION 'dbname=nowhere' PUBLICATION p WITH (connect = false, "
                                + "slot_name = 'remote_slot', binary = true, streaming = on, synchronous_commit = local);"))
        #expect(script.contains("COMMENT ON SUBSCRIPTION \"Sub S\" IS 'not connected';"))
        #expect(script.contains("ALTER SUBSCRIPTION with_slot OWNER TO vaultops_sub_owner;"))
    }

    /// Only a superuser can read a subscription's connection string: for another role the dump still stops, naming
    /// the subscription, instead of leaving it out (pg_dump leaves it out with a warning).
    @Test func subscriptionsAreRefusedWithoutSuperuser() throws {
        let db = try PostgresTestServer.freshDatabase("subsnosu")
        try PostgresTestServer.psql("""
            DO $$ BEGIN CREATE ROLE vaultops_sub_reader NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
            CREATE SUBSCRIPTION "Sub S" CONNECTION 'dbname=nowhere' PUBLICATION p WITH (connect = false, slot_name = NONE);
            """, database: db)
        defer { _ = try? PostgresTestServer.psql("DROP SUBSCRIPTION \"Sub S\"", database: db) }
        let connection = try Connection(try PostgresTestServer.url(database: db))
        _ = try connection.execute("SET ROLE vaultops_sub_reader")
        let error = try #require(throws: PostgresError.self) { try PostgresDumper(connection: connection).dump(to: MemorySink()) }
        #expect(error.message.contains("subscription \"Sub S\""))
        let summary = try PostgresDumper(connection: connection, options: DumpOptions(skipUnsupportedObjects: true)).dump(to: MemorySink())
        #expect(summary.skipped == ["subscription \"Sub S\""])
    }

    /// Drops the subscriptions `subscriptionsRoundTrip` made, in the source and in the copy (a database with a
    /// subscription cannot be dropped), detached from their slots first so nothing connects anywhere.
    static func dropTestSubscriptions(on server: PostgresServer) throws {
        let rows = try server.psql("""
            SELECT string_agg(d.datname || '|' || quote_ident(s.subname), E'\\n') FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid
            WHERE s.subname IN ('Sub S', 'with_slot', 'two_phase', 'origin_none', 'failover')
            """)
        for row in rows.split(separator: "\n") {
            let parts = row.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let name = parts[1]
            _ = try? server.psql("ALTER SUBSCRIPTION \(name) DISABLE; ALTER SUBSCRIPTION \(name) SET (slot_name = NONE); DROP SUBSCRIPTION \(name);",
                                 database: parts[0])
        }
    }

    /// The kinds above, now carried, no longer stop the dump; a kind still not carried does, by name.
    @Test func carriedKindsAreNotRefused() throws {
        let db = try PostgresTestServer.freshDatabase("carried")
        try PostgresTestServer.psql("""
            CREATE COLLATION c1 (provider = libc, locale = 'C');
            CREATE TEXT SEARCH DICTIONARY d1 (TEMPLATE = simple);
            CREATE TEXT SEARCH CONFIGURATION c1 (COPY = simple);
            SELECT lo_create(0);
            CREATE FUNCTION f(integer, integer) RETURNS boolean LANGUAGE sql AS 'SELECT $1 < $2';
            CREATE OPERATOR <<< (LEFTARG = integer, RIGHTARG = integer, FUNCTION = f);
            CREATE OPERATOR FAMILY fam USING btree;
            CREATE CONVERSION conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
            CREATE TYPE two AS (a integer);
            CREATE CAST (two AS text) WITH INOUT;
            CREATE PUBLICATION p;
            CREATE FUNCTION e() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
            CREATE EVENT TRIGGER e ON sql_drop EXECUTE FUNCTION e();
            CREATE TYPE shell_only;
            CREATE TYPE base;
            CREATE FUNCTION base_in(cstring) RETURNS base AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
            CREATE FUNCTION base_out(base) RETURNS cstring AS 'int4out' LANGUAGE internal IMMUTABLE STRICT;
            CREATE TYPE base (INPUT = base_in, OUTPUT = base_out, INTERNALLENGTH = 4, PASSEDBYVALUE, ALIGNMENT = int4);
            """, database: db)
        let (_, summary) = try DumpFixture.dump(db)
        #expect(summary.skipped.isEmpty)
    }
}
