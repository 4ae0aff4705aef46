import Foundation
import LibPQ
import Redaction
import Testing
import TestSupport

/// Opens a connection to a fresh database on the test server.
func freshConnection(logger: LogCapture? = nil) throws -> (Connection, String) {
    let db = try PostgresTestServer.freshDatabase("libpq")
    let url = try PostgresTestServer.url(database: db)
    if let logger { return (try Connection(url, logger: logger.logger), db) }
    return (try Connection(url), db)
}

/// The password in the test server's URL, to prove it never leaks.
func testPassword() throws -> String {
    let options = try #require(ConnectionInfo.parse(try PostgresTestServer.adminURL()))
    return try #require(options["password"])
}

@Suite("Connecting")
struct ConnectingTests {
    @Test func connectsWithURIAndReportsVersion() throws {
        let (connection, _) = try freshConnection()
        #expect(connection.isOpen)
        #expect(connection.serverVersionNumber >= 130000)
        #expect(connection.serverVersion.first?.isNumber == true)
        #expect(!connection.redactedTarget.contains(try testPassword()))
    }

    @Test func connectsWithKeywordStringAndPgpassFile() throws {
        let options = try #require(ConnectionInfo.parse(try PostgresTestServer.adminURL()))
        let dir = try TempDir("pgpass")
        let passfile = dir.file("pgpass")
        let host = try #require(options["host"]), port = try #require(options["port"])
        let user = try #require(options["user"]), password = try #require(options["password"])
        try "\(host):\(port):*:\(user):\(password)\n".write(to: passfile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passfile.path)
        // No password in the string: libpq must find it in the password file, as psql would.
        let connection = try Connection("host=\(host) port=\(port) user=\(user) dbname=postgres passfile=\(passfile.path)")
        let result = try connection.execute("SELECT current_user AS u")
        #expect(try result.rows[0].string("u") == user)
    }

    @Test func wrongPasswordFailsWithoutShowingThePassword() throws {
        let options = try #require(ConnectionInfo.parse(try PostgresTestServer.adminURL()))
        let secret = "Wr0ng-Secret-\(UUID().uuidString.prefix(6))"
        let url = "postgresql://\(options["user"]!):\(secret)@\(options["host"]!):\(options["port"]!)/postgres"
        let error = try #require(throws: PostgresError.self) { try Connection(url) }
        #expect(error.kind == .connection)
        #expect(error.message.contains("password authentication failed"))
        #expect(!error.description.contains(secret))
        #expect(!"\(error)".contains(secret))
        #expect(error.description.contains("dbname=postgres"))
    }

    @Test func missingDatabaseFails() throws {
        let url = try PostgresTestServer.url(database: "no_such_db_\(UUID().uuidString.prefix(6).lowercased())")
        let error = try #require(throws: PostgresError.self) { try Connection(url) }
        #expect(error.kind == .connection)
        #expect(error.message.contains("does not exist"))
        #expect(!error.description.contains(try testPassword()))
    }

    @Test func unreachableServerFails() throws {
        // Port 1 on loopback: nothing listens there, so the connect is refused at once.
        let error = try #require(throws: PostgresError.self) {
            try Connection("postgresql://someone:Secret123@127.0.0.1:1/db?connect_timeout=3")
        }
        #expect(error.kind == .connection)
        #expect(error.message.contains("127.0.0.1"))
        #expect(!error.description.contains("Secret123"))
    }

    @Test(arguments: ["postgresql://app:hunter2@tailpart@127.0.0.1:1/db", "postgresql://app@x:hunter2@tailpart@127.0.0.1:1/db",
                      "postgres://app:hunter2@tailpart@127.0.0.1:1?connect_timeout=2"])
    func rawAtInPasswordIsRefusedWithoutShowingIt(url: String) throws {
        let error = try #require(throws: PostgresError.self) { try Connection(url) }
        #expect(error.kind == .usage)
        #expect(error.message.contains("%40"))
        for fragment in ["tailpart", "hunter2"] {
            #expect(!error.description.contains(fragment), "\(error.description)")
        }
        #expect(!ConnectionInfo.redacted(url).contains("tailpart"))
        #expect(ConnectionInfo.rawAtProblem("postgresql://app:p%40ss@127.0.0.1/db@x") == nil)
    }

    @Test func malformedConnectionStringIsNotEchoed() throws {
        let error = try #require(throws: PostgresError.self) { try Connection("host=x password=Hunter2Secret bogus") }
        #expect(error.kind == .connection)
        #expect(!error.description.contains("Hunter2Secret"))
    }
}

