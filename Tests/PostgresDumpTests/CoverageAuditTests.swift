import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// One object of a kind pg_dump writes for a database, made alone in a database of its own.
struct AuditProbe: CustomTestStringConvertible, Sendable {
    /// What the object is, for failure messages.
    let kind: String
    /// SQL creating it; `ROLE` (every occurrence, so never the keyword) stands for a role made for the run.
    let sql: String
    /// Lines pg_dump writes for it (`ROLE` as in `sql`): the oracle, checked on the source and on a restored copy.
    let pgDumpWrites: [String]
    /// The name a refusal of the object lists.
    let name: String
    /// Whether it needs contrib extensions (citext, postgres_fdw), which some servers lack.
    var needsContrib = false
    /// Whether vaultops carries it now: a refusal of it is then a failure.
    var carried = false

    var testDescription: String { kind }
}

/// "Nothing lost without a word": for each kind of object pg_dump reads (pg_dump.c's getXxx functions, plus the
/// privileges it writes on extension members and pg_catalog objects), one object is made, and vaultops must either
/// carry it (the restored copy's pg_dump writes the same lines) or refuse the dump with its name.
@Suite("Every kind pg_dump writes is dumped or refused")
struct CoverageAuditTests {
    /// A C handler that exists on every server (plpgsql's), for a language that needs no contrib.
    static let language = """
        CREATE FUNCTION audit_handler() RETURNS language_handler AS 'plpgsql', 'plpgsql_call_handler' LANGUAGE c;
        CREATE LANGUAGE audit_lang HANDLER audit_handler;
        """

