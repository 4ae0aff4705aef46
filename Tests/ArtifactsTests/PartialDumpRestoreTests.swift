import Foundation
import PostgresRestore
import Testing
import TestSupport
import VaultopsCore
@testable import Artifacts

/// `restore DUMP --table`: one table back from our dumps and pg_dump's, replacing it or beside it.
@Suite("Restoring one table of a dump", .serialized)
struct PartialDumpRestoreTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/postgres-restore/schema.sql")

    /// The source: the restore fixture, a table `public.notes` with everything a table can carry, and a large
    /// `public.bulk` so that one small table is a small share of the dump.
    static func source() throws -> String {
        let db = try PostgresTestServer.freshDatabase("partsrc")
        let r = try runProcess("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", try PostgresTestServer.url(database: db), "-f", fixture.path])
        guard r.status == 0 else { throw TestSupportError("loading the fixture: \(r.stderr)") }
        try PostgresTestServer.psql("""
            CREATE FUNCTION public.stamp() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.created := coalesce(NEW.created, DATE '2025-01-01'); RETURN NEW; END $$;
            CREATE FUNCTION public.valid_qty(q integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT q < 1000000';
            CREATE TABLE public.notes (id serial PRIMARY KEY, customer_id integer REFERENCES app.customers(id),
                body text NOT NULL, mood app.status DEFAULT 'open', qty app.positive, created date,
                CONSTRAINT body_not_blank CHECK (body <> ''), CONSTRAINT qty_ok CHECK (public.valid_qty(qty)));
            CREATE INDEX notes_body ON public.notes (lower(body));
            CREATE UNIQUE INDEX notes_customer_body ON public.notes (customer_id, body);
            CREATE TRIGGER stamp_created BEFORE INSERT ON public.notes FOR EACH ROW EXECUTE FUNCTION public.stamp();
            GRANT SELECT, INSERT ON public.notes TO PUBLIC;
            COMMENT ON COLUMN public.notes.body IS 'what was said';
            INSERT INTO public.notes (customer_id, body, mood, qty)
                SELECT 1 + g % 2, 'note ' || g || E'\\twith a tab', CASE WHEN g % 3 = 0 THEN 'closed; done' ELSE 'open' END::app.status, g
                FROM generate_series(1, 5000) g;
            CREATE TABLE public.bulk (id bigint PRIMARY KEY, payload text);
            INSERT INTO public.bulk SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 500000) g;
            """, database: db)
        return db
    }

    /// A database holding everything of `artifact` (restored whole), then changed by `damage`.
    static func target(from artifact: URL, _ damage: String) throws -> String {
        let db = try PostgresTestServer.freshDatabase("parttgt")
        _ = try PostgresDumpRestore.restore(artifact, targetURL: try PostgresTestServer.url(database: db), options: RestoreOptions())
        try PostgresTestServer.psql(damage, database: db)
        return db
    }

    /// pg_dump's definition (with grants and comments) and data of one table, comment lines left out.
    static func dumpOf(_ table: String, in db: String, _ mode: String) throws -> String {
        let r = try runProcess("pg_dump", [mode, "-t", table, "-d", try PostgresTestServer.url(database: db)])
        guard r.status == 0 else { throw TestSupportError("pg_dump -t \(table): \(r.stderr)") }
        return comparablePgDumpOutput(r.stdout)
    }

    static func restore(_ artifact: URL, into db: String, _ request: PartialRestoreRequest) throws -> PartialRestoreSummary {
        try PartialDumpRestore.restore(artifact, targetURL: try PostgresTestServer.url(database: db), request: request, options: RestoreOptions())
    }

    static let notes = PartialRestoreRequest(tables: [TableName(schema: "public", name: "notes")])

    /// Our dump (parallel gzip, so with block index), pg_dump's plain file and its gzip, made once.
    final class Dumps: @unchecked Sendable {
        // Safety: written once in `init`, read only afterwards.
        let dir: TempDir
        let source: String
        let ours: URL
        let plain: URL
        let plainGzip: URL

        init() throws {
            dir = try TempDir("partial")
            source = try PartialDumpRestoreTests.source()
            let url = try PostgresTestServer.url(database: source)
            ours = try PostgresBackup.run(connection: url, options: BackupOptions(outputDirectory: dir.url, name: "db", jobs: 2)).artifact
            plain = dir.file("pg.sql")
            let r = try runProcess("pg_dump", ["-f", plain.path, "-d", url])
            guard r.status == 0 else { throw TestSupportError("pg_dump: \(r.stderr)") }
            plainGzip = dir.file("pg2.sql.gz")
            let z = try shell("gzip -c '\(plain.path)' > '\(plainGzip.path)'")
            guard z.status == 0 else { throw TestSupportError("gzip: \(z.stderr)") }
        }
    }

    static let dumps = Result { try Dumps() }

    @Test("Our dump's manifest records the table contents and gzip blocks")
    func manifestIndex() throws {
        let d = try Self.dumps.get()
        let manifest = try Manifest.load(from: Manifest.sidecarURL(for: d.ours))
        let index = try #require(manifest.dumpIndex)
        #expect(index.blocks.count > 10)
        #expect(index.data.contains { $0.schema == "public" && $0.name == "bulk" && $0.kind == "TABLE DATA" })
        let notes = try #require(index.data.first { $0.name == "notes" })
        let script = try GzipTestRead.slice(d.ours, Int(notes.start)..<Int(notes.end))
        #expect(script.hasPrefix("--\n-- Name: notes; Type: TABLE DATA; Schema: public;"))
        #expect(script.contains("COPY public.notes ") && script.contains("\n\\.\n"))
    }

    @Test("--table replaces a damaged table with the dump's: definition, indexes, grants, contents; reading < 10% of our dump")
    func replaceFromOurDump() throws {
        let d = try Self.dumps.get()
        let db = try Self.target(from: d.ours, "DELETE FROM public.notes WHERE id % 2 = 0; UPDATE public.notes SET body = 'x' || id; DROP INDEX public.notes_body; REVOKE ALL ON public.notes FROM PUBLIC;")
        let summary = try Self.restore(d.ours, into: db, Self.notes)
        #expect(summary.usedIndex)
        #expect(summary.restore.rowsPerTable["public.notes"] == 5000)
        #expect(try Self.dumpOf("public.notes", in: db, "--schema-only") == Self.dumpOf("public.notes", in: d.source, "--schema-only"))
        #expect(try Self.dumpOf("public.notes", in: db, "--data-only") == Self.dumpOf("public.notes", in: d.source, "--data-only"))
        #expect(summary.bytesRead * 10 < summary.fileSize, "read \(summary.bytesRead) of \(summary.fileSize) bytes")
        // The rest is as it was.
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM public.bulk", database: db) == "500000")
    }

    @Test("--table into a database that lacks the table and the functions its trigger and check call")
    func intoDatabaseWithoutIt() throws {
        let d = try Self.dumps.get()
        let db = try Self.target(from: d.ours, "DROP TABLE public.notes; DROP FUNCTION public.stamp(); DROP FUNCTION public.valid_qty(integer);")
        let summary = try Self.restore(d.ours, into: db, Self.notes)
        #expect(Set(summary.createdDependencies) == ["FUNCTION public.stamp()", "FUNCTION public.valid_qty(q integer)"])
        #expect(try Self.dumpOf("public.notes", in: db, "--schema-only") == Self.dumpOf("public.notes", in: d.source, "--schema-only"))
        #expect(try Self.dumpOf("public.notes", in: db, "--data-only") == Self.dumpOf("public.notes", in: d.source, "--data-only"))
    }

    @Test("--rename-to restores beside the live table, which stays as it is")
    func renameBeside() throws {
        let d = try Self.dumps.get()
        let db = try Self.target(from: d.ours, "DELETE FROM public.notes WHERE id > 10;")
        let summary = try Self.restore(d.ours, into: db, PartialRestoreRequest(tables: [TableName(schema: "public", name: "notes")], renameTo: "notes_restored"))
        #expect(summary.tables.map(\.to) == [TableName(schema: "public", name: "notes_restored")])
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM public.notes", database: db) == "10")
        let renamed = { (text: String) in text.replacingOccurrences(of: #"(?<![A-Za-z0-9_])notes"#, with: "notes_restored", options: .regularExpression) }
        #expect(try Self.dumpOf("public.notes_restored", in: db, "--schema-only") == renamed(Self.dumpOf("public.notes", in: d.source, "--schema-only")))
        #expect(try Self.dumpOf("public.notes_restored", in: db, "--data-only") == renamed(Self.dumpOf("public.notes", in: d.source, "--data-only")))
    }

    @Test("--into-schema restores beside the live table in another schema")
    func intoSchema() throws {
        let d = try Self.dumps.get()
        let db = try Self.target(from: d.ours, "SELECT 1")
        _ = try Self.restore(d.ours, into: db, PartialRestoreRequest(tables: [TableName(schema: "public", name: "notes")], intoSchema: "restored"))
        #expect(try PostgresTestServer.psql("SELECT count(*), sum(qty) FROM restored.notes", database: db) == "5000|12502500")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'restored'", database: db) == "3")
    }

    @Test("--table works on pg_dump's plain file, gzipped or not, reading all of it", arguments: [false, true])
    func pgDumpFile(gzipped: Bool) throws {
        let d = try Self.dumps.get()
        let file = gzipped ? d.plainGzip : d.plain
        let db = try Self.target(from: d.ours, "DROP TABLE public.notes; DROP FUNCTION public.stamp(); DROP FUNCTION public.valid_qty(integer);")
        let summary = try Self.restore(file, into: db, Self.notes)
        #expect(!summary.usedIndex)
        #expect(summary.bytesRead >= summary.fileSize)
        #expect(try Self.dumpOf("public.notes", in: db, "--schema-only") == Self.dumpOf("public.notes", in: d.source, "--schema-only"))
        #expect(try Self.dumpOf("public.notes", in: db, "--data-only") == Self.dumpOf("public.notes", in: d.source, "--data-only"))
    }

    @Test("A table that others depend on is not dropped: the restore stops and changes nothing")
    func dependentsStopReplace() throws {
        let d = try Self.dumps.get()
        let db = try Self.target(from: d.ours, "DELETE FROM app.orders WHERE id > 1")
        #expect(throws: (any Error).self) {
            try Self.restore(d.ours, into: db, PartialRestoreRequest(tables: [TableName(schema: "app", name: "customers")]))
        }
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app.orders", database: db) == "1")
    }

    @Test("--list shows every object with its kind and byte range, for both kinds of dump")
    func list() throws {
        let d = try Self.dumps.get()
        for file in [d.ours, d.plain, d.plainGzip] {
            let lines = try ArtifactContents.list(file) { _ in }
            #expect(lines.first == "start\tend\tkind\tschema\tname\towner")
            let notes = try #require(lines.first { $0.contains("\tTABLE DATA\tpublic\tnotes\t") })
            let fields = notes.split(separator: "\t")
            #expect(UInt64(fields[0])! < UInt64(fields[1])!)
            #expect(lines.contains { $0.contains("\tTABLE\tpublic\tnotes\t") })
            #expect(lines.contains { $0.contains("\tINDEX\tpublic\tnotes_body\t") })
            // pg_dump names an ACL entry `TABLE notes`, vaultops' dumper `notes`.
            #expect(lines.contains { $0.contains("\tACL\tpublic\tTABLE notes\t") || $0.contains("\tACL\tpublic\tnotes\t") })
        }
        let ours = try PartialDumpRestore.list(d.ours)
        #expect(ours.usedIndex && ours.bytesRead * 10 < ours.fileSize)
    }
}