@Suite("Queries")
struct QueryTests {
    @Test func typedResults() throws {
        let (c, _) = try freshConnection()
        let r = try c.execute("SELECT 42::int AS i, 9000000000::bigint AS b, true AS t, NULL::text AS n, 'x y'::text AS s, ARRAY['a', NULL, 'b,c', 'q\"t']::text[] AS arr")
        #expect(r.rowCount == 1 && r.columnCount == 6)
        #expect(r.columnNames == ["i", "b", "t", "n", "s", "arr"])
        let row = r.rows[0]
        #expect(try row.int("i") == 42)
        #expect(try row.int64("b") == 9_000_000_000)
        #expect(try row.bool("t"))
        #expect(try row.optionalString("n") == nil)
        #expect(try row.string("s") == "x y")
        #expect(try row.stringArray("arr") == ["a", nil, "b,c", "q\"t"])
        #expect(throws: PostgresError.self) { try row.string("n") }
        #expect(throws: PostgresError.self) { try row.int("s") }
        #expect(throws: PostgresError.self) { try row.string("missing") }
    }

    @Test func parametersAreNeverInterpolated() throws {
        let (c, _) = try freshConnection()
        try c.execute("CREATE TABLE t (id int, v text)")
        let evil = "'); DROP TABLE t; --"
        try c.query("INSERT INTO t VALUES ($1, $2), ($3, $4)", ["1", evil, "2", nil])
        let r = try c.query("SELECT v FROM t WHERE id = $1", ["1"])
        #expect(try r.rows[0].string("v") == evil)
        let n = try c.query("SELECT count(*) AS n FROM t WHERE v IS NULL", [])
        #expect(try n.rows[0].int("n") == 1)
        let inserted = try c.query("INSERT INTO t VALUES ($1, $2)", ["3", "x"])
        #expect(inserted.affectedRows == 1)
    }

    @Test func errorsCarrySQLStateDetailAndHint() throws {
        let (c, _) = try freshConnection()
        let error = try #require(throws: PostgresError.self) {
            try c.execute("DO $$ BEGIN RAISE EXCEPTION 'boom here' USING DETAIL = 'the detail', HINT = 'the hint', ERRCODE = '22012'; END $$")
        }
        #expect(error.kind == .query)
        #expect(error.sqlState == "22012")
        #expect(error.message == "boom here")
        #expect(error.detail == "the detail")
        #expect(error.hint == "the hint")
        #expect(error.description.contains("[22012]"))
        #expect(!error.description.contains(try testPassword()))
        // The connection stays usable after a statement error.
        #expect(try c.execute("SELECT 1 AS one").rows[0].int("one") == 1)
        let syntax = try #require(throws: PostgresError.self) { try c.execute("SELEC 1") }
        #expect(syntax.sqlState == "42601")
    }

    @Test func noticesGoToTheLogger() throws {
        let capture = LogCapture()
        let (c, _) = try freshConnection(logger: capture)
        try c.execute("DO $$ BEGIN RAISE WARNING 'careful now'; RAISE NOTICE 'just so you know'; END $$")
        let messages = capture.messages
        #expect(messages.contains { $0.0 == .warning && $0.1.contains("careful now") })
        #expect(messages.contains { $0.0 == .notice && $0.1.contains("just so you know") })
    }

    @Test func cancelStopsARunningStatement() throws {
        let (c, _) = try freshConnection()
        let token = try c.cancelToken()
        let pid = try c.execute("SELECT pg_backend_pid() AS pid").rows[0].int("pid")
        // The cancel is sent once the server shows the statement running (a cancel that arrives before it does is
        // lost, and a fixed head start can be too short on a loaded machine); it runs until cancelled, and the
        // 120 s bound is only a backstop.
        let thread = Thread {
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, (try? PostgresTestServer.psql("""
                SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid) AND state = 'active' AND query LIKE 'SELECT pg_sleep%'
                """)) != "1" {
                Thread.sleep(forTimeInterval: 0.05)
            }
            token.cancel()
        }
        thread.start()
        let error = try #require(throws: PostgresError.self) { try c.execute("SELECT pg_sleep(600)") }
        #expect(error.kind == .cancelled)
        #expect(error.sqlState == "57014")
        #expect(try c.execute("SELECT 1 AS one").rows[0].int("one") == 1)
    }

    @Test func terminatedBackendIsReportedAsConnectionLost() throws {
        let (c, db) = try freshConnection()
        let pid = try c.execute("SELECT pg_backend_pid() AS pid").rows[0].int("pid")
        try PostgresTestServer.psql("SELECT pg_terminate_backend(\(pid))", database: db)
        let error = try #require(throws: PostgresError.self) { try c.execute("SELECT 1") }
        #expect(error.kind == .connectionLost)
        #expect(!c.isOpen)
    }
}