    static let probes: [AuditProbe] = [
        AuditProbe(kind: "procedural language", sql: language,
                   pgDumpWrites: ["CREATE PROCEDURAL LANGUAGE audit_lang HANDLER public.audit_handler;"], name: "audit_lang", carried: true),
        AuditProbe(kind: "revoked privilege on a built-in language", sql: "REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC;",
                   pgDumpWrites: ["REVOKE ALL ON LANGUAGE plpgsql FROM PUBLIC;"], name: "plpgsql"),
        AuditProbe(kind: "granted privilege on a built-in language", sql: "GRANT USAGE ON LANGUAGE plpgsql TO ROLE;",
                   pgDumpWrites: ["GRANT ALL ON LANGUAGE plpgsql TO ROLE;"], name: "plpgsql"),
        AuditProbe(kind: "foreign-data wrapper", sql: "CREATE FOREIGN DATA WRAPPER audit_fdw;",
                   pgDumpWrites: ["CREATE FOREIGN DATA WRAPPER audit_fdw;"], name: "audit_fdw", carried: true),
        AuditProbe(kind: "user mapping", sql: """
                       CREATE FOREIGN DATA WRAPPER audit_um_fdw;
                       CREATE SERVER audit_um_srv FOREIGN DATA WRAPPER audit_um_fdw;
                       CREATE USER MAPPING FOR PUBLIC SERVER audit_um_srv OPTIONS (password 'x');
                       """,
                   pgDumpWrites: ["CREATE USER MAPPING FOR public SERVER audit_um_srv OPTIONS (\n    password 'x'\n);"],
                   name: "audit_um_srv", carried: true),
        AuditProbe(kind: "foreign table", sql: """
                       CREATE FOREIGN DATA WRAPPER audit_ft_fdw;
                       CREATE SERVER audit_ft_srv FOREIGN DATA WRAPPER audit_ft_fdw;
                       CREATE FOREIGN TABLE audit_ft (a integer OPTIONS (c '1') NOT NULL) SERVER audit_ft_srv OPTIONS (t '2');
                       """,
                   pgDumpWrites: ["CREATE FOREIGN TABLE public.audit_ft (\n    a integer NOT NULL\n)\nSERVER audit_ft_srv\nOPTIONS (\n    t '2'\n);",
                                  // pg_dump 17 and later write ONLY, 15 and 16 do not.
                                  "public.audit_ft ALTER COLUMN a OPTIONS (\n    c '1'\n);"],
                   name: "public.audit_ft", carried: true),
        AuditProbe(kind: "transform", sql: language + """

                       CREATE FUNCTION audit_from_sql(internal) RETURNS internal LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
                       CREATE FUNCTION audit_to_sql(internal) RETURNS int4 LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
                       CREATE TRANSFORM FOR int4 LANGUAGE audit_lang (FROM SQL WITH FUNCTION audit_from_sql(internal),
                                                                      TO SQL WITH FUNCTION audit_to_sql(internal));
                       """,
                   pgDumpWrites: ["CREATE TRANSFORM FOR integer LANGUAGE audit_lang (FROM SQL WITH FUNCTION public.audit_from_sql(internal), "
                                  + "TO SQL WITH FUNCTION public.audit_to_sql(internal));"],
                   name: "integer language audit_lang", carried: true),
        AuditProbe(kind: "granted privilege on a pg_catalog function",
                   sql: "GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text) TO ROLE;",
                   pgDumpWrites: ["GRANT ALL ON FUNCTION pg_catalog.pg_ls_dir(text) TO ROLE;"], name: "pg_catalog.pg_ls_dir(text)"),
        AuditProbe(kind: "revoked privilege on a pg_catalog function", sql: "REVOKE EXECUTE ON FUNCTION pg_catalog.md5(text) FROM PUBLIC;",
                   pgDumpWrites: ["REVOKE ALL ON FUNCTION pg_catalog.md5(text) FROM PUBLIC;"], name: "pg_catalog.md5(text)"),
        AuditProbe(kind: "privilege on a pg_catalog table", sql: "GRANT SELECT ON pg_catalog.pg_statistic TO ROLE;",
                   pgDumpWrites: ["GRANT SELECT ON TABLE pg_catalog.pg_statistic TO ROLE;"], name: "pg_catalog.pg_statistic"),
        AuditProbe(kind: "privilege on a pg_catalog column", sql: "GRANT SELECT (rolname) ON pg_catalog.pg_authid TO ROLE;",
                   pgDumpWrites: ["GRANT SELECT(rolname) ON TABLE pg_catalog.pg_authid TO ROLE;"], name: "pg_catalog.pg_authid.rolname"),
        AuditProbe(kind: "privilege on a pg_catalog type and the pg_catalog schema", sql: """
                       REVOKE USAGE ON TYPE pg_catalog.int8 FROM PUBLIC;
                       GRANT USAGE ON SCHEMA pg_catalog TO ROLE;
                       """,
                   pgDumpWrites: ["REVOKE ALL ON TYPE pg_catalog.int8 FROM PUBLIC;", "GRANT USAGE ON SCHEMA pg_catalog TO ROLE;"],
                   name: "pg_catalog.int8"),
        AuditProbe(kind: "privileges on an extension's function and type", sql: """
                       CREATE EXTENSION citext;
                       REVOKE EXECUTE ON FUNCTION citext_eq(citext, citext) FROM PUBLIC;
                       REVOKE USAGE ON TYPE citext FROM PUBLIC;
                       """,
                   pgDumpWrites: ["REVOKE ALL ON FUNCTION public.citext_eq(public.citext, public.citext) FROM PUBLIC;",
                                  "REVOKE ALL ON TYPE public.citext FROM PUBLIC;"],
                   name: "public.citext_eq(public.citext, public.citext)", needsContrib: true),
        // No label provider is loaded on the test servers: the pg_seclabel row SECURITY LABEL would write is made by hand.
        AuditProbe(kind: "security label", sql: """
                       CREATE TABLE audit_labelled (a integer);
                       INSERT INTO pg_catalog.pg_seclabel VALUES ('audit_labelled'::regclass, 'pg_class'::regclass, 0, 'audit_provider', 'secret');
                       """,
                   pgDumpWrites: ["SECURITY LABEL FOR audit_provider ON TABLE public.audit_labelled IS 'secret';"], name: "audit_provider"),
        AuditProbe(kind: "privilege on an extension's foreign-data wrapper", sql: """
                       CREATE EXTENSION postgres_fdw;
                       GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO ROLE;
                       """,
                   pgDumpWrites: ["GRANT ALL ON FOREIGN DATA WRAPPER postgres_fdw TO ROLE;"], name: "postgres_fdw", needsContrib: true),
    ] + coveredProbes

