import Archive
import Foundation
import Testing
@testable import PostgresRestore

/// Which entries of a dump restore some of its tables, and how they are renamed.
@Suite("Partial restore selection")
struct PartialSelectionTests {
    static let contents = try! DumpContentsScanner.scan(BytesSource(DumpContentsTests.sample), name: "sample", keepText: true)

    static func entries(_ plan: PartialPlan) -> [String] {
        plan.pieces.compactMap { piece -> String? in
            switch piece {
            case .data(let entry, _): return "\(entry.kind) \(entry.qualifiedName)"
            case .text(let text):
                guard let header = text.split(separator: "\n").first(where: { $0.hasPrefix("-- Name: ") }) else { return nil }
                let parsed = DumpHeader.parse(String(header))!
                return "\(parsed.kind) \(parsed.schema.map { $0 + "." } ?? "")\(parsed.name)"
            }
        }
    }

    @Test("Table names", arguments: [
        ("app.orders", TableName(schema: "app", name: "orders")),
        ("orders", TableName(schema: "public", name: "orders")),
        ("\"Mixed Case\".\"Table; With \"\"Quotes\"\"\"", TableName(schema: "Mixed Case", name: "Table; With \"Quotes\"")),
    ])
    func tableNames(text: String, expected: TableName) {
        #expect(TableName(parsing: text) == expected)
    }

    @Test("Of a pg_dump -c prelude only the session settings run: its DROPs of every object are left out")
    func cleanPreludeLeftOut() throws {
        let prelude = """
            SET statement_timeout = 0;
            SELECT pg_catalog.set_config('search_path', '', false);
            \\restrict abc
            SET row_security = off;

            ALTER TABLE ONLY public.b DROP CONSTRAINT b_pkey;
            DROP TABLE IF EXISTS public.b;
            DROP TABLE public.a;

            """
        let (kept, leftOut) = PartialSelection.sessionPrelude(prelude)
        #expect(kept.contains("SET statement_timeout = 0;") && kept.contains("set_config('search_path'") && kept.contains("\\restrict abc"))
        #expect(!kept.contains("DROP"))
        #expect(leftOut == ["ALTER TABLE ONLY public.b DROP CONSTRAINT b_pkey;", "DROP TABLE IF EXISTS public.b;", "DROP TABLE public.a;"])
    }

    @Test("Names that are not tables", arguments: ["a.b.c", "", "app.", "\"open"])
    func badNames(text: String) {
        #expect(TableName(parsing: text) == nil)
    }