/// Reads a slice of a gzip file's decompressed content the slow, sure way (all of it).
enum GzipTestRead {
    static func slice(_ file: URL, _ range: Range<Int>) throws -> String {
        let r = try shell("gzip -dc '\(file.path)'")
        let bytes = Array(r.stdout.utf8)
        return String(decoding: bytes[range], as: UTF8.self)
    }
}

/// The command line of a partial restore.
@Suite("restore --table on the command line", .serialized)
struct PartialDumpRestoreCommandTests {
    @Test("restore DUMP --table … --rename-to … says what it restored and how much of the dump it read; --list lists")
    func command() throws {
        let d = try PartialDumpRestoreTests.dumps.get()
        let db = try PartialDumpRestoreTests.target(from: d.ours, "SELECT 1")
        let url = try PostgresTestServer.url(database: db)
        let r = try vaultops(["restore", d.ours.path, "--table", "public.notes", "--rename-to", "notes_cli", "--to", url])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("restored table public.notes as public.notes_cli (5000 rows)"))
        #expect(r.stdout.contains("read ") && r.stdout.contains(" bytes of the dump ("))
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM public.notes_cli", database: db) == "5000")
        let list = try vaultops(["restore", d.plain.path, "--list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("\tTABLE DATA\tpublic\tnotes\t"))
        let bad = try vaultops(["restore", d.ours.path, "--schema", "app", "--rename-to", "x", "--to", url])
        #expect(bad.status != 0 && bad.stderr.contains("--rename-to renames one table"))
    }
}
