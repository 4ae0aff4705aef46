import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// Foreign-data wrappers, foreign servers, user mappings and foreign tables, once refused by name, dumped as
/// pg_dump writes them (dumpForeignDataWrapper, dumpForeignServer, dumpUserMappings, dumpTableSchema) and
/// restored on every server.
@Suite("Foreign data on every server version")
struct ForeignDataTests {
    /// Wrappers with and without handler, validator and options, servers with type, version, options, owner,
    /// comment and grants, user mappings (PUBLIC, a role, the current user; a password among the options, which
    /// pg_dump writes too), and foreign tables: columns with options, defaults, NOT NULL and CHECK, a partition,
    /// an inheritance child, a trigger, owner, comments and grants. postgres_fdw's own wrapper where there is contrib.
    static let sql = #"""
        DO $$ BEGIN CREATE ROLE vaultops_fdw_user NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
        -- Never called: no foreign table uses the wrapper that has it.
        CREATE FUNCTION fdw_handler_fn() RETURNS fdw_handler LANGUAGE internal AS 'int4recv';
        CREATE FOREIGN DATA WRAPPER plain_fdw OPTIONS (debug 'true', "Odd Key" 'it''s');
        CREATE FOREIGN DATA WRAPPER "Full FDW" HANDLER fdw_handler_fn VALIDATOR postgresql_fdw_validator;
        CREATE FOREIGN DATA WRAPPER validated_fdw VALIDATOR postgresql_fdw_validator;
        COMMENT ON FOREIGN DATA WRAPPER plain_fdw IS 'no handler';
        GRANT USAGE ON FOREIGN DATA WRAPPER plain_fdw TO vaultops_fdw_user WITH GRANT OPTION;
        CREATE SERVER srv_plain FOREIGN DATA WRAPPER plain_fdw;
        CREATE SERVER "Srv ""Full""" TYPE 'pg' VERSION '1.0' FOREIGN DATA WRAPPER "Full FDW" OPTIONS (host 'db.example', dbname 'x');
        CREATE SERVER srv_validated FOREIGN DATA WRAPPER validated_fdw;
        ALTER SERVER srv_plain OWNER TO vaultops_fdw_user;
        COMMENT ON SERVER srv_plain IS 'plain';
        GRANT USAGE ON FOREIGN SERVER "Srv ""Full""" TO PUBLIC;
        CREATE USER MAPPING FOR PUBLIC SERVER srv_plain;
        CREATE USER MAPPING FOR vaultops_fdw_user SERVER "Srv ""Full""" OPTIONS (user 'app', password 'se''cret');
        CREATE USER MAPPING FOR CURRENT_USER SERVER srv_plain OPTIONS (note 'mine');
        CREATE USER MAPPING FOR vaultops_fdw_user SERVER srv_validated;
        CREATE TABLE measurements (id integer NOT NULL, region text, v numeric) PARTITION BY LIST (region);
        CREATE TABLE measurements_local PARTITION OF measurements FOR VALUES IN ('here');
        CREATE FOREIGN TABLE measurements_remote PARTITION OF measurements FOR VALUES IN ('there')
            SERVER srv_plain OPTIONS (table_name 'm');
        CREATE FOREIGN TABLE "Remote ""T""" (
            id integer OPTIONS (column_name 'ID', "odd key" 'x') NOT NULL,
            name text COLLATE "C" DEFAULT 'x',
            CONSTRAINT positive CHECK (id > 0)
        ) SERVER srv_plain OPTIONS (schema_name 'public', table_name 't');
        ALTER FOREIGN TABLE "Remote ""T""" ALTER COLUMN name SET STATISTICS 50;
        ALTER FOREIGN TABLE "Remote ""T""" OWNER TO vaultops_fdw_user;
        COMMENT ON FOREIGN TABLE "Remote ""T""" IS 'far away';
        COMMENT ON COLUMN "Remote ""T""".id IS 'the key';
        GRANT SELECT ON "Remote ""T""" TO PUBLIC;
        GRANT SELECT (name) ON "Remote ""T""" TO vaultops_fdw_user;
        CREATE FUNCTION ft_trig() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
        CREATE TRIGGER ft_tg BEFORE INSERT ON "Remote ""T""" FOR EACH ROW EXECUTE FUNCTION ft_trig();
        CREATE TABLE base (a integer);
        CREATE FOREIGN TABLE child (b text) INHERITS (base) SERVER srv_plain;
        CREATE FOREIGN TABLE no_columns () SERVER srv_plain;
        INSERT INTO measurements_local VALUES (1, 'here', 2.5);
        """#

    static let contribSQL = """

