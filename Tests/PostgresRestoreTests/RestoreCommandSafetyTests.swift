import Foundation
import LibPQ
import Testing
import TestSupport
@testable import PostgresRestore

/// The `vaultops restore` binary stopped by a signal, and waiting on another session's lock.
@Suite("vaultops restore: signals and lock waits", .serialized)
struct RestoreCommandSafetyTests {
    /// A plain script of `tables` tables with about `megabytes` MB of COPY data each. With `gate`, the first
    /// table's COPY first waits for the advisory lock `gate` (a statement trigger), so a test holding that lock
    /// knows the restore is mid-way, whatever the machine's speed.
    static func bigScript(in dir: TempDir, tables: Int, megabytes: Int, gate: Int? = nil) throws -> URL {
        let script = dir.file("big_20250101.sql")
        _ = FileManager.default.createFile(atPath: script.path, contents: nil)
        let handle = try FileHandle(forWritingTo: script)
        let pad = String(repeating: "x", count: 140)
        var block = ""
        for i in 0..<10_000 { block += "\(i)\t\(pad)\n" }
        let blockData = Data(block.utf8)
        for table in 1...tables {
            try handle.write(contentsOf: Data("CREATE TABLE big\(table) (id int, pad text);\n".utf8))
            if let gate, table == 1 { try handle.write(contentsOf: Data(Fixture.gate("big1", on: gate).utf8)) }
            try handle.write(contentsOf: Data("COPY big\(table) (id, pad) FROM stdin;\n".utf8))
            for _ in 0..<(megabytes * 1_000_000 / blockData.count) { try handle.write(contentsOf: blockData) }
            try handle.write(contentsOf: Data("\\.\n".utf8))
        }
        for table in 1...tables {
            try handle.write(contentsOf: Data("CREATE INDEX big\(table)_id ON big\(table) (id);\n".utf8))
        }
        try handle.close()
        return script
    }