@Suite("COPY")
struct CopyTests {
    @Test func copyOutStreamsRows() throws {
        let (c, _) = try freshConnection()
        try c.execute("CREATE TABLE t AS SELECT g AS id, 'row ' || g AS v FROM generate_series(1, 1000) g")
        var data = Data()
        var chunks = 0
        let rows = try c.copyOut("COPY t TO STDOUT") { chunk in
            data.append(contentsOf: chunk)
            chunks += 1
        }
        #expect(rows == 1000)
        #expect(chunks == 1000)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.first == "1\trow 1")
        #expect(lines.last == "1000\trow 1000")
    }

    @Test func copyOutClosureErrorLeavesConnectionUsable() throws {
        struct Stop: Error {}
        let (c, _) = try freshConnection()
        try c.execute("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 100000) g")
        var seen = 0
        #expect(throws: Stop.self) {
            try c.copyOut("COPY t TO STDOUT") { _ in
                seen += 1
                if seen == 10 { throw Stop() }
            }
        }
        #expect(seen >= 10)
        #expect(try c.execute("SELECT count(*) AS n FROM t").rows[0].int("n") == 100000)
    }

    @Test func copyInLoadsData() throws {
        let (c, _) = try freshConnection()
        try c.execute("CREATE TABLE t (id int, v text)")
        let rows = try c.copyIn("COPY t FROM STDIN") { writer in
            try writer.write("1\tone\n2\t")
            try writer.write("two\n3\t\\N\n")
        }
        #expect(rows == 3)
        let r = try c.execute("SELECT id, v FROM t ORDER BY id")
        #expect(r.rowCount == 3)
        #expect(r[1, 1] == "two")
        #expect(r[2, 1] == nil)
    }

    @Test func copyInThatThrowsCommitsNothing() throws {
        struct Broken: Error {}
        let (c, _) = try freshConnection()
        try c.execute("CREATE TABLE t (id int)")
        #expect(throws: Broken.self) {
            try c.copyIn("COPY t FROM STDIN") { writer in
                for i in 0..<1000 { try writer.write("\(i)\n") }
                throw Broken()
            }
        }
        #expect(try c.execute("SELECT count(*) AS n FROM t").rows[0].int("n") == 0)
    }

    @Test func copyInBadDataReportsTheServerError() throws {
        let (c, _) = try freshConnection()
        try c.execute("CREATE TABLE t (id int)")
        let error = try #require(throws: PostgresError.self) {
            try c.copyIn("COPY t FROM STDIN") { writer in try writer.write("1\nnot-a-number\n") }
        }
        #expect(error.sqlState == "22P02")
        #expect(try c.execute("SELECT count(*) AS n FROM t").rows[0].int("n") == 0)
    }

    @Test func executeRefusesACopyStatement() throws {
        let (c, _) = try freshConnection()
        try c.execute("CREATE TABLE t (id int)")
        #expect(throws: PostgresError.self) { try c.execute("COPY t FROM STDIN") }
        #expect(throws: PostgresError.self) { try c.execute("COPY t TO STDOUT") }
        #expect(try c.execute("SELECT 1 AS one").rows[0].int("one") == 1)
    }
}

@Suite("Pure helpers")
struct PureHelperTests {
    @Test(arguments: [
        ("postgresql://bob:s3cret@db.example:5433/app", "host=db.example port=5433 dbname=app user=bob"),
        ("host=h dbname=d user=u password=s3cret", "host=h dbname=d user=u"),
        ("postgres://bob:s3cret@h/d?sslmode=require", "host=h dbname=d user=bob"),
        ("postgresql:///app?password=s3cret", "dbname=app"),
        ("", "default connection (libpq environment)"),
        ("host=h password='s3cret", "connection string (unparseable, not shown)"),
    ])
    func redaction(input: String, expected: String) {
        let redacted = ConnectionInfo.redacted(input)
        #expect(redacted == expected)
        #expect(!redacted.contains("s3cret"))
    }