        CREATE EXTENSION postgres_fdw;
        CREATE SERVER remote_pg FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db.example', dbname 'app', port '5433');
        CREATE USER MAPPING FOR vaultops_fdw_user SERVER remote_pg OPTIONS (user 'app', password 'pa''ss');
        CREATE FOREIGN TABLE remote_items (id integer OPTIONS (column_name 'item_id'), label text)
            SERVER remote_pg OPTIONS (schema_name 'public', table_name 'items');
        """

    @Test(arguments: PostgresServers.all)
    func foreignDataRoundTrips(_ server: PostgresServer) throws {
        let hasContrib = try server.psql("SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'postgres_fdw'") == "1"
        let script = try VersionedDump.expectRoundTrip(Self.sql + (hasContrib ? Self.contribSQL : ""), on: server)
        for line in [
            "CREATE FOREIGN DATA WRAPPER \"Full FDW\" HANDLER public.fdw_handler_fn VALIDATOR postgresql_fdw_validator;",
            "CREATE FOREIGN DATA WRAPPER plain_fdw OPTIONS (\n",
            "    \"Odd Key\" 'it''s'",
            "CREATE SERVER \"Srv \"\"Full\"\"\" TYPE 'pg' VERSION '1.0' FOREIGN DATA WRAPPER \"Full FDW\" OPTIONS (\n",
            "CREATE USER MAPPING FOR public SERVER srv_plain;",
            "CREATE USER MAPPING FOR vaultops_fdw_user SERVER \"Srv \"\"Full\"\"\" OPTIONS (\n    password 'se''cret',\n    \"user\" 'app'\n);",
            "ALTER SERVER srv_plain OWNER TO vaultops_fdw_user;",
            "GRANT USAGE ON FOREIGN DATA WRAPPER plain_fdw TO vaultops_fdw_user WITH GRANT OPTION;",
            "GRANT USAGE ON FOREIGN SERVER \"Srv \"\"Full\"\"\" TO PUBLIC;",
            "CREATE FOREIGN TABLE public.\"Remote \"\"T\"\"\" (",
            "SERVER srv_plain\nOPTIONS (\n    schema_name 'public',\n    table_name 't'\n);",
            "ALTER FOREIGN TABLE ONLY public.\"Remote \"\"T\"\"\" ALTER COLUMN id OPTIONS (\n    column_name 'ID',\n    \"odd key\" 'x'\n);",
            "COMMENT ON FOREIGN TABLE public.\"Remote \"\"T\"\"\" IS 'far away';",
        ] {
            #expect(script.contains(line), "\(server): the dump lacks \(line)")
        }
        // A foreign table's rows are the remote server's: pg_dump leaves them out, and so does the dump.
        #expect(!script.contains("COPY public.\"Remote"))
        if hasContrib {
            #expect(script.contains("CREATE SERVER remote_pg FOREIGN DATA WRAPPER postgres_fdw OPTIONS ("))
            #expect(script.contains("password 'pa''ss'"))
            #expect(!script.contains("CREATE FOREIGN DATA WRAPPER postgres_fdw"), "the extension creates its own wrapper")
        }
    }

    /// None of these kinds stops the dump any more.
    @Test func foreignDataIsNotRefused() throws {
        let db = try PostgresTestServer.freshDatabase("fdwcarried")
        try PostgresTestServer.psql("""
            CREATE FOREIGN DATA WRAPPER w;
            CREATE SERVER s FOREIGN DATA WRAPPER w;
            CREATE USER MAPPING FOR PUBLIC SERVER s;
            CREATE FOREIGN TABLE f (a integer) SERVER s;
            """, database: db)
        let (_, summary) = try DumpFixture.dump(db)
        #expect(summary.skipped.isEmpty)
    }
}
