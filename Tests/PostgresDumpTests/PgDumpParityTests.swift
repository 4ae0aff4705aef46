import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// Small databases that each hold one case where our dump once differed from pg_dump's: each is dumped,
/// restored with psql, and `pg_dump --schema-only` and the table contents of both sides are compared.
@Suite("Dumps restore to what pg_dump's restore to")
struct PgDumpParityTests {
    /// Loads `sql` into a fresh database, dumps it with PostgresDumper, restores the script into another
    /// fresh database with psql, and records every difference; returns the script and the dump's summary.
    @discardableResult
    static func roundTrip(_ sql: String, label: String) throws -> (script: String, summary: DumpSummary) {
        let source = try PostgresTestServer.freshDatabase(label)
        try PostgresTestServer.psql(sql, database: source)
        let (sink, summary) = try DumpFixture.dump(source)
        let dir = try TempDir(label)
        try sink.data.write(to: dir.file("dump.sql"))
        let target = try PostgresTestServer.freshDatabase(label + "dst")
        try DumpFixture.psqlFile(dir.file("dump.sql"), database: target)
        let before = try DumpFixture.schemaOnly(source)
        let after = try DumpFixture.schemaOnly(target)
        if before != after {
            try before.write(to: dir.file("before.sql"), atomically: true, encoding: .utf8)
            try after.write(to: dir.file("after.sql"), atomically: true, encoding: .utf8)
            let diff = try runProcess("diff", ["-u", dir.file("before.sql").path, dir.file("after.sql").path])
            Issue.record("pg_dump --schema-only differs after restore:\n\(diff.stdout.prefix(4000))")
        }
        #expect(try DumpFixture.contents(source) == DumpFixture.contents(target))
        return (sink.text, summary)
    }

    @Test("column options: only those pg_dump writes (no internal pg_attver of Debian's build)")
    func columnOptions() throws {
        let (script, _) = try Self.roundTrip("""
            CREATE TABLE parent (id integer, kind text);
            CREATE TABLE child () INHERITS (parent);
            ALTER TABLE parent ALTER COLUMN kind SET (n_distinct = 12);
            ALTER TABLE parent ALTER COLUMN id SET (n_distinct_inherited = -0.25);
            """, label: "attopt")
        #expect(!script.contains("pg_attver"))
        #expect(script.contains("ALTER TABLE ONLY public.parent ALTER COLUMN kind SET (n_distinct='12');"))
        #expect(script.contains("ALTER TABLE ONLY public.parent ALTER COLUMN id SET (n_distinct_inherited='-0.25');"))
    }

    @Test("a table without columns, with rows, is dumped as pg_dump does and restores")
    func zeroColumnTable() throws {
        let (script, summary) = try Self.roundTrip("""
            CREATE TABLE nothing ();
            CREATE TABLE empty_too ();
            INSERT INTO nothing DEFAULT VALUES;
            INSERT INTO nothing DEFAULT VALUES;
            INSERT INTO nothing DEFAULT VALUES;
            """, label: "zerocol")
        #expect(script.contains("COPY public.nothing  FROM stdin;\n\n\n\n\\.\n"))
        #expect(summary.tables["public.nothing"] == 3)
        #expect(summary.tables["public.empty_too"] == 0)
    }

