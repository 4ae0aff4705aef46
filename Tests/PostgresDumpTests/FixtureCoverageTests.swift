import Foundation
import Testing
import TestSupport

/// Proves that Fixtures/postgres/fixture.sql still holds each case the round-trip test is there to cover,
/// so the fixture cannot shrink unnoticed.
@Suite("The rich fixture holds every case")
struct FixtureCoverageTests {
    /// One boolean query per case, run on a freshly loaded fixture.
    static let cases: [(String, String)] = [
        ("a column option pg_dump writes (n_distinct_inherited)", """
            SELECT EXISTS (SELECT 1 FROM pg_attribute a, unnest(a.attoptions) o
                           WHERE a.attrelid = 'app.vehicles'::regclass AND o LIKE 'n\\_distinct\\_inherited=%')
            """),
        ("a table without columns, with rows", """
            SELECT NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = 'app.no_columns'::regclass AND a.attnum > 0)
                   AND (SELECT count(*) FROM app.no_columns) > 1
            """),
        ("a view that needs a primary key", Self.needsKey(catalog: "pg_rewrite", join: "JOIN pg_class c ON c.oid = x.ev_class AND c.relkind = 'v'")),
        ("a materialized view that needs a primary key", Self.needsKey(catalog: "pg_rewrite", join: "JOIN pg_class c ON c.oid = x.ev_class AND c.relkind = 'm'")),
        ("a function that needs a primary key", Self.needsKey(catalog: "pg_proc", join: "")),
        ("the public schema with another owner, comment and grants", """
            SELECT n.nspowner <> 'pg_database_owner'::regrole AND obj_description(n.oid, 'pg_namespace') <> 'standard public schema'
                   AND has_schema_privilege('public', n.oid, 'CREATE')
                   AND has_schema_privilege('vaultops_fixture_reader', n.oid, 'USAGE WITH GRANT OPTION')
            FROM pg_namespace n WHERE n.nspname = 'public'
            """),
        ("CLUSTER ON a primary key", """
            SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.contype = 'p'
                           WHERE i.indisclustered)
            """),
        ("a column with SET COMPRESSION", """
            SELECT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = 'app.values_zoo'::regclass AND a.attcompression <> '')
            """),
        ("an index column with a statistics target", """
            SELECT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = 'app.customers_lower_name'::regclass AND a.attstattarget > 0)
            """),
        ("extended statistics with a statistics target", """
            SELECT EXISTS (SELECT 1 FROM pg_statistic_ext s WHERE s.stxname = 'customers_mood_score' AND s.stxstattarget > 0)
            """),
        ("grants on an identity sequence", """
            SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'i'
                           WHERE c.relkind = 'S' AND c.relacl IS NOT NULL)
            """),
        ("a table and a materialized view using a table access method of the fixture's", """
            SELECT (SELECT count(DISTINCT c.relkind) FROM pg_class c JOIN pg_am a ON a.oid = c.relam
                    WHERE a.amname = 'heap_copy' AND c.relkind IN ('r', 'm')) = 2
            """),
        ("a disabled, a replica and an always trigger on partitions", """
            SELECT (SELECT string_agg(DISTINCT t.tgenabled::text, '' ORDER BY t.tgenabled::text)
                    FROM pg_trigger t JOIN pg_trigger p ON p.oid = t.tgparentid WHERE t.tgenabled <> p.tgenabled) = 'ADR'
            """),
        ("large objects: empty, over several reads, with a comment, grants and another owner", """
            SELECT count(*) = 3 AND bool_or(lo_get(l.oid) = ''::bytea) AND max(length(lo_get(l.oid))) > 524288
                   AND bool_or(obj_description(l.oid, 'pg_largeobject') IS NOT NULL) AND bool_or(l.lomacl IS NOT NULL)
                   AND bool_or(l.lomowner = '"Fixture Owner"'::regrole)
            FROM pg_largeobject_metadata l
            """),
        ("libc collations by one locale and by two, with a comment and another owner, used by a column", """
            SELECT bool_or(o.collcollate = o.collctype) AND bool_or(o.collcollate <> o.collctype)
                   AND bool_or(obj_description(o.oid, 'pg_collation') IS NOT NULL) AND bool_or(o.collowner = '"Fixture Owner"'::regrole)
                   AND bool_or(EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attcollation = o.oid AND a.attrelid = 'app.labels'::regclass))
            FROM pg_collation o WHERE o.collnamespace = 'app'::regnamespace AND o.collprovider = 'c'
            """),
        ("a text search parser, templates, dictionaries and configurations of the fixture's own, commented and owned", """
            SELECT (SELECT count(*) FROM pg_ts_parser WHERE prsnamespace = 'app'::regnamespace) = 1
                   AND (SELECT count(*) FROM pg_ts_template WHERE tmplnamespace = 'app'::regnamespace AND tmplinit = 0) = 1
                   AND (SELECT count(*) FROM pg_ts_dict WHERE dictnamespace = 'app'::regnamespace AND dictinitoption IS NOT NULL) = 1
                   AND (SELECT count(*) FROM pg_ts_config WHERE cfgnamespace = 'app'::regnamespace AND cfgowner = '"Fixture Owner"'::regrole) = 1
                   AND (SELECT count(*) FROM pg_description WHERE objoid >= 16384 AND classoid IN ('pg_ts_parser'::regclass, 'pg_ts_template'::regclass,
                                                                                'pg_ts_dict'::regclass, 'pg_ts_config'::regclass)) = 4
            """),
        ("operators (with a shell commutator), a family with a loose member, two classes, casts and conversions", """
            SELECT (SELECT count(*) FROM pg_operator WHERE oprnamespace = 'app'::regnamespace AND oprcode <> 0) = 4
                   AND EXISTS (SELECT 1 FROM pg_operator WHERE oprcode = 0 AND oprname = '>>>')
                   AND EXISTS (SELECT 1 FROM pg_amop ao JOIN pg_depend d ON d.objid = ao.oid AND d.classid = 'pg_amop'::regclass
                               AND d.refclassid = 'pg_opfamily'::regclass)
                   AND (SELECT count(*) FROM pg_opclass WHERE opcnamespace = 'app'::regnamespace) = 2
                   AND (SELECT count(DISTINCT castmethod) FROM pg_cast WHERE castsource IN ('app.version'::regtype, 'app.mood'::regtype)) = 2
                   AND (SELECT count(*) FROM pg_conversion WHERE connamespace = 'app'::regnamespace AND condefault) = 1
            """),
        ("foreign-data wrappers, servers, user mappings (one with a password) and foreign tables with column options, as a partition and a child", """
            SELECT (SELECT count(*) FROM pg_foreign_data_wrapper WHERE fdwoptions IS NOT NULL) >= 1
                   AND EXISTS (SELECT 1 FROM pg_foreign_data_wrapper WHERE fdwvalidator <> 0 AND fdwname = 'Checked FDW')
                   AND EXISTS (SELECT 1 FROM pg_foreign_server WHERE srvtype IS NOT NULL AND srvversion IS NOT NULL)
                   AND EXISTS (SELECT 1 FROM pg_user_mapping WHERE umuser = 0)
                   AND EXISTS (SELECT 1 FROM pg_user_mappings WHERE 'password=se''cret' = ANY(umoptions))
                   AND EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relkind = 'f' AND a.attfdwoptions IS NOT NULL)
                   AND EXISTS (SELECT 1 FROM pg_class WHERE relkind = 'f' AND relispartition)
                   AND EXISTS (SELECT 1 FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid WHERE c.relkind = 'f' AND NOT c.relispartition)
            """),
        ("a trusted and an untrusted procedural language with a function in one, and transforms", """
            SELECT (SELECT count(*) FROM pg_language WHERE oid >= 16384 AND lanname <> 'plpgsql') = 2
                   AND EXISTS (SELECT 1 FROM pg_language WHERE lanpltrusted AND laninline <> 0 AND lanvalidator <> 0 AND lanacl IS NOT NULL
                               AND lanname = 'Fixture PL')
                   AND EXISTS (SELECT 1 FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE l.lanname = 'Fixture PL')
                   AND (SELECT count(*) FROM pg_transform) = 2
            """),
        ("a typed table with nothing of its own and one with a default, NOT NULL, a CHECK and rows", """
            SELECT (SELECT count(*) FROM pg_class WHERE reloftype = 'app.person'::regtype) = 2
                   AND (SELECT count(*) FROM app."Odd People") > 0
            """),
        ("base types (by value with a default and a delimiter, collatable with typmods, with an element and a subscript) and a lone shell type, used by columns with rows", """
            SELECT (SELECT count(*) FROM pg_type t JOIN pg_proc p ON p.oid = t.typinput WHERE t.typtype = 'b' AND p.pronamespace = 'app'::regnamespace) = 3
                   AND EXISTS (SELECT 1 FROM pg_type WHERE typnamespace = 'app'::regnamespace AND typbyval AND typdefault IS NOT NULL AND typdelim <> ','
                               AND typacl IS NOT NULL AND typowner = '"Fixture Owner"'::regrole)
                   AND EXISTS (SELECT 1 FROM pg_type WHERE typnamespace = 'app'::regnamespace AND typcollation <> 0 AND typmodin <> 0 AND typlen = -1)
                   AND EXISTS (SELECT 1 FROM pg_type WHERE typnamespace = 'app'::regnamespace AND typtype = 'b' AND typelem <> 0 AND typlen = 16)
                   AND EXISTS (SELECT 1 FROM pg_type WHERE typnamespace = 'app'::regnamespace AND typtype = 'p' AND NOT typisdefined)
                   AND (SELECT count(*) FROM app.tagged WHERE tag IS NOT NULL AND p IS NOT NULL) = 2
            """),
        ("ordered-set, hypothetical-set and moving aggregates with serial functions, and an initial value with a comma", """
            SELECT (SELECT count(DISTINCT a.aggkind) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
                    WHERE p.pronamespace = 'app'::regnamespace) = 3
                   AND EXISTS (SELECT 1 FROM pg_aggregate a WHERE a.aggfnoid = 'app.moving_avg'::regproc AND a.aggmtransfn <> 0
                               AND a.aggserialfn <> 0 AND a.aggtransspace > 0)
                   AND EXISTS (SELECT 1 FROM pg_aggregate a WHERE a.agginitval LIKE '%, %')
            """),
        ("privileges changed on a built-in language, on pg_catalog functions (granted and revoked) and on a foreign-data wrapper", """
            SELECT EXISTS (SELECT 1 FROM pg_language l, aclexplode(l.lanacl) x
                           WHERE l.lanname = 'plpgsql' AND x.grantee = 'vaultops_fixture_reader'::regrole)
                   AND has_function_privilege('vaultops_fixture_reader', 'pg_catalog.pg_ls_dir(text)', 'EXECUTE')
                   AND NOT EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) x WHERE p.oid = 'pg_catalog.md5(text)'::regprocedure AND x.grantee = 0)
                   AND (SELECT proacl FROM pg_proc WHERE oid = 'pg_catalog.md5(text)'::regprocedure) IS NOT NULL
                   AND EXISTS (SELECT 1 FROM pg_foreign_data_wrapper WHERE fdwacl IS NOT NULL AND fdwname = 'app_fdw')
            """),
        ("publications of all tables, of tables with a column list and a row filter, and of a schema; event triggers", """
            SELECT (SELECT count(*) FROM pg_publication WHERE puballtables) = 1
                   AND EXISTS (SELECT 1 FROM pg_publication_rel WHERE prqual IS NOT NULL AND prattrs IS NOT NULL)
                   AND EXISTS (SELECT 1 FROM pg_publication_namespace)
                   AND (SELECT string_agg(evtenabled::text, '' ORDER BY evtenabled::text) FROM pg_event_trigger) = 'DOR'
            """),
    ]

    /// A query true when some object of `catalog` (joined by `join`) depends on a primary key constraint.
    static func needsKey(catalog: String, join: String) -> String {
        """
        SELECT EXISTS (SELECT 1 FROM pg_depend d JOIN \(catalog) x ON x.oid = d.objid \(join)
                       JOIN pg_constraint k ON k.oid = d.refobjid AND k.contype = 'p'
                       WHERE d.classid = '\(catalog)'::regclass AND d.refclassid = 'pg_constraint'::regclass)
        """
    }

    @Test func fixtureHoldsEveryCase() throws {
        let db = try DumpFixture.loadedDatabase()
        for (label, query) in Self.cases {
            #expect(try PostgresTestServer.psql(query, database: db) == "t", "the fixture lacks \(label)")
        }
    }
}
