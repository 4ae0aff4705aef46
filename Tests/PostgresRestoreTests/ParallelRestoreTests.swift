import Archive
import Foundation
import Testing
import TestSupport
@testable import PostgresRestore

@Suite("Which statements --jobs runs on worker connections")
struct ParallelStepTests {
    static let cases: [(sql: String, expected: ParallelStep?)] = [
        ("COPY app.orders (id, customer_id, total) FROM stdin;",
         ParallelStep(phase: .data, tables: [QualifiedName(["app", "orders"])])),
        ("CREATE INDEX orders_customer ON app.orders USING btree (customer_id);",
         ParallelStep(phase: .index, tables: [QualifiedName(["app", "orders"])])),
        ("CREATE UNIQUE INDEX IF NOT EXISTS u ON ONLY \"Mixed\".\"T\" USING btree (a, b);",
         ParallelStep(phase: .index, tables: [QualifiedName(["Mixed", "T"])])),
        ("CREATE INDEX ON app.events (at);", ParallelStep(phase: .index, tables: [QualifiedName(["app", "events"])])),
        ("ALTER TABLE ONLY app.orders\n    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);",
         ParallelStep(phase: .index, tables: [QualifiedName(["app", "orders"])])),
        ("ALTER TABLE app.t ADD CONSTRAINT t_u UNIQUE (a, b);", ParallelStep(phase: .index, tables: [QualifiedName(["app", "t"])])),
        ("ALTER TABLE app.t ADD CONSTRAINT t_x EXCLUDE USING gist (r WITH &&);",
         ParallelStep(phase: .index, tables: [QualifiedName(["app", "t"])])),
        ("ALTER TABLE ONLY app.orders\n    ADD CONSTRAINT orders_customer_fkey FOREIGN KEY (customer_id) REFERENCES app.customers(id) ON DELETE CASCADE;",
         ParallelStep(phase: .foreignKey, tables: [QualifiedName(["app", "orders"]), QualifiedName(["app", "customers"])])),
        ("ALTER TABLE ONLY app.tree ADD CONSTRAINT tree_parent FOREIGN KEY (parent) REFERENCES app.tree(id);",
         ParallelStep(phase: .foreignKey, tables: [QualifiedName(["app", "tree"])])),
        // Not for workers: cannot run in a transaction, several actions, or cheap and order-sensitive.
        ("CREATE INDEX CONCURRENTLY i ON app.t (a);", nil),
        ("ALTER TABLE app.t ADD CONSTRAINT a UNIQUE (x), ADD CONSTRAINT b UNIQUE (y);", nil),
        ("ALTER TABLE ONLY app.t ALTER COLUMN id SET DEFAULT nextval('app.t_id_seq'::regclass);", nil),
        ("ALTER INDEX app.parent_pkey ATTACH PARTITION app.child_pkey;", nil),
        ("CREATE TABLE app.t (id integer);", nil),
        ("CREATE TRIGGER t BEFORE INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.f();", nil),
        ("COPY app.t TO stdout;", nil),
        ("SELECT pg_catalog.setval('app.t_id_seq', 5, true);", nil),
        ("COMMENT ON INDEX app.i IS 'x';", nil),
    ]

    @Test("classify", arguments: cases)
    func classify(_ c: (sql: String, expected: ParallelStep?)) {
        #expect(ParallelStep.classify(c.sql) == c.expected, "\(c.sql)")
    }

    @Test("the options --jobs cannot honour are named")
    func conflicts() {
        #expect(RestoreOptions(jobs: 2).conflict == nil)
        #expect(RestoreOptions(createDatabase: true, jobs: 4).conflict == nil)
        #expect(RestoreOptions(clean: true, jobs: 2).conflict?.contains("--clean") == true)
        #expect(RestoreOptions(force: true, jobs: 2).conflict?.contains("--force") == true)
        #expect(RestoreOptions(clean: true, jobs: 1).conflict == nil)
        #expect(RestoreOptions(jobs: 0).conflict != nil)
    }
}

@Suite("Restoring over several connections (--jobs 2) against the real server")
struct ParallelRestoreTests {
    static func restore(_ file: URL, into database: String, jobs: Int) throws -> RestoreSummary {
        try ScriptRestorer(targetURL: try PostgresTestServer.url(database: database), options: RestoreOptions(jobs: jobs))
            .restore(.file(file.path))
    }

    /// A `.sql.gz` input read through Archive's GzipReader, as the CLI reads one.
    static func gzipInput(_ path: String) -> ScriptInput {
        let open: @Sendable () throws -> any ByteSource = { try GzipReader(path: path) }
        return ScriptInput(name: path, open: open, openConcurrently: open)
    }

