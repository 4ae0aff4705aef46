import Testing
@testable import PostgresRestore

@Suite("Statement classification and clean plans")
struct StatementInfoTests {
    static let kinds: [(String, StatementKind)] = [
        ("COPY public.t (a, b) FROM stdin;", .copyFromStdin(table: QualifiedName(["public", "t"]))),
        ("copy \"Odd\"\"Schema\".\"T x\" from STDIN;", .copyFromStdin(table: QualifiedName(["Odd\"Schema", "T x"]))),
        ("COPY t (" + (1...60).map { "c\($0)" }.joined(separator: ", ") + ") FROM stdin;", .copyFromStdin(table: QualifiedName(["t"]))),
        ("COPY t FROM '/tmp/file';", .other),
        ("COPY (SELECT 1) TO STDOUT;", .other),
        ("COPY t TO stdout;", .other),
        ("INSERT INTO app.t VALUES (1);", .insert(table: QualifiedName(["app", "t"]))),
        ("ALTER TABLE public.t OWNER TO bob;", .ownerChange),
        ("ALTER FUNCTION public.f(a integer, b text) OWNER TO \"Bob\";", .ownerChange),
        ("ALTER TABLE public.t ADD COLUMN owner text;", .other),
        ("ALTER DATABASE db OWNER TO bob;", .databaseOwnerChange),
        ("ALTER DATABASE db SET search_path = a;", .databaseLevel),
        ("SET SESSION AUTHORIZATION 'bob';", .ownerChange),
        ("GRANT SELECT ON TABLE t TO bob;", .privilege),
        ("REVOKE ALL ON SCHEMA public FROM PUBLIC;", .privilege),
        ("ALTER DEFAULT PRIVILEGES FOR ROLE a GRANT SELECT ON TABLES TO b;", .privilege),
        ("SET statement_timeout = 0;", .sessionSetup),
        ("SELECT pg_catalog.set_config('search_path', '', false);", .sessionSetup),
        ("SELECT pg_catalog.setval('public.s', 3, true);", .other),
        ("CREATE DATABASE \"My DB\" WITH TEMPLATE = template0;", .createDatabase(name: "My DB")),
        ("DROP DATABASE IF EXISTS fx;", .dropDatabase(name: "fx")),
        ("COMMENT ON DATABASE fx IS 'x';", .databaseLevel),
        ("COMMENT ON TABLE t IS 'on database';", .other),
        ("BEGIN;", .transactionControl),
        ("commit;", .transactionControl),
        ("START TRANSACTION;", .transactionControl),
        ("VACUUM ANALYZE t;", .noTransaction),
        ("CREATE INDEX CONCURRENTLY i ON t (a);", .noTransaction),
        ("CREATE INDEX i ON t (a);", .other),
        ("-- comment\nSELECT 1;", .other),
    ]

    @Test("classifies statements", arguments: kinds)
    func classify(_ c: (String, StatementKind)) {
        #expect(StatementInfo.classify(c.0) == c.1, "\(c.0)")
    }

