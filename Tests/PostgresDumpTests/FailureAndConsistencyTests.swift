import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

@Suite("Dump consistency and failures")
struct FailureAndConsistencyTests {
    /// Moves money between two tables in a loop on its own connection until told to stop.
    final class Mover: @unchecked Sendable {
        // Safety: `stop` and `moves` are only touched under `lock`; the thread owns its Connection.
        private let lock = NSLock()
        private var stopRequested = false
        private var count = 0
        private var failure: String?
        private let done = DispatchSemaphore(value: 0)

        var moves: Int { lock.withLock { count } }
        var error: String? { lock.withLock { failure } }

        func start(url: String) {
            let thread = Thread { [self] in
                defer { done.signal() }
                do {
                    let c = try Connection(url)
                    // Bounded: at most 20000 transfers or until stopped.
                    for i in 0..<20000 {
                        if lock.withLock({ stopRequested }) { break }
                        let id = String(i % 1000 + 1)
                        try c.execute("BEGIN")
                        try c.query("UPDATE acct_a SET amount = amount - 7 WHERE id = $1", [id])
                        try c.query("UPDATE acct_b SET amount = amount + 7 WHERE id = $1", [id])
                        try c.execute("COMMIT")
                        lock.withLock { count += 1 }
                    }
                } catch {
                    lock.withLock { failure = "\(error)" }
                }
            }
            thread.start()
        }

        func stop() {
            lock.withLock { stopRequested = true }
            done.wait()
        }
    }

    @Test func dumpSeesOneMomentWhileTransfersRun() throws {
        let db = try PostgresTestServer.freshDatabase("consist")
        let url = try PostgresTestServer.url(database: db)
        try PostgresTestServer.psql("""
            CREATE TABLE acct_a (id int PRIMARY KEY, amount bigint NOT NULL, pad text);
            CREATE TABLE acct_b (id int PRIMARY KEY, amount bigint NOT NULL, pad text);
            INSERT INTO acct_a SELECT g, 1000000, repeat('a', 200) FROM generate_series(1, 1000) g;
            INSERT INTO acct_b SELECT g, 0, repeat('b', 200) FROM generate_series(1, 1000) g;
            -- Bulk rows between the two tables make the dump take long enough to overlap many transfers.
            CREATE TABLE acct_filler AS SELECT g AS id, repeat('f', 500) AS pad FROM generate_series(1, 200000) g;
            """, database: db)
        let mover = Mover()
        mover.start(url: url)
        while mover.moves < 50, mover.error == nil { Thread.sleep(forTimeInterval: 0.01) }
        let movesBefore = mover.moves
        // Transfers must run while the dump does, whatever the machine's load: the dump, its snapshot taken, waits
        // for its lock on acct_filler, which another session holds until the mover has made 20 more transfers.
        let locked = DispatchSemaphore(value: 0)
        let gate = Thread {
            guard let holder = try? Connection(url), (try? holder.execute("BEGIN; LOCK TABLE acct_filler IN ACCESS EXCLUSIVE MODE")) != nil else {
                locked.signal()  // no gate: the dump goes ahead and the check below says transfers did not overlap it
                return
            }
            locked.signal()
            let deadline = Date().addingTimeInterval(120)  // only a backstop
            func waiting() -> Bool {
                (try? PostgresTestServer.psql("SELECT count(*) FROM pg_locks WHERE relation = 'acct_filler'::regclass AND NOT granted",
                                              database: db)) == "1"
            }
            while !waiting(), Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            let whileWaiting = mover.moves
            while mover.moves < whileWaiting + 20, mover.error == nil, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            _ = try? holder.execute("ROLLBACK")
        }
        nonisolated(unsafe) let unsafeGate = gate
        unsafeGate.start()
        locked.wait()
        let (sink, _) = try DumpFixture.dump(db, options: DumpOptions(lockTimeout: "0"))
        let movesAfter = mover.moves
        while unsafeGate.isExecuting { Thread.sleep(forTimeInterval: 0.01) }
        mover.stop()
        #expect(mover.error == nil)
        #expect(movesAfter > movesBefore, "transfers must run while the dump does, or the test proves nothing")

        let dir = try TempDir("consist")
        try sink.data.write(to: dir.file("dump.sql"))
        let target = try PostgresTestServer.freshDatabase("consistdst")
        try DumpFixture.psqlFile(dir.file("dump.sql"), database: target)
        let total = try PostgresTestServer.psql("SELECT (SELECT sum(amount) FROM acct_a) + (SELECT sum(amount) FROM acct_b)", database: target)
        #expect(total == "1000000000")
        let moved = try PostgresTestServer.psql("SELECT sum(amount)::bigint / 7 FROM acct_b", database: target)
        #expect(Int(moved) ?? -1 >= movesBefore)
    }