    /// Kinds the dump already carries or refuses, one object each, so the audit spans what pg_dump.c's getXxx read.
    static let coveredProbes: [AuditProbe] = [
        AuditProbe(kind: "schema", sql: "CREATE SCHEMA audit_s;", pgDumpWrites: ["CREATE SCHEMA audit_s;"], name: "audit_s"),
        AuditProbe(kind: "enum type and function", sql: """
                       CREATE TYPE audit_enum AS ENUM ('a');
                       CREATE FUNCTION audit_f() RETURNS integer LANGUAGE sql AS 'SELECT 1';
                       CREATE AGGREGATE audit_agg(integer) (SFUNC = int4pl, STYPE = integer);
                       """,
                   pgDumpWrites: ["CREATE TYPE public.audit_enum AS ENUM (", "CREATE FUNCTION public.audit_f() RETURNS integer",
                                  "CREATE AGGREGATE public.audit_agg(integer) ("], name: "public.audit_f"),
        AuditProbe(kind: "ordered-set aggregate", sql: """
                       CREATE AGGREGATE audit_pct(float8 ORDER BY anyelement) (SFUNC = ordered_set_transition, STYPE = internal,
                                                                               FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA);
                       """,
                   pgDumpWrites: ["CREATE AGGREGATE public.audit_pct(double precision ORDER BY anyelement) ("], name: "public.audit_pct",
                   carried: true),
        AuditProbe(kind: "typed table", sql: """
                       CREATE TYPE audit_row AS (a integer, b text);
                       CREATE TABLE audit_typed OF audit_row (a WITH OPTIONS NOT NULL);
                       """,
                   pgDumpWrites: ["CREATE TABLE public.audit_typed OF public.audit_row ("], name: "public.audit_typed", carried: true),
        AuditProbe(kind: "shell type", sql: "CREATE TYPE audit_shell;", pgDumpWrites: ["CREATE TYPE public.audit_shell;"],
                   name: "public.audit_shell", carried: true),
        AuditProbe(kind: "base type", sql: """
                       CREATE TYPE audit_base;
                       CREATE FUNCTION audit_base_in(cstring) RETURNS audit_base AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
                       CREATE FUNCTION audit_base_out(audit_base) RETURNS cstring AS 'int4out' LANGUAGE internal IMMUTABLE STRICT;
                       CREATE TYPE audit_base (INPUT = audit_base_in, OUTPUT = audit_base_out, INTERNALLENGTH = 4, PASSEDBYVALUE,
                                               ALIGNMENT = int4);
                       """,
                   pgDumpWrites: ["CREATE TYPE public.audit_base;",
                                  "CREATE TYPE public.audit_base (\n    INTERNALLENGTH = 4,\n    INPUT = public.audit_base_in,\n"
                                  + "    OUTPUT = public.audit_base_out,\n    ALIGNMENT = int4,\n    STORAGE = plain,\n    PASSEDBYVALUE\n);"],
                   name: "public.audit_base", carried: true),
        AuditProbe(kind: "operator and operator family", sql: """
                       CREATE OPERATOR === (FUNCTION = int4eq, LEFTARG = integer, RIGHTARG = integer);
                       CREATE OPERATOR FAMILY audit_fam USING btree;
                       """,
                   pgDumpWrites: ["CREATE OPERATOR public.=== (", "CREATE OPERATOR FAMILY public.audit_fam USING btree;"], name: "public.==="),
        AuditProbe(kind: "collation, conversion and cast", sql: """
                       CREATE COLLATION audit_coll FROM "C";
                       CREATE CONVERSION audit_conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
                       CREATE TYPE audit_c AS (a integer);
                       CREATE FUNCTION audit_c_int(audit_c) RETURNS integer LANGUAGE sql AS 'SELECT 1';
                       CREATE CAST (audit_c AS integer) WITH FUNCTION audit_c_int(audit_c);
                       """,
                   pgDumpWrites: ["CREATE COLLATION public.audit_coll (", "CREATE CONVERSION public.audit_conv FOR 'LATIN1' TO 'UTF8'",
                                  "CREATE CAST (public.audit_c AS integer) WITH FUNCTION public.audit_c_int(public.audit_c);"],
                   name: "public.audit_coll"),
        AuditProbe(kind: "access method", sql: "CREATE ACCESS METHOD audit_am TYPE TABLE HANDLER heap_tableam_handler;",
                   pgDumpWrites: ["CREATE ACCESS METHOD audit_am TYPE TABLE HANDLER heap_tableam_handler;"], name: "audit_am"),
        AuditProbe(kind: "text search parser, template and configuration", sql: """
                       CREATE TEXT SEARCH PARSER audit_prs (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end,
                                                            LEXTYPES = prsd_lextype);
                       CREATE TEXT SEARCH TEMPLATE audit_tmpl (LEXIZE = dsimple_lexize);
                       CREATE TEXT SEARCH CONFIGURATION audit_cfg (COPY = english);
                       """,
                   pgDumpWrites: ["CREATE TEXT SEARCH PARSER public.audit_prs (", "CREATE TEXT SEARCH TEMPLATE public.audit_tmpl (",
                                  "CREATE TEXT SEARCH CONFIGURATION public.audit_cfg ("], name: "public.audit_prs"),
        AuditProbe(kind: "table with its index, statistics, rule, trigger and policy", sql: """
                       CREATE TABLE audit_t (a integer, b integer);
                       CREATE INDEX audit_i ON audit_t (b);
                       CREATE STATISTICS audit_st (ndistinct) ON a, b FROM audit_t;
                       CREATE RULE audit_r AS ON DELETE TO audit_t DO INSTEAD NOTHING;
                       CREATE FUNCTION audit_tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
                       CREATE TRIGGER audit_tg BEFORE INSERT ON audit_t FOR EACH ROW EXECUTE FUNCTION audit_tf();
                       CREATE POLICY audit_p ON audit_t USING (a > 0);
                       """,
                   pgDumpWrites: ["CREATE INDEX audit_i ON public.audit_t", "CREATE STATISTICS public.audit_st", "CREATE RULE audit_r AS",
                                  "CREATE TRIGGER audit_tg BEFORE INSERT ON public.audit_t", "CREATE POLICY audit_p ON public.audit_t"],
                   name: "public.audit_t"),
        AuditProbe(kind: "event trigger, publication and default privileges", sql: """
                       CREATE FUNCTION audit_evf() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
                       CREATE EVENT TRIGGER audit_evt ON ddl_command_start EXECUTE FUNCTION audit_evf();
                       CREATE PUBLICATION audit_pub;
                       ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO ROLE;
                       """,
                   pgDumpWrites: ["CREATE EVENT TRIGGER audit_evt ON ddl_command_start", "CREATE PUBLICATION audit_pub",
                                  // pg_dump 15 writes two spaces before TO.
                                  "ALTER DEFAULT PRIVILEGES", "GRANT SELECT ON TABLES"], name: "audit_evt"),
    ]

