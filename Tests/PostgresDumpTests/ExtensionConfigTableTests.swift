import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

/// An extension's configuration tables and sequences (`pg_extension_config_dump`): CREATE EXTENSION makes them, and
/// pg_dump writes the rows its condition selects (`COPY … FROM stdin`) and the sequence's position (`setval`).
///
/// No extension on the test servers has one, so a superuser makes one by hand (the catalog row that
/// `pg_extension_config_dump` writes); such a dump cannot be restored (CREATE EXTENSION does not make the table
/// again), so pg_dump's own script is the oracle, as it is for what a real extension's would hold.
@Suite("Extension configuration tables")
struct ExtensionConfigTableTests {
    @Test(arguments: PostgresServers.all)
    func configurationRowsAndSequencesAreDumpedAsPgDumpDoes(_ server: PostgresServer) throws {
        guard try server.psql("SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'citext'") == "1" else {
            // Only pgserver's 16 ships without contrib (no extension to hang the table on); any other server lacking
            // it is a CI set-up fault, not a reason to pass quietly.
            #expect(server.major == 16, "\(server): no citext, so the extension configuration tables go untested here")
            return
        }
        let db = try server.freshDatabase("extcfg")
        defer { try? server.dropDatabase(db) }
        try server.psql("""
            CREATE EXTENSION citext;
            CREATE TABLE "Cfg" (id integer, note text, twice integer GENERATED ALWAYS AS (id * 2) STORED);
            CREATE TABLE cfg_all (k text);
            CREATE SEQUENCE cfg_seq;
            SELECT nextval('cfg_seq'), nextval('cfg_seq');
            INSERT INTO "Cfg" VALUES (1, 'shipped'), (100, 'the user''s');
            INSERT INTO cfg_all VALUES ('x');
            ALTER EXTENSION citext ADD TABLE "Cfg";
            ALTER EXTENSION citext ADD TABLE cfg_all;
            ALTER EXTENSION citext ADD SEQUENCE cfg_seq;
            UPDATE pg_catalog.pg_extension
               SET extconfig = ARRAY['"Cfg"'::regclass::oid, 'cfg_all'::regclass::oid, 'cfg_seq'::regclass::oid],
                   extcondition = ARRAY['WHERE id >= 100', '', '']
             WHERE extname = 'citext';
            """, database: db)
        let expected = ["COPY public.\"Cfg\" (id, note) FROM stdin;\n100\tthe user's\n\\.\n", "COPY public.cfg_all (k) FROM stdin;\nx\n\\.\n",
                        "SELECT pg_catalog.setval('public.cfg_seq', 2, true);"]
        let pgDump = try runProcess(server.tool("pg_dump"), ["-d", try server.url(database: db)])
        for block in expected {
            #expect(pgDump.stdout.contains(block), "\(server): pg_dump does not write \(block) (the test is wrong)")
        }
        let (sink, summary) = try VersionedDump.dump(db, on: server)
        for block in expected {
            #expect(sink.text.contains(block), "\(server): \(block) is missing")
        }
        #expect(summary.tables["public.Cfg"] == 1 && summary.tables["public.cfg_all"] == 1, "\(summary.tables)")
        #expect(!sink.text.contains("CREATE TABLE public.\"Cfg\""), "CREATE EXTENSION makes the table")
    }
}