    @Test func lockedTableFailsClearlyAfterTheLockTimeout() throws {
        let db = try PostgresTestServer.freshDatabase("locked")
        let url = try PostgresTestServer.url(database: db)
        try PostgresTestServer.psql("CREATE TABLE free_table (id int); CREATE TABLE \"Busy Table\" (id int)", database: db)
        let holder = try Connection(url)
        try holder.execute("BEGIN")
        try holder.execute("LOCK TABLE \"Busy Table\" IN ACCESS EXCLUSIVE MODE")

        let connection = try Connection(url)
        let sink = MemorySink()
        let started = Date()
        let error = try #require(throws: PostgresError.self) {
            try PostgresDumper(connection: connection, options: DumpOptions(lockTimeout: "1s")).dump(to: sink)
        }
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(error.kind == .lockTimeout)
        #expect(error.sqlState == "55P03")
        #expect(error.context.contains("public.\"Busy Table\""))
        #expect(error.hint?.contains("lock") == true)
        #expect(!error.description.contains(try testPassword()))
        #expect(!sink.text.contains(dumpCompletionMarker))
        // Nothing is left behind: the dump's transaction is gone and the connection is reusable.
        #expect(try connection.execute("SELECT 1 AS one").rows[0].int("one") == 1)
        #expect(try connection.execute("SHOW transaction_isolation").rows[0].string("transaction_isolation") == "read committed")
        // The dump's settings were local to its transaction.
        #expect(try connection.execute("SHOW lock_timeout").rows[0].string("lock_timeout") == "0")
        #expect(try connection.execute("SHOW search_path").rows[0].string("search_path") != "\"\"")
        try holder.execute("ROLLBACK")
    }

    @Test func terminatedBackendMidDumpFails() throws {
        let db = try PostgresTestServer.freshDatabase("killed")
        let url = try PostgresTestServer.url(database: db)
        try PostgresTestServer.psql("CREATE TABLE big AS SELECT g AS id, repeat('z', 300) AS pad FROM generate_series(1, 100000) g", database: db)
        let connection = try Connection(url)
        let pid = try connection.execute("SELECT pg_backend_pid() AS pid").rows[0].int("pid")
        let killer = try Connection(url)
        var killed = false
        let sink = CountingSink()
        let error = try #require(throws: PostgresError.self) {
            try PostgresDumper(connection: connection).dump(to: sink) { bytes in
                // Once the COPY is streaming, terminate the dump's backend as a server restart would.
                if !killed, bytes > 1_000_000 {
                    killed = true
                    _ = try? killer.query("SELECT pg_terminate_backend($1)", [String(pid)])
                }
            }
        }
        #expect(killed)
        #expect(error.kind == .connectionLost)
        #expect(error.context.contains("copying table public.big"))
        #expect(!error.description.contains(try testPassword()))
        #expect(!String(decoding: sink.tail, as: UTF8.self).contains(dumpCompletionMarker))
    }

    @Test func largeTableStreamsInBoundedWrites() throws {
        let db = try PostgresTestServer.freshDatabase("large")
        // About 60 MB of rows; no single write may approach that, so the dump never holds the table.
        try PostgresTestServer.psql("CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 20) AS pad FROM generate_series(1, 90000) g",
                                    database: db)
        let connection = try Connection(try PostgresTestServer.url(database: db))
        let sink = CountingSink()
        var progressCalls: [UInt64] = []
        let summary = try PostgresDumper(connection: connection).dump(to: sink) { progressCalls.append($0) }
        #expect(summary.tables["public.big"] == 90000)
        #expect(sink.bytes > 50_000_000)
        #expect(sink.largestWrite < 1_000_000)
        #expect(progressCalls.count > 50)
        #expect(progressCalls == progressCalls.sorted())
        #expect(progressCalls.last == UInt64(sink.bytes))
        #expect(summary.bytes == UInt64(sink.bytes))
    }
}