    static let drops: [(String, String?)] = [
        ("CREATE TABLE public.t (a int);", "DROP TABLE IF EXISTS \"public\".\"t\";"),
        ("CREATE UNLOGGED TABLE IF NOT EXISTS \"A\".\"B c\" (a int);", "DROP TABLE IF EXISTS \"A\".\"B c\";"),
        ("CREATE SEQUENCE public.t_id_seq AS integer START WITH 1;", "DROP SEQUENCE IF EXISTS \"public\".\"t_id_seq\";"),
        ("CREATE VIEW app.v AS SELECT 1;", "DROP VIEW IF EXISTS \"app\".\"v\";"),
        ("CREATE MATERIALIZED VIEW app.m AS SELECT 1 WITH NO DATA;", "DROP MATERIALIZED VIEW IF EXISTS \"app\".\"m\";"),
        ("CREATE SCHEMA app;", "DROP SCHEMA IF EXISTS \"app\";"),
        ("CREATE TYPE app.s AS ENUM ('a');", "DROP TYPE IF EXISTS \"app\".\"s\";"),
        ("CREATE DOMAIN app.p AS integer;", "DROP DOMAIN IF EXISTS \"app\".\"p\";"),
        ("CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;", "DROP EXTENSION IF EXISTS \"pgcrypto\";"),
        ("CREATE FUNCTION app.f(customer integer DEFAULT 1, OUT total bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT 1 $$;",
         "DROP FUNCTION IF EXISTS \"app\".\"f\"(customer integer, OUT total bigint);"),
        ("CREATE OR REPLACE PROCEDURE p(a numeric(10,2) = 1.5, b text) LANGUAGE sql AS $$ $$;",
         "DROP PROCEDURE IF EXISTS \"p\"(a numeric(10,2), b text);"),
        ("CREATE FUNCTION f() RETURNS trigger AS $$ $$ LANGUAGE plpgsql;", "DROP FUNCTION IF EXISTS \"f\"();"),
        ("ALTER TABLE ONLY app.orders ADD CONSTRAINT orders_fk FOREIGN KEY (c) REFERENCES app.c(id);",
         "ALTER TABLE IF EXISTS ONLY \"app\".\"orders\" DROP CONSTRAINT IF EXISTS \"orders_fk\";"),
        ("ALTER TABLE ONLY app.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);", nil),
        ("ALTER TABLE ONLY app.c ALTER COLUMN id SET DEFAULT nextval('app.c_id_seq'::regclass);",
         "ALTER TABLE IF EXISTS ONLY \"app\".\"c\" ALTER COLUMN \"id\" DROP DEFAULT;"),
        ("ALTER TABLE app.c OWNER TO bob;", nil),
        ("CREATE INDEX i ON app.c (a);", "DROP INDEX IF EXISTS \"app\".\"i\";"),
        ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"I x\" ON ONLY c USING btree (a);", "DROP INDEX IF EXISTS \"I x\";"),
        ("CREATE INDEX ON app.c (a);", nil),
        ("CREATE POLICY \"p q\" ON app.c FOR SELECT TO PUBLIC USING ((id > 0));", "DROP POLICY IF EXISTS \"p q\" ON \"app\".\"c\";"),
        ("CREATE RULE r AS\n    ON UPDATE TO app.c DO INSTEAD NOTHING;", "DROP RULE IF EXISTS \"r\" ON \"app\".\"c\";"),
        ("CREATE OR REPLACE RULE r AS ON INSERT TO c DO ALSO NOTIFY c;", "DROP RULE IF EXISTS \"r\" ON \"c\";"),
        ("CREATE RULE \"_RETURN\" AS\n    ON SELECT TO app.v DO INSTEAD  SELECT 1 AS x;", nil),
        ("CREATE CONSTRAINT TRIGGER ct AFTER INSERT OR UPDATE OF a, b ON app.c DEFERRABLE FOR EACH ROW EXECUTE FUNCTION app.f();",
         "DROP TRIGGER IF EXISTS \"ct\" ON \"app\".\"c\";"),
        ("CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler;", "DROP ACCESS METHOD IF EXISTS \"heap_copy\";"),
        ("CREATE TRIGGER t BEFORE INSERT ON app.c FOR EACH ROW EXECUTE FUNCTION app.f();", "DROP TRIGGER IF EXISTS \"t\" ON \"app\".\"c\";"),
        ("COMMENT ON TABLE app.c IS 'x';", nil),
        ("CREATE COLLATION \"Mixed Case \"\"Schema\"\"\".\"Odd \"\"Coll\"\"\" (provider = libc, locale = 'C');",
         "DROP COLLATION IF EXISTS \"Mixed Case \"\"Schema\"\"\".\"Odd \"\"Coll\"\"\";"),
        ("CREATE TEXT SEARCH CONFIGURATION app.english_custom (\n    PARSER = pg_catalog.\"default\" );",
         "DROP TEXT SEARCH CONFIGURATION IF EXISTS \"app\".\"english_custom\";"),
        ("create text search dictionary app.\"Plain Dict\" (TEMPLATE = pg_catalog.simple);",
         "DROP TEXT SEARCH DICTIONARY IF EXISTS \"app\".\"Plain Dict\";"),
        ("CREATE TEXT SEARCH PARSER word_parser (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype);",
         "DROP TEXT SEARCH PARSER IF EXISTS \"word_parser\";"),
        ("CREATE TEXT SEARCH TEMPLATE app.simple_template (INIT = dsimple_init, LEXIZE = dsimple_lexize);",
         "DROP TEXT SEARCH TEMPLATE IF EXISTS \"app\".\"simple_template\";"),
        ("CREATE TEXT SEARCH MAPPING app.x;", nil),
        ("CREATE OPERATOR public.=== (LEFTARG = integer, RIGHTARG = integer, FUNCTION = int4eq);",
         "DROP OPERATOR IF EXISTS \"public\".=== (integer, integer);"),
        ("CREATE OPERATOR app.<<< (\n    FUNCTION = app.version_major_lt,\n    LEFTARG = app.version,\n    RIGHTARG = integer\n);",
         "DROP OPERATOR IF EXISTS \"app\".<<< (app.version, integer);"),
        ("CREATE OPERATOR \"Odd \"\"S\"\"\".## (RIGHTARG = \"Odd \"\"S\"\"\".\"My Type\", FUNCTION = f);",
         "DROP OPERATOR IF EXISTS \"Odd \"\"S\"\"\".## (NONE, \"Odd \"\"S\"\"\".\"My Type\");"),
        ("CREATE OPERATOR <-> (HASHES, LEFTARG = numeric(10,2), MERGES, RIGHTARG = character varying, PROCEDURE = f);",
         "DROP OPERATOR IF EXISTS <-> (numeric(10,2), character varying);"),
        ("CREATE OPERATOR FAMILY app.version_family USING btree;",
         "DROP OPERATOR FAMILY IF EXISTS \"app\".\"version_family\" USING \"btree\";"),
        ("CREATE OPERATOR CLASS app.version_ops\n    DEFAULT FOR TYPE app.version USING btree FAMILY app.version_family AS\n    OPERATOR 1 app.<<<;",
         "DROP OPERATOR CLASS IF EXISTS \"app\".\"version_ops\" USING \"btree\";"),
        ("CREATE OPERATOR CLASS \"Hash \"\"Ops\"\"\" FOR TYPE t USING hash AS STORAGE t;",
         "DROP OPERATOR CLASS IF EXISTS \"Hash \"\"Ops\"\"\" USING \"hash\";"),
        ("CREATE CAST (app.version AS integer) WITH FUNCTION app.version_major(app.version) AS ASSIGNMENT;",
         "DROP CAST IF EXISTS (app.version AS integer);"),
        ("CREATE CAST (\"Odd\".\"T (x)\" AS numeric(10, 2)) WITH INOUT AS IMPLICIT;",
         "DROP CAST IF EXISTS (\"Odd\".\"T (x)\" AS numeric(10, 2));"),
        ("CREATE CONVERSION app.latin1_utf8 FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;",
         "DROP CONVERSION IF EXISTS \"app\".\"latin1_utf8\";"),
        ("CREATE DEFAULT CONVERSION app.\"Default Latin1\" FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;",
         "DROP CONVERSION IF EXISTS \"app\".\"Default Latin1\";"),
        ("CREATE PUBLICATION \"Fixture \"\"Pub\"\"\" WITH (publish = 'insert');", "DROP PUBLICATION IF EXISTS \"Fixture \"\"Pub\"\"\";"),
        ("CREATE PUBLICATION all_tables FOR ALL TABLES;", "DROP PUBLICATION IF EXISTS \"all_tables\";"),
        ("ALTER PUBLICATION p ADD TABLE ONLY app.t;", nil),
        ("CREATE EVENT TRIGGER \"Fixture \"\"Off\"\"\" ON ddl_command_end\n         EXECUTE FUNCTION app.note_ddl();",
         "DROP EVENT TRIGGER IF EXISTS \"Fixture \"\"Off\"\"\";"),
        ("SELECT pg_catalog.lo_create('910001');",
         "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '910001';"),
        ("SELECT lo_create(42);", "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '42';"),
        ("SELECT lo_from_bytea(910002, '\\x00'::bytea);",
         "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '910002';"),
        ("SELECT pg_catalog.lo_create(0);", nil),
        ("SELECT pg_catalog.lo_create('1; DROP TABLE t');", nil),
        ("SELECT pg_catalog.lo_open('910001', 131072);", nil),
        ("SELECT pg_catalog.lo_put('910003', 0, '\\x00');", nil),
        ("CREATE STATISTICS app.s (ndistinct) ON a, b FROM app.t;", "DROP STATISTICS IF EXISTS \"app\".\"s\";"),
        ("CREATE STATISTICS IF NOT EXISTS s2 ON a, b FROM app.t;", "DROP STATISTICS IF EXISTS \"s2\";"),
        ("CREATE FOREIGN DATA WRAPPER \"Full FDW\" HANDLER public.h VALIDATOR postgresql_fdw_validator;",
         "DROP FOREIGN DATA WRAPPER IF EXISTS \"Full FDW\";"),
        ("CREATE SERVER \"Srv \"\"S\"\"\" TYPE 'pg' FOREIGN DATA WRAPPER w OPTIONS (\n    host 'x'\n);",
         "DROP SERVER IF EXISTS \"Srv \"\"S\"\"\";"),
        ("CREATE USER MAPPING FOR public SERVER srv_plain;", "DROP USER MAPPING IF EXISTS FOR \"public\" SERVER \"srv_plain\";"),
        ("CREATE USER MAPPING FOR \"Fixture Owner\" SERVER \"S\" OPTIONS (\n    password 'x'\n);",
         "DROP USER MAPPING IF EXISTS FOR \"Fixture Owner\" SERVER \"S\";"),
        ("CREATE TRUSTED PROCEDURAL LANGUAGE \"My PL\" HANDLER public.h INLINE public.i VALIDATOR public.v;",
         "DROP LANGUAGE IF EXISTS \"My PL\";"),
        ("CREATE PROCEDURAL LANGUAGE plain_pl HANDLER public.h;", "DROP LANGUAGE IF EXISTS \"plain_pl\";"),
        ("CREATE TRANSFORM FOR character varying(3) LANGUAGE \"My PL\" (FROM SQL WITH FUNCTION public.f(internal));",
         "DROP TRANSFORM IF EXISTS FOR character varying(3) LANGUAGE \"My PL\";"),
        ("CREATE TRANSFORM FOR public.\"T\" LANGUAGE pl (TO SQL WITH FUNCTION public.g(internal));",
         "DROP TRANSFORM IF EXISTS FOR public.\"T\" LANGUAGE \"pl\";"),
        ("CREATE SUBSCRIPTION \"Sub 'S'\" CONNECTION 'dbname=x' PUBLICATION p WITH (connect = false, slot_name = 'x');",
         "DO $vaultops_clean$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_subscription s WHERE s.subname = 'Sub ''S''' AND s.subdbid = "
         + "(SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())) THEN "
         + "ALTER SUBSCRIPTION \"Sub 'S'\" DISABLE; ALTER SUBSCRIPTION \"Sub 'S'\" SET (slot_name = NONE); "
         + "DROP SUBSCRIPTION \"Sub 'S'\"; END IF; END$vaultops_clean$;"),
        ("CREATE USER MAPPING FOR CURRENT_USER SERVER s;", "DROP USER MAPPING IF EXISTS FOR CURRENT_USER SERVER \"s\";"),
        ("CREATE FOREIGN TABLE app.\"Remote\" (\n    id integer\n)\nSERVER s;", "DROP FOREIGN TABLE IF EXISTS \"app\".\"Remote\";"),
    ]

    @Test("names the drop for what a statement creates", arguments: drops)
    func dropStatement(_ c: (String, String?)) {
        #expect(CleanPlan.dropStatement(for: c.0) == c.1, "\(c.0)")
    }

    @Test("drops run newest first, each once")
    func dropOrder() {
        var plan = CleanPlan()
        for sql in ["CREATE SCHEMA app;", "CREATE TABLE app.a (id int);", "CREATE SEQUENCE app.a_id_seq;",
                    "ALTER TABLE ONLY app.a ALTER COLUMN id SET DEFAULT nextval('app.a_id_seq'::regclass);",
                    "CREATE TABLE app.a (id int);", "SELECT 1;"] {
            plan.add(sql)
        }
        #expect(plan.drops == [
            "ALTER TABLE IF EXISTS ONLY \"app\".\"a\" ALTER COLUMN \"id\" DROP DEFAULT;",
            "DROP SEQUENCE IF EXISTS \"app\".\"a_id_seq\";",
            "DROP TABLE IF EXISTS \"app\".\"a\";",
            "DROP SCHEMA IF EXISTS \"app\";",
        ])
    }

    // pg_dump writes a function taking a table's row type after the table, and an index on it after the function:
    // newest first, the function was reached while the index still needed it.
    @Test("what hangs on a table is dropped before what it uses; a partition's attached index is left to its parent's")
    func tablePartsFirst() {
        var plan = CleanPlan()
        for sql in ["CREATE TABLE app.people (id int, first text);",
                    "CREATE FUNCTION app.full_name(app.people) RETURNS text\n    LANGUAGE sql IMMUTABLE\n    AS $_$ SELECT $1.first $_$;",
                    "CREATE TABLE app.m (k int) PARTITION BY RANGE (k);", "CREATE TABLE app.m1 (k int);",
                    "ALTER TABLE ONLY app.m ATTACH PARTITION app.m1 FOR VALUES FROM (0) TO (10);",
                    "CREATE INDEX people_full ON app.people USING btree (app.full_name(people.*));",
                    "CREATE INDEX m_k ON ONLY app.m USING btree (k);", "CREATE INDEX m1_k_idx ON app.m1 USING btree (k);",
                    "ALTER INDEX app.m_k ATTACH PARTITION app.m1_k_idx;"] {
            plan.add(sql)
        }
        #expect(plan.drops == [
            "DROP INDEX IF EXISTS \"app\".\"m_k\";",
            "DROP INDEX IF EXISTS \"app\".\"people_full\";",
            "DROP TABLE IF EXISTS \"app\".\"m1\";",
            "DROP TABLE IF EXISTS \"app\".\"m\";",
            "DROP FUNCTION IF EXISTS \"app\".\"full_name\"(app.people);",
            "DROP TABLE IF EXISTS \"app\".\"people\";",
        ])
    }

    @Test("the shell operators a CREATE OPERATOR makes are dropped after it, only while still shells")
    func shellOperators() {
        var plan = CleanPlan()
        for sql in ["CREATE SCHEMA app;",
                    "CREATE OPERATOR app.=== (\n    FUNCTION = app.eq,\n    LEFTARG = app.version,\n    RIGHTARG = integer,\n"
                        + "    COMMUTATOR = OPERATOR(public.===),\n    NEGATOR = OPERATOR(\"O s\".!==),\n    HASHES\n);",
                    "CREATE OPERATOR app.<<< (LEFTARG = integer, RIGHTARG = integer, FUNCTION = f, COMMUTATOR = OPERATOR(app.<<<), NEGATOR = >>>);"] {
            plan.add(sql)
        }
        #expect(plan.drops == [
            "DROP OPERATOR IF EXISTS \"app\".<<< (integer, integer);",
            "DROP OPERATOR IF EXISTS \"app\".=== (app.version, integer);",
            "DO $vaultops_clean$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace "
                + "WHERE n.nspname = 'O s' AND o.oprname = '!==' AND o.oprcode = 0 AND o.oprleft = pg_catalog.to_regtype('app.version') "
                + "AND o.oprright = pg_catalog.to_regtype('integer')) THEN DROP OPERATOR \"O s\".!== (app.version, integer); END IF; END$vaultops_clean$;",
            "DO $vaultops_clean$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace "
                + "WHERE n.nspname = 'public' AND o.oprname = '===' AND o.oprcode = 0 AND o.oprleft = pg_catalog.to_regtype('integer') "
                + "AND o.oprright = pg_catalog.to_regtype('app.version')) THEN DROP OPERATOR \"public\".=== (integer, app.version); END IF; END$vaultops_clean$;",
            "DROP SCHEMA IF EXISTS \"app\";",
        ])
    }

    @Test("a base type is dropped before its I/O functions and its shell, with CASCADE only when nothing else depends on it")
    func baseTypeDrops() {
        var plan = CleanPlan()
        for sql in ["CREATE SCHEMA app;", "CREATE TYPE app.\"T'\";",
                    "CREATE FUNCTION app.t_in(cstring) RETURNS app.\"T'\"\n    LANGUAGE internal IMMUTABLE STRICT\n    AS $$int4in$$;",
                    "CREATE FUNCTION app.t_out(app.\"T'\") RETURNS cstring\n    LANGUAGE internal IMMUTABLE STRICT\n    AS $$int4out$$;",
                    "CREATE TYPE app.\"T'\" (\n    INTERNALLENGTH = 4,\n    INPUT = app.t_in,\n    OUTPUT = app.t_out\n);",
                    "CREATE TYPE app.lone;"] {
            plan.add(sql)
        }
        let type = "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
        let named = "n.nspname = 'app' AND t.typname = 'T'''"
        #expect(plan.drops == [
            "DROP TYPE IF EXISTS \"app\".\"lone\";",
            "DO $vaultops_clean$BEGIN IF EXISTS (SELECT \(type) WHERE \(named)) THEN "
                + "IF EXISTS (SELECT \(type) JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass "
                + "AND d.refobjid = t.oid AND d.deptype = 'n' WHERE \(named) AND NOT (d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass "
                + "AND d.objid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))) THEN DROP TYPE \"app\".\"T'\"; END IF; "
                + "DROP TYPE \"app\".\"T'\" CASCADE; END IF; END$vaultops_clean$;",
            "DROP FUNCTION IF EXISTS \"app\".\"t_out\"(app.\"T'\");",
            "DROP FUNCTION IF EXISTS \"app\".\"t_in\"(cstring);",
            "DROP TYPE IF EXISTS \"app\".\"T'\";",
            "DROP SCHEMA IF EXISTS \"app\";",
        ])
    }

    @Test("a view pg_dump defines twice (placeholder, then after the key) is first reverted, then dropped")
    func viewDefinedTwice() {
        var plan = CleanPlan()
        for sql in ["CREATE VIEW app.v AS\n SELECT NULL::integer AS id;", "CREATE TABLE app.t (id int);",
                    "ALTER TABLE ONLY app.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);",
                    "CREATE OR REPLACE VIEW app.v AS\n SELECT t.id FROM app.t GROUP BY t.id;"] {
            plan.add(sql)
        }
        #expect(plan.drops == [
            "CREATE OR REPLACE VIEW app.v AS\n SELECT NULL::integer AS id;",
            "DROP TABLE IF EXISTS \"app\".\"t\";",
            "DROP VIEW IF EXISTS \"app\".\"v\";",
        ])
    }

    static let metas: [(String, MetaCommand?)] = [
        ("\\restrict AbC123", .restrict),
        ("\\unrestrict AbC123", .restrict),
        ("\\connect mydb", .connect(database: "mydb")),
        ("\\connect MyDb", .connect(database: "mydb")),
        ("\\connect \"MyDb\"", .connect(database: "MyDb")),
        ("\\c \"we\"\"ird\"", .connect(database: "we\"ird")),
        ("\\connect -reuse-previous=on \"dbname='my db'\"", .connect(database: "my db")),
        ("\\connect -reuse-previous=on \"dbname='it\\'s'\"", .connect(database: "it's")),
        ("\\connect mydb otheruser", nil),
        ("\\connect -reuse-previous=on \"dbname='x' host=elsewhere\"", nil),
        ("\\i /etc/passwd", .unsupported("i")),
        ("\\set ON_ERROR_STOP 1", .unsupported("set")),
    ]

    @Test("parses meta-commands as psql does", arguments: metas)
    func meta(_ c: (String, MetaCommand?)) throws {
        if let expected = c.1 {
            #expect(try MetaCommand.parse(c.0) == expected, "\(c.0)")
        } else {
            #expect(throws: MetaCommandError.self, "\(c.0)") { try MetaCommand.parse(c.0) }
        }
    }

    static let markerCases: [(name: String, head: String, tail: String, writer: DumpMarkers.Writer, complete: Bool)] = [
        ("pg_dump complete", "--\n-- PostgreSQL database dump\n--\n\n\\restrict k\n",
         "COPY t FROM stdin;\n\\.\n\n\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict k\n\n", .pgDump, true),
        ("pg_dump cut", "--\n-- PostgreSQL database dump\n--\n", "ALTER TABLE t OWNER TO x;\n\n--\n-- Name: v; Type: VIEW\n--\n\n", .pgDump, false),
        ("vaultops complete", "--\n-- PostgreSQL database dump (vaultops)\n--\n",
         "--\n-- PostgreSQL database dump complete (vaultops)\n--\n\n-- Completed on 2026\n-- vaultops dump complete\n", .vaultops, true),
        ("vaultops without marker", "--\n-- PostgreSQL database dump (vaultops)\n--\n",
         "--\n-- PostgreSQL database dump complete (vaultops)\n--\n\n-- Completed on 2026\n", .vaultops, false),
        ("vaultops cut mid-data", "--\n-- PostgreSQL database dump (vaultops)\n--\n", "\\.\n\n\n", .vaultops, false),
        ("hand-written", "CREATE TABLE t (a int);\n", "INSERT INTO t VALUES (1);\n", .unknown, true),
        ("CRLF", "--\r\n-- PostgreSQL database dump\r\n", "-- PostgreSQL database dump complete\r\n--\r\n", .pgDump, true),
    ]

    @Test("recognizes the writer and its completion marker", arguments: markerCases)
    func markers(_ c: (name: String, head: String, tail: String, writer: DumpMarkers.Writer, complete: Bool)) {
        let writer = DumpMarkers.writer(head: Array(c.head.utf8))
        #expect(writer == c.writer, "\(c.name)")
        #expect(DumpMarkers.isComplete(tail: Array(c.tail.utf8), writer: writer) == c.complete, "\(c.name)")
    }

    @Test("moves to another database keeping everything else, quoted for libpq")
    func connectionString() throws {
        let replaced = try ConnectionString.replacingDatabase(in: "postgresql://u:p%27w@127.0.0.1:5433/old?sslmode=disable", with: "new db")
        #expect(replaced == "dbname='new db' host='127.0.0.1' password='p\\'w' port='5433' sslmode='disable' user='u'")
        #expect(try ConnectionString.database(of: "host=x dbname=abc") == "abc")
        #expect(try ConnectionString.database(of: "host=x") == nil)
    }

    @Test("error statements are cut to one line and literals masked near passwords")
    func errorStatement() {
        let error = PostgresRestoreError(kind: .statementFailed, message: "m",
                                         statement: "CREATE ROLE x PASSWORD 'hunter2' LOGIN;\nmore")
        #expect(error.statement == "CREATE ROLE x PASSWORD '***' LOGIN;")
        #expect(!error.description.contains("hunter2"))
        let long = PostgresRestoreError(kind: .statementFailed, message: "m", statement: String(repeating: "a", count: 500))
        #expect(long.statement?.count == 201)
    }
}
