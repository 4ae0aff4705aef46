import Foundation
import Testing
import TestSupport
@testable import PostgresRestore

/// Statements pg_dump never writes and that reach beyond the database are refused unless the script is trusted.
@Suite("Restore refuses statements that reach beyond the database")
struct UntrustedStatementTests {
    static let marker = "/tmp/vaultops-hazard-\(UUID().uuidString.prefix(8))"

    static let forms: [(name: String, sql: String, jobs: Int)] = [
        ("COPY FROM PROGRAM", "COPY t FROM PROGRAM 'touch \(marker)-program';", 1),
        ("COPY TO PROGRAM", "COPY (SELECT 1) TO PROGRAM 'touch \(marker)-to-program';", 1),
        ("COPY TO file", "COPY t TO '\(marker)-file.csv';", 1),
        ("COPY TO file, --jobs 2", "COPY t TO '\(marker)-jobs.csv';", 2),
        ("COPY FROM file", "COPY t (a) FROM '/etc/hostname' WITH (FORMAT text);", 1),
        ("CREATE ROLE SUPERUSER", "CREATE ROLE vaultops_hazard_\(UUID().uuidString.prefix(8).lowercased()) SUPERUSER;", 1),
        ("ALTER ROLE SUPERUSER", "ALTER ROLE CURRENT_USER WITH SUPERUSER LOGIN;", 1),
        ("ALTER SYSTEM", "ALTER SYSTEM SET work_mem = '5MB';", 1),
        ("DO block", "DO $$ BEGIN EXECUTE 'SELECT 1'; END $$;", 1),
    ]

    @Test("each form is refused with its line, and nothing of the script stays", arguments: forms)
    func refused(_ form: (name: String, sql: String, jobs: Int)) throws {
        let dir = try TempDir("hazard")
        let script = dir.file("hazard.sql")
        try Fixture.write("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n\(form.sql)\nCREATE TABLE u (a int);\n", to: script)
        let target = try PostgresTestServer.freshDatabase("hazard")
        let error = #expect(throws: PostgresRestoreError.self) {
            try ScriptRestorer(targetURL: try PostgresTestServer.url(database: target), options: RestoreOptions(jobs: form.jobs))
                .restore(.file(script.path))
        }
        #expect(error?.line == 3, "\(form.name)")
        #expect(error?.description.contains("--trust-script") == true, "\(error.map { "\($0)" } ?? "no error")")
        #expect(try Fixture.userObjects(target) == 0)
        for suffix in ["-program", "-to-program", "-file.csv", "-jobs.csv"] {
            #expect(!FileManager.default.fileExists(atPath: Self.marker + suffix))
            try? FileManager.default.removeItem(atPath: Self.marker + suffix)
        }
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'vaultops_hazard_%'") == "0")
    }

    @Test("the same words in COPY data, string literals, dollar quotes, quoted names and comments restore as usual")
    func noFalsePositives() throws {
        let dir = try TempDir("hazard")
        let source = try PostgresTestServer.freshDatabase("words")
        try PostgresTestServer.psql("""
            CREATE TABLE "copy" (program text, "superuser" text);
            INSERT INTO "copy" VALUES (E'COPY t FROM PROGRAM \\'rm -rf /\\';\\nALTER SYSTEM SET work_mem = 1;', 'CREATE ROLE x SUPERUSER;'),
                                      ('DO $$ BEGIN END $$;', E'COPY t TO \\'/tmp/x\\';');
            COMMENT ON TABLE "copy" IS 'COPY x TO ''/tmp/f''; ALTER SYSTEM RESET ALL; ALTER ROLE r SUPERUSER';
            CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $body$
            BEGIN
              EXECUTE 'COPY t FROM PROGRAM ''id''';
              EXECUTE 'ALTER SYSTEM SET work_mem = ''1MB''';
            END $body$;
            CREATE VIEW "ALTER SYSTEM" AS SELECT 'CREATE ROLE y SUPERUSER' AS "DO";
            """, database: source)
        let script = dir.file("words.sql")
        try Fixture.pgDump(source, to: script)
        var text = try String(contentsOf: script, encoding: .utf8)
        text = text.replacingOccurrences(of: "SET default_tablespace = '';",
                                         with: "-- COPY t FROM PROGRAM 'id';\n/* ALTER SYSTEM SET work_mem = '1MB'; */ SET default_tablespace = '';")
        try Fixture.write(text, to: script)

        let target = try PostgresTestServer.freshDatabase("words_copy")
        try Fixture.restore(script, into: target)
        #expect(try Fixture.comparable(target) == Fixture.comparable(source))
    }
}
