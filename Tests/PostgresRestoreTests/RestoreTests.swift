import Archive
import Foundation
import LibPQ
import Redaction
import Testing
import TestSupport
@testable import PostgresRestore

@Suite("Restoring pg_dump scripts against the real server")
struct RestoreTests {
    static let dumpVariants: [(name: String, arguments: [String], gzip: Bool)] = [
        ("plain", [], false),
        ("plain gzipped", [], true),
        ("clean if-exists", ["--clean", "--if-exists"], false),
        ("clean if-exists gzipped", ["--clean", "--if-exists"], true),
        ("inserts", ["--inserts"], false),
    ]

    @Test("pg_dump scripts restore through the runner exactly as through psql", arguments: dumpVariants)
    func matchesPsql(_ variant: (name: String, arguments: [String], gzip: Bool)) throws {
        let dir = try TempDir("restore")
        let source = try Fixture.sourceDatabase()
        var script = dir.file("dump.sql")
        try Fixture.pgDump(source, to: script, variant.arguments)
        if variant.gzip {
            // Until Archive's GzipReader is plugged in, .sql.gz is decompressed by the system gzip.
            try shell("gzip -9 '\(script.path)'")
            let plain = dir.file("unzipped.sql")
            let r = try shell("gzip -dc '\(script.path).gz' > '\(plain.path)'")
            #expect(r.status == 0)
            script = plain
        }
        let ours = try PostgresTestServer.freshDatabase("ours")
        let theirs = try PostgresTestServer.freshDatabase("psql")
        let summary = try Fixture.restore(script, into: ours)
        try Fixture.psqlRestore(script, into: theirs)

        #expect(try Fixture.comparable(ours) == Fixture.comparable(theirs))
        #expect(try Fixture.comparable(ours) == Fixture.comparable(source))
        #expect(summary.writer == .pgDump)
        #expect(summary.rowsPerTable["app.customers"] == 2004)
        #expect(summary.rowsPerTable["app.orders"] == 5000)
        #expect(summary.rowsPerTable["Mixed Case.Table; With \"Quotes\""] == 2)
        #expect(summary.rows == 2004 + 5000 + 2 + 301)
        #expect(summary.statements > 50)
        #expect(summary.database == ours)
    }

    @Test("a pg_dump --create script restores into the target, and creates no database of its own")
    func createScript() throws {
        let dir = try TempDir("restore")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("create.sql")
        try Fixture.pgDump(source, to: script, ["--create"])
        let expected = try Fixture.comparable(source)
        // Free the name the script creates; the original stays for comparison under another name.
        try PostgresTestServer.psql("ALTER DATABASE \"\(source)\" RENAME TO \"\(source)_orig\"")

        let target = try PostgresTestServer.freshDatabase("target")
        let summary = try Fixture.restore(script, into: target)
        #expect(summary.database == target)
        #expect(try Fixture.comparable(target) == expected)
        #expect(try Fixture.databaseExists(source) == false)
        #expect(try Fixture.comparable("\(source)_orig") == expected)
    }