    @Test(arguments: PostgresServers.all)
    func everyKindIsDumpedOrRefused(_ server: PostgresServer) throws {
        let role = "vaultops_audit_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        try server.psql("CREATE ROLE \(role) NOLOGIN")
        var databases: [String] = []
        defer {
            // The role owns privileges in the probe databases, so they go first (the servers are shared).
            for db in databases { _ = try? server.psql("DROP DATABASE IF EXISTS \"\(db)\"") }
            _ = try? server.psql("DROP ROLE IF EXISTS \(role)")
        }
        let hasContrib = try server.psql("SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name IN ('citext', 'postgres_fdw')") == "2"
        for probe in Self.probes where hasContrib || !probe.needsContrib {
            try check(probe, role: role, on: server, databases: &databases)
        }
    }

    /// Privileges changed on what initdb and extensions make are dumped (not refused), relative to pg_init_privs
    /// as pg_dump writes them, and come back the same.
    @Test(arguments: PostgresServers.all)
    func changedInitialPrivilegesRoundTrip(_ server: PostgresServer) throws {
        var sql = """
            DO $$ BEGIN CREATE ROLE vaultops_initpriv_role NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
            REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC;
            GRANT USAGE ON LANGUAGE plpgsql TO vaultops_initpriv_role WITH GRANT OPTION;
            GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text) TO vaultops_initpriv_role;
            REVOKE EXECUTE ON FUNCTION pg_catalog.md5(text) FROM PUBLIC;
            REVOKE USAGE ON TYPE pg_catalog.int8 FROM PUBLIC;
            GRANT USAGE ON SCHEMA pg_catalog TO vaultops_initpriv_role;
            GRANT SELECT, UPDATE ON pg_catalog.pg_statistic TO vaultops_initpriv_role;
            CREATE TABLE t (a int8);
            """
        if try server.psql("SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name IN ('citext', 'postgres_fdw')") == "2" {
            sql += """

                CREATE EXTENSION citext;
                CREATE EXTENSION postgres_fdw;
                REVOKE EXECUTE ON FUNCTION citext_eq(citext, citext) FROM PUBLIC;
                GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO vaultops_initpriv_role;
                """
        }
        let script = try VersionedDump.expectRoundTrip(sql, on: server)
        #expect(script.contains("REVOKE ALL ON LANGUAGE plpgsql FROM PUBLIC;"))
        #expect(script.contains("GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text) TO vaultops_initpriv_role;"))
        #expect(script.contains("REVOKE ALL ON FUNCTION pg_catalog.md5(text) FROM PUBLIC;"))
    }