    @Test("A table comes with its definition, contents, identity sequence, keys, indexes and the types it needs")
    func ordersReplacing() throws {
        let request = PartialRestoreRequest(tables: [TableName(schema: "app", name: "orders")])
        let plan = try PartialSelection.plan(Self.contents, request: request, existing: [])
        #expect(Self.entries(plan) == [
            "SCHEMA app", "DOMAIN app.positive", "TABLE app.orders", "SEQUENCE app.orders_id_seq", "TABLE DATA app.orders",
            "SEQUENCE SET app.orders_id_seq", "CONSTRAINT app.orders orders_pkey", "INDEX app.orders_customer",
            "FK CONSTRAINT app.orders orders_customer_id_fkey",
        ])
        #expect(plan.createdDependencies == ["SCHEMA app", "DOMAIN app.positive"])
        guard case .text(let drop) = plan.pieces[1] else { Issue.record("no DROP first"); return }
        #expect(drop.contains("DROP TABLE IF EXISTS \"app\".\"orders\";"))
        // The settings pg_dump wrote before the table's header, in the entry before it, come along.
        #expect(plan.pieces.contains(.text("\nSET default_table_access_method = heap;\n")))
        guard case .text(let footer) = plan.pieces.last else { Issue.record("no footer"); return }
        #expect(footer.contains("PostgreSQL database dump complete"))
    }

    @Test("What the target has already is not created again")
    func existingDependencies() throws {
        let request = PartialRestoreRequest(tables: [TableName(schema: "app", name: "customers")])
        let candidates = PartialSelection.dependencyCandidates(Self.contents, tables: request.tables).map(PartialSelection.key)
        #expect(candidates == ["SCHEMA app", "TYPE app.status", "FUNCTION app.touch()"])
        let plan = try PartialSelection.plan(Self.contents, request: request, existing: ["SCHEMA app", "TYPE app.status"])
        #expect(Self.entries(plan) == [
            "FUNCTION app.touch()", "TABLE app.customers", "COMMENT app.TABLE customers", "SEQUENCE app.customers_id_seq",
            "SEQUENCE OWNED BY app.customers_id_seq", "DEFAULT app.customers id", "TABLE DATA app.customers",
            "SEQUENCE SET app.customers_id_seq", "CONSTRAINT app.customers customers_pkey", "TRIGGER app.customers customers_touch",
        ])
        #expect(plan.createdDependencies == ["FUNCTION app.touch()"])
    }

    @Test("Existence checks name the object exactly", arguments: [
        (DumpEntry(kind: "SCHEMA", name: "app", schema: nil, owner: nil, range: 0..<0),
         "EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'app')"),
        (DumpEntry(kind: "TYPE", name: "it's", schema: "Mixed Case", owner: nil, range: 0..<0),
         "pg_catalog.to_regtype('\"Mixed Case\".\"it''s\"') IS NOT NULL"),
        (DumpEntry(kind: "FUNCTION", name: "label(integer)", schema: "app", owner: nil, range: 0..<0),
         "EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'app' "
            + "AND p.proname = 'label' AND 'integer' IN (pg_catalog.oidvectortypes(p.proargtypes), pg_catalog.pg_get_function_identity_arguments(p.oid)))"),
        (DumpEntry(kind: "SEQUENCE", name: "s", schema: "app", owner: nil, range: 0..<0),
         "pg_catalog.to_regclass('\"app\".\"s\"') IS NOT NULL"),
    ])
    func existenceChecks(entry: DumpEntry, expected: String) {
        #expect(PartialSelection.existenceCheck(entry) == expected)
    }

    @Test("--rename-to renames the table and what is named after it, and keeps the live names out")
    func renameTo() throws {
        let request = PartialRestoreRequest(tables: [TableName(schema: "app", name: "orders")], renameTo: "orders_restored")
        let plan = try PartialSelection.plan(Self.contents, request: request, existing: ["SCHEMA app", "DOMAIN app.positive"])
        #expect(plan.destinations == [TableName(schema: "app", name: "orders_restored")])
        let text = plan.pieces.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()
        #expect(!text.contains("DROP TABLE"))
        #expect(text.contains("CREATE TABLE \"app\".\"orders_restored\" ("))
        #expect(text.contains("SEQUENCE NAME \"app\".\"orders_restored_id_seq\""))
        #expect(text.contains("ADD CONSTRAINT \"orders_restored_pkey\" PRIMARY KEY (id);"))
        #expect(text.contains("CREATE INDEX \"orders_restored_customer\" ON \"app\".\"orders_restored\" USING btree (customer_id);"))
        #expect(text.contains("ADD CONSTRAINT \"orders_restored_customer_id_fkey\" FOREIGN KEY (customer_id) REFERENCES app.customers(id);"))
        #expect(text.contains("pg_catalog.setval('\"app\".\"orders_restored_id_seq\"'"))
        #expect(!text.contains("app.orders ") && !text.contains("app.orders_id_seq"))
    }

    @Test("An identity column written inside CREATE TABLE (vaultops' dumper) brings and renames its sequence")
    func inlineIdentity() throws {
        let script = """
            SET x = 1;

            --
            -- Name: t; Type: TABLE; Schema: public; Owner: o
            --

            CREATE TABLE public.t (
                id bigint NOT NULL GENERATED ALWAYS AS IDENTITY (
                    SEQUENCE NAME public.t_id_seq
                    START WITH 1
                ),
                v text
            );

            --
            -- Name: t; Type: TABLE DATA; Schema: public; Owner: o
            --

            COPY public.t (id, v) FROM stdin;
            1	x
            \\.

            --
            -- Name: t_id_seq; Type: SEQUENCE SET; Schema: public; Owner: o
            --

            SELECT pg_catalog.setval('public.t_id_seq', 1, true);

            --
            -- Name: t; Type: ACL; Schema: public; Owner: o
            --

            GRANT SELECT ON TABLE public.t TO PUBLIC;

            """
        let contents = try DumpContentsScanner.scan(BytesSource(script), name: "s", keepText: true)
        let request = PartialRestoreRequest(tables: [TableName(schema: "public", name: "t")], renameTo: "t2")
        let plan = try PartialSelection.plan(contents, request: request, existing: ["SCHEMA public"])
        #expect(Self.entries(plan) == ["TABLE public.t", "TABLE DATA public.t", "SEQUENCE SET public.t_id_seq", "ACL public.t"])
        let text = plan.pieces.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()
        #expect(text.contains("SEQUENCE NAME \"public\".\"t2_id_seq\""))
        #expect(text.contains("setval('\"public\".\"t2_id_seq\"', 1, true)"))
        #expect(text.contains("GRANT SELECT ON TABLE \"public\".\"t2\" TO PUBLIC;"))
    }

    @Test("A partition's index (a key's too) is attached to its parent's when both tables come, else left alone")
    func indexAttachments() throws {
        func entry(_ name: String, _ kind: String, _ sql: String) -> String {
            "--\n-- Name: \(name); Type: \(kind); Schema: public; Owner: o\n--\n\n\(sql)\n\n"
        }
        let script = "SET x = 1;\n\n"
            + entry("p", "TABLE", "CREATE TABLE public.p (a integer NOT NULL) PARTITION BY RANGE (a);")
            + entry("p1", "TABLE", "CREATE TABLE public.p1 (a integer NOT NULL);")
            + entry("p1", "TABLE ATTACH", "ALTER TABLE ONLY public.p ATTACH PARTITION public.p1 FOR VALUES FROM (0) TO (10);")
            + entry("p1 p1_own_pkey", "CONSTRAINT", "ALTER TABLE ONLY public.p1\n    ADD CONSTRAINT p1_own_pkey PRIMARY KEY (a);")
            + entry("p p_pkey", "CONSTRAINT", "ALTER TABLE ONLY public.p\n    ADD CONSTRAINT p_pkey PRIMARY KEY (a);")
            + entry("p_a", "INDEX", "CREATE INDEX p_a ON ONLY public.p USING btree (a);")
            + entry("P1 a", "INDEX", "CREATE INDEX \"P1 a\" ON public.p1 USING btree (a);")
            + entry("P1 a", "INDEX ATTACH", "ALTER INDEX public.p_a ATTACH PARTITION public.\"P1 a\";")
            + entry("p1_own_pkey", "INDEX ATTACH", "ALTER INDEX public.p_pkey ATTACH PARTITION public.p1_own_pkey;")
        let contents = try DumpContentsScanner.scan(BytesSource(script), name: "s", keepText: true)
        let both = PartialRestoreRequest(tables: [TableName(schema: "public", name: "p"), TableName(schema: "public", name: "p1")])
        let attached = Self.entries(try PartialSelection.plan(contents, request: both, existing: ["SCHEMA public"]))
        #expect(attached.filter { $0.hasPrefix("INDEX ATTACH") } == ["INDEX ATTACH public.P1 a", "INDEX ATTACH public.p1_own_pkey"])
        let one = PartialRestoreRequest(tables: [TableName(schema: "public", name: "p")])
        let alone = Self.entries(try PartialSelection.plan(contents, request: one, existing: ["SCHEMA public"]))
        #expect(!alone.contains { $0.hasPrefix("INDEX ATTACH") }, "\(alone)")
    }

    @Test("--into-schema moves the tables and their sequences, creating the schema")
    func intoSchema() throws {
        let request = PartialRestoreRequest(tables: [TableName(schema: "app", name: "customers")], intoSchema: "restored")
        let plan = try PartialSelection.plan(Self.contents, request: request, existing: ["SCHEMA app", "TYPE app.status", "FUNCTION app.touch()"])
        #expect(plan.destinations == [TableName(schema: "restored", name: "customers")])
        let text = plan.pieces.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()
        #expect(text.contains("CREATE SCHEMA IF NOT EXISTS \"restored\";"))
        #expect(text.contains("CREATE TABLE \"restored\".\"customers\" ("))
        #expect(text.contains("nextval('\"restored\".\"customers_id_seq\"'::regclass)"))
        #expect(text.contains("status app.status DEFAULT 'open'::app.status NOT NULL"))
        #expect(text.contains("EXECUTE FUNCTION app.touch()"))
        #expect(!text.contains("app.customers"))
    }

    @Test("A COPY statement is renamed, its data is not")
    func renamingCopy() throws {
        var renames = PartialRenames()
        renames.qualified = [.init(old: TableName(schema: "app", name: "orders"), new: TableName(schema: "app", name: "o2"), isTable: true)]
        let entry = "--\n-- Data for Name: orders; Type: TABLE DATA; Schema: app; Owner: o\n--\n\nCOPY app.orders (id) FROM stdin;\napp.orders\n\\.\n"
        let out = try renames.renamingCopy(BytesSource(entry, chunkSize: 3), entry: "app.orders").readAll()
        #expect(String(decoding: out, as: UTF8.self) == entry.replacingOccurrences(of: "COPY app.orders", with: "COPY \"app\".\"o2\""))
        let inserts = "--\n-- Data for Name: orders; Type: TABLE DATA; Schema: app; Owner: o\n--\n\nINSERT INTO app.orders VALUES (1);\n"
        #expect(throws: PostgresRestoreError.self) { _ = try renames.renamingCopy(BytesSource(inserts), entry: "app.orders").readAll() }
    }

    @Test("Whole schemas, and tables the dump lacks")
    func schemasAndMissing() throws {
        let all = try PartialSelection.tables(Self.contents, request: PartialRestoreRequest(schemas: ["app"]))
        #expect(all.map(\.name) == ["orders", "customers", "events", "events_2025"])
        #expect(throws: PostgresRestoreError.self) {
            try PartialSelection.tables(Self.contents, request: PartialRestoreRequest(tables: [TableName(schema: "app", name: "nope")]))
        }
    }

    @Test("Requests that cannot be honoured", arguments: [
        (PartialRestoreRequest(), "say which tables"),
        (PartialRestoreRequest(tables: [TableName(schema: "a", name: "b")], renameTo: "x", intoSchema: "y"), "do not go together"),
        (PartialRestoreRequest(schemas: ["app"], renameTo: "x"), "exactly one --table"),
    ])
    func conflicts(request: PartialRestoreRequest, message: String) {
        #expect(request.conflict?.contains(message) == true)
    }
}