    /// Starts the vaultops binary with `arguments`, as a shell would (SIGINT and SIGTERM not blocked, default
    /// actions: the test runner's threads may pass on a blocked mask); its output goes to files in `dir`.
    static func start(_ arguments: [String], in dir: TempDir) throws -> (Process, out: URL, err: URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import os, signal, sys
            for s in (signal.SIGINT, signal.SIGTERM):
                signal.signal(s, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGTERM])
            os.execv(sys.argv[1], sys.argv[1:])
            """, vaultopsExecutable] + arguments
        let out = dir.file("stdout"), err = dir.file("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Waits (at most `seconds`) until `condition` holds.
    static func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    @Test("SIGTERM or SIGINT mid-restore stops it, drops or rolls back what it did, says so, and exits 1",
          arguments: [(3, SIGTERM), (3, SIGINT), (1, SIGINT), (1, SIGTERM)])
    func signalMidRestore(_ c: (jobs: Int, signal: Int32)) throws {
        let dir = try TempDir("restore-signal")
        let gate = Int.random(in: 1...1_000_000)
        let script = try Self.bigScript(in: dir, tables: 4, megabytes: 8, gate: gate)
        let target = try PostgresTestServer.freshDatabase("signal")
        // The test holds the gate: the first table's COPY waits on it until the signal (so for --jobs 3 the
        // tables before it were created and committed, and three tables and the indexes are still to load).
        let holder = try Connection(try PostgresTestServer.url(database: target))
        _ = try holder.execute("SELECT pg_advisory_lock(\(gate))")
        defer { withExtendedLifetime(holder) {} }
        let (process, _, err) = try Self.start(["restore", script.path, "--jobs", "\(c.jobs)", "--lock-timeout", "0",
                                                "--to", try PostgresTestServer.url(database: target)], in: dir)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let copying = try Self.waitFor(120) {
            try PostgresTestServer.psql("""
                SELECT count(*) FROM pg_stat_activity WHERE datname = '\(target)' AND state = 'active'
                  AND query LIKE 'COPY %big1 %' AND wait_event_type = 'Lock'
                """) != "0"
        }
        #expect(copying)
        kill(process.processIdentifier, c.signal)
        let ended = Self.waitFor(60) { !process.isRunning }
        #expect(ended, "the restore did not stop within 60 s of the signal")
        guard ended else { return }
        let stderr = try String(contentsOf: err, encoding: .utf8)
        #expect(process.terminationReason == .exit, "ended by the signal itself, without cleanup: \(stderr)")
        #expect(process.terminationStatus == 1, "\(stderr)")
        let name = c.signal == SIGTERM ? "SIGTERM" : "SIGINT"
        #expect(stderr.contains("stopped by \(name)"), "\(stderr)")
        #expect(stderr.contains(c.jobs > 1 ? "was dropped again" : "rolled back"), "\(stderr)")
        #expect(try Fixture.userObjects(target) == 0)
        #expect(try Fixture.userFunctions(target) == 0, "the gate's function was left behind: \(stderr)")
    }

    @Test("vaultops restore of a pg_dump -C -c script into --to leaves the database it names alone and says where it went")
    func createCleanScriptCommand() throws {
        let dir = try TempDir("restore-target")
        let prod = try PostgresTestServer.freshDatabase("prod")
        try PostgresTestServer.psql("CREATE TABLE accounts (id int); INSERT INTO accounts VALUES (1), (2);", database: prod)
        let script = dir.file("prod_20250101.sql")
        try Fixture.pgDump(prod, to: script, ["-C", "-c"])
        try PostgresTestServer.psql("INSERT INTO accounts VALUES (3)", database: prod)
        let oid = try PostgresTestServer.psql("SELECT oid FROM pg_database WHERE datname = '\(prod)'")

        let scratch = try PostgresTestServer.freshDatabase("scratch")
        let r = try vaultops(["restore", script.path, "--to", try PostgresTestServer.url(database: scratch)])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("note: the script's database \(prod) (CREATE DATABASE at line"), "\(r.stdout)")
        #expect(try PostgresTestServer.psql("SELECT oid FROM pg_database WHERE datname = '\(prod)'") == oid)
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM accounts", database: prod) == "3")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM accounts", database: scratch) == "2")
    }

    // pg_dump's own scripts start with `SET lock_timeout = 0;`: the option must hold over it, or a real dump
    // waits forever behind the application (the hostile test's case).
    @Test("restore --clean behind another session's open transaction gives up after --lock-timeout and names that session",
          arguments: ["", "SET statement_timeout = 0;\nSET lock_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\n"])
    func lockTimeoutNamesHolder(preamble: String) throws {
        let dir = try TempDir("restore-lock")
        let script = dir.file("small_20250101.sql")
        try Fixture.write(preamble + "CREATE TABLE app_orders (id int);\nINSERT INTO app_orders VALUES (1), (2);\n", to: script)
        let target = try PostgresTestServer.freshDatabase("locked")
        try Fixture.restore(script, into: target)

        let appName = "holder_\(UUID().uuidString.prefix(8).lowercased())"
        let holder = try Connection(try PostgresTestServer.url(database: target) + "?application_name=\(appName)")
        _ = try holder.execute("BEGIN; SELECT count(*) FROM app_orders;")
        let pid = try holder.execute("SELECT pg_backend_pid()")[0, 0] ?? "?"
        // Bounded either way: if the restore waited forever, the holder is ended after 120 s (only a backstop) and
        // the restore then succeeds, which the checks below catch; what they check does not depend on the time taken.
        let adminURL = try PostgresTestServer.adminURL()
        let watchdogFired = DispatchSemaphore(value: 0)
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: 120)
            watchdogFired.signal()
            _ = try? Connection(adminURL).query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [appName])
        }
        nonisolated(unsafe) let unsafeWatchdog = watchdog
        unsafeWatchdog.start()

        let r = try vaultops(["restore", script.path, "--clean", "--lock-timeout", "1s", "--to", try PostgresTestServer.url(database: target)])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        // It gave up by itself, at the option's 1 s (not the default 30 s, nor never with the script's 0).
        #expect(watchdogFired.wait(timeout: .now()) == .timedOut, "the restore waited until the watchdog ended the holder")
        #expect(r.stderr.contains("waited longer than --lock-timeout 1s"), "\(r.stderr)")
        #expect(r.stderr.contains("lock"), "\(r.stderr)")
        #expect(r.stderr.contains("pid \(pid)"), "\(r.stderr)")
        #expect(r.stderr.contains(appName), "\(r.stderr)")
        #expect(r.stderr.contains("idle in transaction"), "\(r.stderr)")
        // Nothing changed: the table and its rows are still there, and the holder's transaction is untouched.
        _ = try holder.execute("COMMIT")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app_orders", database: target) == "2")
    }
}