    /// Makes `probe` in a fresh database and expects vaultops to refuse it by name or to carry what pg_dump writes for it.
    func check(_ probe: AuditProbe, role: String, on server: PostgresServer, databases: inout [String]) throws {
        let lines = probe.pgDumpWrites.map { $0.replacingOccurrences(of: "ROLE", with: role) }
        let source = try server.freshDatabase("audit")
        databases.append(source)
        try server.psql(probe.sql.replacingOccurrences(of: "ROLE", with: role), database: source)
        let original = try VersionedDump.schemaOnly(source, on: server)
        for line in lines {
            #expect(original.contains(line), "\(server): pg_dump does not write \(line) for the \(probe.kind) (the probe is wrong)")
        }
        let connection = try Connection(try server.url(database: source))
        let sink = MemorySink()
        let summary = try PostgresDumper(connection: connection, options: DumpOptions(skipUnsupportedObjects: true)).dump(to: sink)
        if summary.skipped.contains(where: { $0.contains(probe.name) }) {
            if probe.carried { Issue.record("\(server): the \(probe.kind) is carried now, yet refused: \(summary.skipped)") }
            return
        }
        let dir = try TempDir("audit")
        let file = dir.file("dump.sql")
        try sink.data.write(to: file)
        let copy = try server.freshDatabase("auditcopy")
        databases.append(copy)
        try VersionedDump.psqlFile(file, on: server, database: copy)
        let restored = try VersionedDump.schemaOnly(copy, on: server)
        for line in lines where !restored.contains(line) {
            Issue.record("\(server): the \(probe.kind) is neither refused by name (\(probe.name)) nor dumped: \(line) is lost")
        }
    }
}