    @Test("a failing --create script leaves the target as it was and no database behind")
    func createScriptFailureDropsDatabase() throws {
        let dir = try TempDir("restore")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("create.sql")
        try Fixture.pgDump(source, to: script, ["--create"])
        try PostgresTestServer.psql("ALTER DATABASE \"\(source)\" RENAME TO \"\(source)_orig\"")
        var text = try String(contentsOf: script, encoding: .utf8)
        let anchor = try #require(text.range(of: "CREATE TABLE app.orders"))
        text.insert(contentsOf: "SELECT 1/0;\n", at: anchor.lowerBound)
        try Fixture.write(text, to: script)

        let target = try PostgresTestServer.freshDatabase("target")
        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(script, into: target) }
        #expect(error?.sqlState == "22012")
        #expect(try Fixture.userObjects(target) == 0)
        #expect(try Fixture.databaseExists(source) == false)
    }

    @Test("the createDatabase option makes the target first, and drops it again on failure")
    func createOption() throws {
        let dir = try TempDir("restore")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("dump.sql")
        try Fixture.pgDump(source, to: script)
        let target = "new_\(UUID().uuidString.prefix(8).lowercased())"
        try Fixture.restore(script, into: target, RestoreOptions(createDatabase: true))
        #expect(try Fixture.comparable(target) == Fixture.comparable(source))

        let broken = dir.file("broken.sql")
        try Fixture.write(try String(contentsOf: script, encoding: .utf8).replacingOccurrences(of: "CREATE VIEW", with: "CREATE VIEWX"), to: broken)
        let other = "new_\(UUID().uuidString.prefix(8).lowercased())"
        #expect(throws: PostgresRestoreError.self) { try Fixture.restore(broken, into: other, RestoreOptions(createDatabase: true)) }
        #expect(try Fixture.databaseExists(other) == false)
    }

    @Test("a target with user tables is refused, naming --clean and --force, and left untouched")
    func nonEmptyTargetRefused() throws {
        let dir = try TempDir("restore")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("dump.sql")
        try Fixture.pgDump(source, to: script)
        let target = try PostgresTestServer.freshDatabase("busy")
        try PostgresTestServer.psql("CREATE TABLE precious (a int); INSERT INTO precious VALUES (42);", database: target)
        let before = try Fixture.comparable(target)

        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(script, into: target) }
        #expect(error?.kind == .targetNotEmpty)
        #expect(error?.description.contains("--clean") == true)
        #expect(error?.description.contains("--force") == true)
        #expect(error?.description.contains("public.precious") == true)
        #expect(try Fixture.comparable(target) == before)

        // --force restores on top; the unrelated table stays.
        try Fixture.restore(script, into: target, RestoreOptions(force: true))
        #expect(try PostgresTestServer.psql("SELECT a FROM precious", database: target) == "42")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app.orders", database: target) == "5000")
    }

    @Test("clean drops what the dump creates (dependents first) and restores it fresh")
    func cleanOption() throws {
        let dir = try TempDir("restore")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("dump.sql")
        try Fixture.pgDump(source, to: script)
        let target = try PostgresTestServer.freshDatabase("stale")
        try Fixture.restore(script, into: target)
        // Make the target differ: changed rows, and a table the dump does not know, which must survive.
        try PostgresTestServer.psql("""
            DELETE FROM app.orders WHERE id > 10; UPDATE app.customers SET name = 'changed';
            CREATE TABLE public.keep_me (a int); INSERT INTO public.keep_me VALUES (7);
            """, database: target)

        let plain = try String(contentsOf: script, encoding: .utf8)
        try Fixture.restore(script, into: target, RestoreOptions(clean: true))
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app.orders", database: target) == "5000")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app.customers WHERE name = 'changed'", database: target) == "0")
        #expect(try PostgresTestServer.psql("SELECT a FROM public.keep_me", database: target) == "7")
        try PostgresTestServer.psql("DROP TABLE public.keep_me", database: target)
        #expect(try Fixture.comparable(target) == Fixture.comparable(source))
        #expect(plain.contains("DROP") == false) // the drops came from the runner, not the script
    }

    @Test("a pg_dump --clean --if-exists script replaces a populated target when clean is given")
    func cleanScriptOverPopulatedTarget() throws {
        let dir = try TempDir("restore")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("clean.sql")
        try Fixture.pgDump(source, to: script, ["--clean", "--if-exists"])
        let target = try PostgresTestServer.freshDatabase("again")
        try Fixture.restore(script, into: target)
        try PostgresTestServer.psql("DELETE FROM app.orders", database: target)

        let refused = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(script, into: target) }
        #expect(refused?.kind == .targetNotEmpty)
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app.orders", database: target) == "0")
        try Fixture.restore(script, into: target, RestoreOptions(clean: true))
        #expect(try Fixture.comparable(target) == Fixture.comparable(source))
    }

    @Test("a truncated script changes nothing", arguments: ["mid-statement", "at a statement boundary", "mid-COPY"])
    func truncated(_ where_: String) throws {
        let dir = try TempDir("restore")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("dump.sql")
        try Fixture.pgDump(source, to: script)
        let text = try String(contentsOf: script, encoding: .utf8)
        let cut: String
        switch where_ {
        case "mid-statement":
            let r = try #require(text.range(of: "CREATE VIEW app.customer_totals"))
            cut = String(text[..<text.index(r.upperBound, offsetBy: 20)])
        case "at a statement boundary":
            let r = try #require(text.range(of: "\\.\n", options: .backwards))
            cut = String(text[..<r.upperBound])
        default:
            let r = try #require(text.range(of: "COPY app.orders"))
            cut = String(text[..<text.index(r.upperBound, offsetBy: 3000)])
        }
        let broken = dir.file("truncated.sql")
        try Fixture.write(cut, to: broken)
        let target = try PostgresTestServer.freshDatabase("trunc")
        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(broken, into: target) }
        #expect(error?.kind == .truncated)
        #expect(try Fixture.userObjects(target) == 0)
    }

    @Test("a failing statement in the middle changes nothing and is reported with its line, first line and SQLSTATE")
    func failingStatement() throws {
        let dir = try TempDir("restore")
        let source = try Fixture.sourceDatabase()
        let script = dir.file("dump.sql")
        try Fixture.pgDump(source, to: script)
        var lines = try String(contentsOf: script, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let copyLine = try #require(lines.lastIndex { $0.hasPrefix("COPY app.orders") })
        lines.insert(contentsOf: ["INSERT INTO app.customers (id, name)", "VALUES ('not a number', 'x');"], at: copyLine)
        let broken = dir.file("broken.sql")
        try Fixture.write(lines.joined(separator: "\n"), to: broken)
        let target = try PostgresTestServer.freshDatabase("fail")

        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(broken, into: target) }
        #expect(error?.kind == .statementFailed)
        #expect(error?.sqlState == "22P02")
        #expect(error?.line == copyLine + 1)
        #expect(error?.statement == "INSERT INTO app.customers (id, name)")
        #expect(error?.description.contains("broken.sql:\(copyLine + 1)") == true)
        #expect(error?.description.contains("invalid input syntax for type integer") == true)
        #expect(try Fixture.userObjects(target) == 0)
    }

    @Test("a bad COPY row fails the restore and changes nothing")
    func badCopyRow() throws {
        let dir = try TempDir("restore")
        let script = dir.file("bad.sql")
        try Fixture.write("CREATE TABLE t (a int);\nCOPY t (a) FROM stdin;\n1\nnot a number\n\\.\n", to: script)
        let target = try PostgresTestServer.freshDatabase("badcopy")
        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(script, into: target) }
        #expect(error?.sqlState == "22P02")
        #expect(error?.line == 2)
        #expect(try Fixture.userObjects(target) == 0)
    }

    @Test("a connection killed mid-COPY fails the restore and changes nothing")
    func killedMidCopy() throws {
        let dir = try TempDir("restore")
        let script = dir.file("big.sql")
        // The COPY first waits for the advisory lock `gate` (a statement trigger) that the test holds, so the
        // backend is terminated mid-COPY whatever the machine's speed (polling for a COPY in flight could miss a
        // 150 MB one that took 1.5 s). The COPY is on line 4.
        let gate = Int.random(in: 1...1_000_000)
        let handle = try FileHandle(forWritingTo: { _ = FileManager.default.createFile(atPath: script.path, contents: nil); return script }())
        try handle.write(contentsOf: Data(("CREATE TABLE big (id int, pad text);\n" + Fixture.gate("big", on: gate)
                                           + "COPY big (id, pad) FROM stdin;\n").utf8))
        let pad = String(repeating: "x", count: 140)
        var block = ""
        for i in 0..<10_000 { block += "\(i)\t\(pad)\n" }
        let blockData = Data(block.utf8)
        for _ in 0..<10 { try handle.write(contentsOf: blockData) }
        try handle.write(contentsOf: Data("\\.\n".utf8))
        try handle.close()

        let target = try PostgresTestServer.freshDatabase("killed")
        let holder = try Connection(try PostgresTestServer.url(database: target))
        _ = try holder.execute("SELECT pg_advisory_lock(\(gate))")
        defer { withExtendedLifetime(holder) {} }
        let appName = "restore_kill_\(UUID().uuidString.prefix(8).lowercased())"
        let url = try PostgresTestServer.url(database: target) + "?application_name=\(appName)"
        let adminURL = try PostgresTestServer.adminURL()
        let terminated = DispatchSemaphore(value: 0)
        let killer = Thread {
            guard let admin = try? Connection(adminURL) else { return }
            // The COPY waits on the gate until it is terminated; the 120 s bound is only a backstop.
            for _ in 0..<1_200 {
                if let r = try? admin.query("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE application_name = $1 AND query LIKE 'COPY%' AND state = 'active' AND wait_event_type = 'Lock'
                    """, [appName]), r.rowCount > 0 { terminated.signal(); return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            // Never seen: end the restore anyway (it has no lock timeout), so the test fails instead of hanging.
            _ = try? admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [appName])
        }
        nonisolated(unsafe) let unsafeKiller = killer
        unsafeKiller.start()
        let error = #expect(throws: PostgresRestoreError.self) {
            // No lock timeout: the COPY waits on the gate for as long as the killer takes to see it.
            try ScriptRestorer(targetURL: url, options: RestoreOptions(lockTimeout: nil)).restore(.file(script.path))
        }
        while unsafeKiller.isExecuting { Thread.sleep(forTimeInterval: 0.05) }
        #expect(terminated.wait(timeout: .now()) == .success, "the COPY was never seen waiting on the gate")
        #expect(error?.kind == .connectionLost)
        #expect(error?.line == 4)
        #expect(try Fixture.userObjects(target) == 0)
        #expect(try Fixture.userFunctions(target) == 0, "the gate's function was left behind")
    }

    @Test("unsupported meta-commands are refused with their line before anything changes")
    func unsupportedMeta() throws {
        let dir = try TempDir("restore")
        let script = dir.file("meta.sql")
        try Fixture.write("CREATE TABLE t (a int);\n\\restrict k\n\\i other.sql\n", to: script)
        let target = try PostgresTestServer.freshDatabase("meta")
        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(script, into: target) }
        #expect(error?.kind == .unsupportedMetaCommand)
        #expect(error?.line == 3)
        #expect(error?.description.contains("\\i") == true)
        #expect(try Fixture.userObjects(target) == 0)
    }

    @Test("in one transaction, scripts that manage transactions or VACUUM are refused; without it they run")
    func transactionModes() throws {
        let dir = try TempDir("restore")
        let script = dir.file("tx.sql")
        try Fixture.write("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nCOMMIT;\nVACUUM t;\nINSERT INTO t VALUES (2);\n", to: script)
        let single = try PostgresTestServer.freshDatabase("tx")
        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(script, into: single) }
        #expect(error?.kind == .invalidScript)
        #expect(error?.line == 3)
        #expect(try Fixture.userObjects(single) == 0)

        let vacuum = dir.file("vacuum.sql")
        try Fixture.write("CREATE TABLE t (a int);\nVACUUM t;\n", to: vacuum)
        let refused = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(vacuum, into: single) }
        #expect(refused?.line == 2)

        let loose = try PostgresTestServer.freshDatabase("tx")
        let summary = try Fixture.restore(script, into: loose, RestoreOptions(singleTransaction: false))
        #expect(summary.statements == 5)
        #expect(try PostgresTestServer.psql("SELECT string_agg(a::text, ',' ORDER BY a) FROM t", database: loose) == "1,2")
    }

    @Test("noOwner and noPrivileges restore a dump whose roles do not exist here")
    func ownerAndPrivileges() throws {
        let dir = try TempDir("restore")
        let source = try PostgresTestServer.freshDatabase("roles")
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let owner = "own_\(suffix)", reader = "read_\(suffix)"
        try PostgresTestServer.psql("CREATE ROLE \(owner); CREATE ROLE \(reader);")
        try PostgresTestServer.psql("""
            CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2);
            ALTER TABLE t OWNER TO \(owner); GRANT SELECT ON t TO \(reader);
            ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO \(reader);
            """, database: source)
        let script = dir.file("roles.sql")
        try Fixture.pgDump(source, to: script)
        try PostgresTestServer.psql("DROP DATABASE \(source)")
        try PostgresTestServer.psql("DROP ROLE \(owner); DROP ROLE \(reader);")

        let plain = try PostgresTestServer.freshDatabase("roles_a")
        let error = #expect(throws: PostgresRestoreError.self) { try Fixture.restore(script, into: plain) }
        #expect(error?.sqlState == "42704") // role does not exist
        #expect(try Fixture.userObjects(plain) == 0)

        let summary = try Fixture.restore(script, into: plain, RestoreOptions(noOwner: true, noPrivileges: true))
        #expect(summary.skippedStatements == 3)
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM t", database: plain) == "2")
    }

    @Test("deep verification counts rows in a scratch database and always drops it")
    func deepVerifyCounts() throws {
        let dir = try TempDir("restore")
        let source = try Fixture.sourceDatabase()
        for arguments in [[], ["--create"], ["--clean", "--if-exists", "--create"]] {
            let script = dir.file("dump.sql")
            try Fixture.pgDump(source, to: script, arguments)
            let counts = try deepVerify(script: .file(script.path), serverURL: try PostgresTestServer.adminURL())
            #expect(counts == Fixture.expectedRows, "\(arguments)")
        }
        let broken = dir.file("broken.sql")
        try Fixture.write("CREATE TABLE t (a int);\nSELECT 1/0;\n", to: broken)
        #expect(throws: PostgresRestoreError.self) {
            try deepVerify(script: .file(broken.path), serverURL: try PostgresTestServer.adminURL())
        }
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'vaultops_verify_%'") == "0")
    }

    @Test("an error of the script's stream reaches the caller as itself, after the restore was rolled back")
    func streamErrorIsThrownAsItself() throws {
        struct Damaged: Error, Equatable {}
        let target = try PostgresTestServer.freshDatabase("streamfail")
        // The statements run; the stream fails only at its end, like a checksum that does not match.
        let input = ScriptInput(name: "damaged.sql") {
            EndCheckSource(BytesSource("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n", chunkSize: 16)) { throw Damaged() }
        }
        #expect(throws: Damaged()) {
            try ScriptRestorer(targetURL: try PostgresTestServer.url(database: target)).restore(input)
        }
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: target) == "0")
    }
}

@Suite("Restore secrets")
struct RestoreSecretTests {
    /// LibPQ hides a password only in its own messages: the restorer registers the target's process-wide before
    /// it connects, so its logs and errors hide it too.
    @Test func theTargetsPasswordIsRegisteredBeforeConnecting() throws {
        let secret = "Restore-Target-\(UUID().uuidString.prefix(8))"
        let restorer = ScriptRestorer(targetURL: "postgresql://someone:\(secret)@127.0.0.1:1/db?connect_timeout=3")
        #expect(Redacted.registeredSecrets.contains(secret))
        let error = #expect(throws: PostgresRestoreError.self) {
            try restorer.restore(ScriptInput(name: "x.sql") { BytesSource("SELECT 1;\n", chunkSize: 64) })
        }
        #expect(error.map { !"\($0)".contains(secret) } == true)
    }
}