    @Test("our dump and pg_dump's of the rich fixture restore with --jobs 2 exactly as with --jobs 1",
          arguments: ["pg_dump", "vaultops"])
    func sameAsOneJob(_ writer: String) throws {
        let dir = try TempDir("jobs")
        let source = try RichFixtureTests.source()
        let script = dir.file("rich.sql")
        try RichFixtureTests.dump(source, by: writer, to: script)
        let one = try PostgresTestServer.freshDatabase("jobs1")
        let two = try PostgresTestServer.freshDatabase("jobs2")
        let single = try Self.restore(script, into: one, jobs: 1)
        let parallel = try Self.restore(script, into: two, jobs: 2)
        let schema = { (db: String) in
            try runProcess("pg_dump", ["--schema-only", "-d", try PostgresTestServer.url(database: db)]).stdout
                .split(separator: "\n").filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
        }
        #expect(try schema(two) == schema(one))
        #expect(try Fixture.comparable(two) == Fixture.comparable(one))
        #expect(try Fixture.comparable(two) == Fixture.comparable(source))
        #expect(parallel.rowsPerTable == single.rowsPerTable)
        #expect(parallel.statements == single.statements)
        #expect(parallel.jobs == 2 && parallel.description.contains("over 2 connections (not one transaction)"))
        #expect(!single.description.contains("connections"))
    }

    @Test("the small fixture's gzipped pg_dump restores with --jobs 2 and the rows of every table")
    func gzippedPgDump() throws {
        let dir = try TempDir("jobs")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("dump.sql")
        try Fixture.pgDump(source, to: script)
        #expect(try shell("gzip '\(script.path)'").status == 0)
        let target = try PostgresTestServer.freshDatabase("jobsgz")
        let summary = try ScriptRestorer(targetURL: try PostgresTestServer.url(database: target), options: RestoreOptions(jobs: 2))
            .restore(Self.gzipInput(script.path + ".gz"))
        #expect(try Fixture.comparable(target) == Fixture.comparable(source))
        #expect(summary.rowsPerTable == Fixture.expectedRows)
    }

    @Test("with a spool from the check pass, the workers load each table from it and the result is the same")
    func spooled() throws {
        let dir = try TempDir("jobs")
        let source = try RichFixtureTests.source()
        let script = dir.file("rich.sql")
        try Fixture.pgDump(source, to: script)
        #expect(try shell("gzip '\(script.path)'").status == 0)
        let input = Self.gzipInput(script.path + ".gz")
        let spool = try CopySpool(directory: dir.path)
        let check = try checkScript(input, keepingItemsUpTo: ScriptRestorer.keptScriptLimit, spool: spool)
        #expect(check.items != nil)
        #expect(spool.size == check.copyData.reduce(0) { $0 + ($1.upperBound - $1.lowerBound) })
        #expect(spool.size > 0)
        // The spool is unlinked at once: nothing is left in the folder for anyone else to open.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["rich.sql.gz"])

        let target = try PostgresTestServer.freshDatabase("jobsspool")
        let summary = try ScriptRestorer(targetURL: try PostgresTestServer.url(database: target), options: RestoreOptions(jobs: 2))
            .restore(input, checked: check, spool: spool)
        #expect(try Fixture.comparable(target) == Fixture.comparable(source))
        #expect(summary.tables > 0)
    }