    @Test("views, materialized views and functions that need a primary key come after it")
    func objectsNeedingAPrimaryKey() throws {
        let (script, _) = try Self.roundTrip("""
            CREATE TABLE products (id integer PRIMARY KEY, name text, price numeric);
            CREATE VIEW product_names AS SELECT id, name FROM products GROUP BY id;
            CREATE VIEW product_names_upper AS SELECT id, upper(name) AS name FROM product_names;
            CREATE MATERIALIZED VIEW product_prices AS SELECT id, name, price FROM products GROUP BY id;
            CREATE UNIQUE INDEX product_prices_id ON product_prices (id);
            CREATE FUNCTION product_name(k integer) RETURNS text LANGUAGE sql STABLE
            BEGIN ATOMIC
              SELECT name FROM products WHERE id = k GROUP BY id;
            END;
            CREATE VIEW independent AS SELECT 1 AS one;
            INSERT INTO products VALUES (1, 'tea', 3.5), (2, 'cake', 4);
            REFRESH MATERIALIZED VIEW product_prices;
            """, label: "pkdep")
        func position(_ text: String) throws -> String.Index { try #require(script.range(of: text)).lowerBound }
        let key = try position("ADD CONSTRAINT products_pkey PRIMARY KEY")
        #expect(try key < position("CREATE VIEW public.product_names AS"))
        #expect(try position("CREATE VIEW public.product_names AS") < position("CREATE VIEW public.product_names_upper AS"))
        #expect(try key < position("CREATE MATERIALIZED VIEW public.product_prices"))
        #expect(try position("CREATE MATERIALIZED VIEW public.product_prices") < position("CREATE UNIQUE INDEX product_prices_id"))
        #expect(try key < position("CREATE OR REPLACE FUNCTION public.product_name("))
        #expect(try position("CREATE OR REPLACE FUNCTION public.product_name(") < position("REFRESH MATERIALIZED VIEW public.product_prices;"))
        // Objects that do not need the key stay in pre-data, before the data.
        #expect(try position("CREATE VIEW public.independent") < position("COPY public.products"))
    }

    struct PublicCase: CustomTestStringConvertible, Sendable {
        var label: String
        var sql: String
        var expected: [String]
        var testDescription: String { label }
    }

    @Test("the public schema's owner, comment and grants come back as pg_dump brings them back", arguments: [
        PublicCase(label: "grants to PUBLIC and to a role, new comment", sql: """
            GRANT CREATE ON SCHEMA public TO PUBLIC;
            GRANT USAGE ON SCHEMA public TO vaultops_parity_app WITH GRANT OPTION;
            COMMENT ON SCHEMA public IS 'shared things';
            """, expected: ["COMMENT ON SCHEMA public IS 'shared things';", "GRANT ALL ON SCHEMA public TO PUBLIC;",
                            "GRANT USAGE ON SCHEMA public TO vaultops_parity_app WITH GRANT OPTION;"]),
        PublicCase(label: "usage revoked from PUBLIC, comment removed", sql: """
            REVOKE USAGE ON SCHEMA public FROM PUBLIC;
            GRANT CREATE, USAGE ON SCHEMA public TO vaultops_parity_app;
            COMMENT ON SCHEMA public IS NULL;
            """, expected: ["COMMENT ON SCHEMA public IS '';", "REVOKE USAGE ON SCHEMA public FROM PUBLIC;",
                            "GRANT ALL ON SCHEMA public TO vaultops_parity_app;"]),
        PublicCase(label: "new owner, then grants", sql: """
            ALTER SCHEMA public OWNER TO vaultops_parity_app;
            GRANT CREATE ON SCHEMA public TO PUBLIC;
            REVOKE CREATE ON SCHEMA public FROM vaultops_parity_app;
            """, expected: ["ALTER SCHEMA public OWNER TO vaultops_parity_app;", "REVOKE ALL ON SCHEMA public FROM vaultops_parity_app;",
                            "GRANT USAGE ON SCHEMA public TO vaultops_parity_app;"]),
    ])
    func publicSchema(_ c: PublicCase) throws {
        _ = try PostgresTestServer.psql("""
            DO $$ BEGIN CREATE ROLE vaultops_parity_app NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
            """)
        let (script, _) = try Self.roundTrip(c.sql + "\nCREATE TABLE public.t (id integer);", label: "pubschema")
        for statement in c.expected {
            #expect(script.contains(statement), "missing: \(statement)")
        }
    }

    @Test("an untouched public schema adds nothing to the dump")
    func untouchedPublicSchema() throws {
        let (script, _) = try Self.roundTrip("CREATE TABLE t (id integer);", label: "pubplain")
        #expect(!script.contains("SCHEMA public"))
    }

    @Test("settings pg_dump keeps: CLUSTER ON a key, compression, index and extended statistics targets, identity sequence grants, trigger states on partitions")
    func settingsPgDumpKeeps() throws {
        _ = try PostgresTestServer.psql("""
            DO $$ BEGIN CREATE ROLE vaultops_parity_app NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
            """)
        let (script, _) = try Self.roundTrip("""
            CREATE TABLE items (id integer PRIMARY KEY, body text, note text, n integer GENERATED ALWAYS AS IDENTITY);
            ALTER TABLE items CLUSTER ON items_pkey;
            ALTER TABLE items ALTER COLUMN body SET COMPRESSION pglz;
            CREATE INDEX items_expr ON items (id, lower(body));
            ALTER INDEX items_expr ALTER COLUMN 2 SET STATISTICS 321;
            CREATE STATISTICS items_stats ON id, body FROM items;
            ALTER STATISTICS items_stats SET STATISTICS 222;
            ALTER STATISTICS items_stats OWNER TO vaultops_parity_app;
            GRANT SELECT, USAGE ON SEQUENCE items_n_seq TO vaultops_parity_app;
            CREATE TABLE parts (region text, v integer) PARTITION BY LIST (region);
            CREATE TABLE parts_eu PARTITION OF parts FOR VALUES IN ('eu') PARTITION BY LIST (v);
            CREATE TABLE parts_eu_1 PARTITION OF parts_eu FOR VALUES IN (1);
            CREATE TABLE parts_us PARTITION OF parts FOR VALUES IN ('us');
            CREATE TABLE parts_ca PARTITION OF parts FOR VALUES IN ('ca');
            CREATE FUNCTION nop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
            CREATE TRIGGER parts_t AFTER INSERT ON parts FOR EACH ROW EXECUTE FUNCTION nop();
            ALTER TABLE parts_us DISABLE TRIGGER parts_t;
            ALTER TABLE parts_eu ENABLE REPLICA TRIGGER parts_t;
            ALTER TABLE parts_eu_1 ENABLE ALWAYS TRIGGER parts_t;
            INSERT INTO items (id, body) VALUES (1, 'x');
            """, label: "settings")
        for statement in ["ALTER TABLE public.items CLUSTER ON items_pkey;",
                          "ALTER TABLE ONLY public.items ALTER COLUMN body SET COMPRESSION pglz;",
                          "ALTER INDEX public.items_expr ALTER COLUMN 2 SET STATISTICS 321;",
                          "ALTER STATISTICS public.items_stats SET STATISTICS 222;",
                          "ALTER STATISTICS public.items_stats OWNER TO vaultops_parity_app;",
                          "GRANT SELECT,USAGE ON SEQUENCE public.items_n_seq TO vaultops_parity_app;",
                          "ALTER TABLE public.parts_us DISABLE TRIGGER parts_t;",
                          "ALTER TABLE public.parts_eu ENABLE REPLICA TRIGGER parts_t;",
                          "ALTER TABLE public.parts_eu_1 ENABLE ALWAYS TRIGGER parts_t;"] {
            #expect(script.contains(statement), "missing: \(statement)")
        }
        #expect(!script.contains("parts_ca DISABLE"))
    }

    @Test("access methods, and tables and materialized views that use another table access method")
    func accessMethods() throws {
        let (script, _) = try Self.roundTrip("""
            CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler;
            COMMENT ON ACCESS METHOD heap_copy IS 'heap by another name';
            CREATE TABLE kept (id integer, note text) USING heap_copy;
            CREATE TABLE plain (id integer);
            CREATE MATERIALIZED VIEW kept_view USING heap_copy AS SELECT id FROM kept;
            INSERT INTO kept VALUES (1, 'x'), (2, NULL);
            REFRESH MATERIALIZED VIEW kept_view;
            """, label: "tableam")
        #expect(script.contains("CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler;"))
        func position(_ text: String) throws -> String.Index { try #require(script.range(of: text)).lowerBound }
        #expect(try position("CREATE ACCESS METHOD heap_copy") < position("CREATE TABLE public.kept"))
    }
}