/// The password in the test server's URL, to prove it never leaks.
func testPassword() throws -> String {
    let options = try #require(ConnectionInfo.parse(try PostgresTestServer.adminURL()))
    return try #require(options["password"])
}

@Suite("Unsupported objects")
struct UnsupportedObjectTests {
    /// A column privilege granted on a pg_catalog table, which pg_dump writes (relative to pg_init_privs) and this dump
    /// does not carry: a real object of a kind the dumper does not handle, made by hand.
    @Test func unsupportedObjectsFailTheDumpUnlessAllowed() throws {
        let db = try PostgresTestServer.freshDatabase("unsup")
        try PostgresTestServer.psql("""
            GRANT SELECT (stanullfrac) ON pg_catalog.pg_statistic TO PUBLIC;
            CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);
            """, database: db)
        let error = try #require(throws: PostgresError.self) { try DumpFixture.dump(db) }
        #expect(error.kind == .usage)
        #expect(error.message.contains("privileges on column pg_catalog.pg_statistic.stanullfrac"))
        #expect(error.hint?.contains("--allow-incomplete") == true)
        #expect(error.hint?.contains("DumpOptions") == false)

        let (sink, summary) = try DumpFixture.dump(db, options: DumpOptions(skipUnsupportedObjects: true))
        #expect(summary.skipped == ["privileges on column pg_catalog.pg_statistic.stanullfrac"])
        #expect(sink.text.contains("-- WARNING: not dumped (unsupported object kind): privileges on column pg_catalog.pg_statistic.stanullfrac"))
        #expect(summary.tables["public.t"] == 1)
        #expect(sink.text.hasSuffix("\(dumpCompletionMarker)\n"))
    }

    @Test func optionsLeaveOutOwnersPrivilegesAndData() throws {
        let source = try DumpFixture.loadedDatabase()
        let (sink, summary) = try DumpFixture.dump(source, options: DumpOptions(includeOwners: false, includePrivileges: false, includeData: false))
        #expect(!sink.text.contains(" OWNER TO "))
        #expect(!sink.text.contains("GRANT "))
        #expect(!sink.text.contains(" FROM stdin;"))
        #expect(!sink.text.contains("REFRESH MATERIALIZED VIEW"))
        #expect(summary.tables.isEmpty)
        // Still a complete, restorable schema.
        let dir = try TempDir("schemaonly")
        try sink.data.write(to: dir.file("schema.sql"))
        let target = try PostgresTestServer.freshDatabase("schemaonly")
        try DumpFixture.psqlFile(dir.file("schema.sql"), database: target)
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM app.customers", database: target) == "0")
    }
}

@Suite("Caller state")
struct CallerStateTests {
    @Test func refusesAConnectionInsideATransaction() throws {
        let db = try PostgresTestServer.freshDatabase("intx")
        let connection = try Connection(try PostgresTestServer.url(database: db))
        try connection.execute("BEGIN")
        let error = try #require(throws: PostgresError.self) { try PostgresDumper(connection: connection).dump(to: MemorySink()) }
        #expect(error.kind == .usage)
        #expect(error.message.contains("inside a transaction"))
        try connection.execute("ROLLBACK")
        #expect(!connection.isInTransaction)
        #expect(try PostgresDumper(connection: connection).dump(to: MemorySink()).tables.isEmpty)
    }
}