    @Test("a failing statement after the data (on a worker or on the main connection) leaves the target empty again",
          arguments: ["worker", "main"])
    func failureDropsEverything(_ where_: String) throws {
        let dir = try TempDir("jobs")
        let source = try RichFixtureTests.source()
        let script = dir.file("dump.sql")
        try Fixture.pgDump(source, to: script)
        var lines = try String(contentsOf: script, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Among the post-data index builds: a check constraint the loaded rows break, or a statement only main runs.
        let at = try #require(lines.firstIndex { $0.hasPrefix("CREATE INDEX") || $0.hasPrefix("CREATE UNIQUE INDEX") })
        let bad = where_ == "worker"
            ? "ALTER TABLE ONLY app.orders ADD CONSTRAINT never CHECK (false);"
            : "SELECT 1 / 0;"
        lines.insert(bad, at: at)
        let broken = dir.file("broken.sql")
        try Fixture.write(lines.joined(separator: "\n"), to: broken)
        let target = try PostgresTestServer.freshDatabase("jobsfail")

        let error = #expect(throws: PostgresRestoreError.self) { try Self.restore(broken, into: target, jobs: 2) }
        #expect(error?.kind == .statementFailed)
        #expect(error?.line == at + 1)
        #expect(error?.message.contains("dropped again") == true, "\(String(describing: error))")
        #expect(error?.message.contains("empty as before") == true, "\(String(describing: error))")
        #expect(try Fixture.userObjects(target) == 0)
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')",
                                            database: target) == "0")
        // And the same target then takes the restore of the intact dump.
        try Fixture.pgDump(source, to: script)
        _ = try Self.restore(script, into: target, jobs: 2)
        #expect(try Fixture.comparable(target) == Fixture.comparable(source))
    }

    @Test("a pg_dump --create script restores with --jobs 2 into the database --create makes, which a failure drops again")
    func createScript() throws {
        let dir = try TempDir("jobs")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("create.sql")
        try Fixture.pgDump(source, to: script, ["--create"])
        let expected = try Fixture.comparable(source)
        try PostgresTestServer.psql("ALTER DATABASE \"\(source)\" RENAME TO \"\(source)_orig\"")

        func restore(_ file: URL, into target: String) throws -> RestoreSummary {
            try ScriptRestorer(targetURL: try PostgresTestServer.url(database: target), options: RestoreOptions(createDatabase: true, jobs: 2))
                .restore(.file(file.path))
        }
        let target = "jobs_new_\(UUID().uuidString.prefix(8).lowercased())"
        let summary = try restore(script, into: target)
        #expect(summary.database == target)
        #expect(try Fixture.comparable(target) == expected)
        #expect(try !Fixture.databaseExists(source))
        try PostgresTestServer.psql("DROP DATABASE \"\(target)\"")

        let text = try String(contentsOf: script, encoding: .utf8)
        let broken = dir.file("broken.sql")
        try Fixture.write(text.replacingOccurrences(of: "\nCREATE VIEW ", with: "\nSELECT 1 / 0;\nCREATE VIEW "), to: broken)
        let error = #expect(throws: PostgresRestoreError.self) { try restore(broken, into: target) }
        #expect(error?.message.contains("created for it was dropped again") == true, "\(String(describing: error))")
        #expect(try !Fixture.databaseExists(target))
        #expect(try !Fixture.databaseExists(source))
    }

    @Test("a damaged .gz with --jobs 2 is refused before anything touches the target", arguments: ["truncate", "flip"])
    func damagedGzip(_ damage: String) throws {
        let dir = try TempDir("jobs")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("dump.sql")
        try Fixture.pgDump(source, to: script)
        #expect(try shell("gzip '\(script.path)'").status == 0)
        let gz = script.path + ".gz"
        var data = try Data(contentsOf: URL(fileURLWithPath: gz))
        if damage == "flip" {
            data[data.count * 3 / 4] ^= 0x40
        } else {
            data = data.prefix(data.count * 3 / 4)
        }
        try data.write(to: URL(fileURLWithPath: gz))

        let target = try PostgresTestServer.freshDatabase("jobsgzbad")
        let error = #expect(throws: (any Error).self) {
            try ScriptRestorer(targetURL: try PostgresTestServer.url(database: target), options: RestoreOptions(jobs: 2))
                .restore(Self.gzipInput(gz))
        }
        #expect(error != nil)
        #expect(try Fixture.userObjects(target) == 0)
        // A target that does not even exist gives the same damage error: the damage is found before any connection.
        let missing = #expect(throws: (any Error).self) {
            try ScriptRestorer(targetURL: try PostgresTestServer.url(database: "no_such_db_\(UUID().uuidString.prefix(8))"),
                                 options: RestoreOptions(jobs: 2))
                .restore(Self.gzipInput(gz))
        }
        #expect("\(String(describing: missing))" == "\(String(describing: error))")
        #expect(!"\(String(describing: missing))".contains("cannot connect"))
    }

    @Test("--jobs 2 refuses --clean, --force and a non-empty target, changing nothing")
    func refusals() throws {
        let dir = try TempDir("jobs")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("dump.sql")
        try Fixture.pgDump(source, to: script)
        let before = try Fixture.comparable(source)
        for options in [RestoreOptions(clean: true, jobs: 2), RestoreOptions(force: true, jobs: 2)] {
            let error = #expect(throws: PostgresRestoreError.self) {
                try ScriptRestorer(targetURL: try PostgresTestServer.url(database: source), options: options).restore(.file(script.path))
            }
            #expect(error?.kind == .options)
        }
        let error = #expect(throws: PostgresRestoreError.self) { try Self.restore(script, into: source, jobs: 2) }
        #expect(error?.kind == .targetNotEmpty)
        #expect(try Fixture.comparable(source) == before)
    }
}