    @Test(arguments: [
        ("{}", [String?]()),
        ("{a,b}", ["a", "b"]),
        ("{\"a b\",NULL,\"NULL\"}", ["a b", nil, "NULL"]),
        ("{\"x\\\\y\",\"q\\\"\"}", ["x\\y", "q\""]),
    ] as [(String, [String?])])
    func arrayLiterals(input: String, expected: [String?]) {
        #expect(ArrayLiteral.parse(input) == expected)
    }

    @Test func badArrayLiteralsAreRejected() {
        #expect(ArrayLiteral.parse("a,b") == nil)
        #expect(ArrayLiteral.parse("{\"open}") == nil)
    }
}

@Suite("Connect timeout")
struct ConnectTimeoutTests {
    @Test func silentServerTimesOutWithTheStringsOwnTimeout() throws {
        // A listener that accepts connections and never answers, like a firewalled or hung server.
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        listener.arguments = ["-c", """
            import socket, sys, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
            print(s.getsockname()[1], flush=True)
            conns = []
            deadline = time.time() + 15  # bounded: it stops by itself
            s.settimeout(1)
            while time.time() < deadline:
                try:
                    conns.append(s.accept()[0])
                except socket.timeout:
                    pass
            """]
        let pipe = Pipe()
        listener.standardOutput = pipe
        try listener.run()
        defer {
            kill(listener.processIdentifier, SIGKILL)
            listener.waitUntilExit()
        }
        let line = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)))

        let started = Date()
        let error = try #require(throws: PostgresError.self) {
            try Connection("postgresql://u:TimeoutSecret@127.0.0.1:\(port)/db?connect_timeout=2&sslmode=disable")
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(error.kind == .connection)
        #expect(!error.description.contains("TimeoutSecret"))
        // The string's 2 s applies, not the 30 s default (generous bound: this is behaviour, not speed).
        #expect(elapsed >= 1.5 && elapsed < 20)
    }
}

@Suite("Secrets stay with the caller")
struct ProcessWideSecretTests {
    /// Registering a password process-wide is the caller's job (it calls `Redacted.register(connection:)` before it
    /// connects); LibPQ only hides it in its own messages, which a failed connection proves.
    @Test func connectingHidesThePasswordWithoutRegisteringIt() throws {
        let secret = "Unregistered-\(UUID().uuidString.prefix(8))"
        let error = try #require(throws: PostgresError.self) {
            try Connection("postgresql://someone:\(secret)@127.0.0.1:1/db?connect_timeout=3")
        }
        #expect(!"\(error)".contains(secret))
        #expect(!Redacted.registeredSecrets.contains(secret))
    }
}

/// The kernel's view of a connection's socket: libpq applies keepalives and tcp_user_timeout as socket options.
@Suite("LibPQ: dead peers are noticed (socket options)")
struct SocketOptionTests {
    private func intOption(_ fd: Int32, _ level: Int32, _ name: Int32) throws -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        let status = getsockopt(fd, level, name, &value, &length)
        try #require(status == 0, "getsockopt(\(level), \(name)) failed: errno \(errno)")
        return value
    }

    @Test("a TCP connection has keepalives (idle 60 s, every 10 s, 6 probes) and tcp_user_timeout 120 s by default")
    func keepalivesAndUserTimeout() throws {
        let (connection, _) = try freshConnection()
        let fd = connection.socketDescriptor
        try #require(fd >= 0)
        #expect(try intOption(fd, SOL_SOCKET, SO_KEEPALIVE) == 1)
        #expect(try intOption(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE) == 60)
        #expect(try intOption(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL) == 10)
        #expect(try intOption(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT) == 6)
        #expect(try intOption(fd, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT) == Int32(Connection.tcpUserTimeoutMilliseconds))
    }

    @Test("the connection string's own keepalive settings win over the defaults")
    func connectionStringWins() throws {
        let db = try PostgresTestServer.freshDatabase("libpq")
        let url = try PostgresTestServer.url(database: db)
        let connection = try Connection(url + (url.contains("?") ? "&" : "?") + "keepalives_idle=300&tcp_user_timeout=5000")
        #expect(try intOption(connection.socketDescriptor, Int32(IPPROTO_TCP), TCP_KEEPIDLE) == 300)
        #expect(try intOption(connection.socketDescriptor, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT) == 5000)
    }
}
