import Foundation
import Testing
import TestSupport

/// Runs the real `sqlite3` CLI on `database`; fails on a non-zero exit.
@discardableResult
private func sqlite(_ database: URL, _ sql: String) throws -> String {
    let r = try runProcess("sqlite3", ["-batch", database.path], stdin: Data(sql.utf8))
    guard r.status == 0 else { throw TestSupportError("sqlite3 \(database.path) failed: \(r.stderr)") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

private func insert(_ range: ClosedRange<Int>, into database: URL) throws {
    try sqlite(database, range.map { "INSERT INTO t VALUES (\($0));" }.joined())
}

/// The replica's latest state as `count|max` of t, restored with the CLI into a fresh file ("" when it has none yet).
private func replicaRows(config: URL, in dir: TempDir) throws -> String {
    let file = dir.file("probe-\(UUID().uuidString.prefix(8)).db")
    defer { try? FileManager.default.removeItem(at: file) }
    let r = try vaultops(["restore", "app", "--replica", "--latest", "--yes", "--to", file.path, "--config", config.path])
    guard r.status == 0 else { return "" }
    return (try? sqlite(file, "SELECT count(*), max(n) FROM t;")) ?? ""
}

/// Waits until the replica's latest state is `rows` (`count|max`): what has shipped, not a time guessed to be
/// enough; 120 s is only a backstop for a stalled machine.
private func waitForReplica(_ rows: String, config: URL, in dir: TempDir) throws -> Bool {
    let deadline = Date().addingTimeInterval(120)
    while Date() < deadline {
        if try replicaRows(config: config, in: dir) == rows { return true }
        Thread.sleep(forTimeInterval: 0.2)
    }
    return false
}

@Suite("replicate (CLI)", .serialized)
struct ReplicateCommandTests {
    @Test("replicate runs until SIGTERM and exits 0; restore --replica --latest and --at TIME rebuild the database")
    func replicateAndRestore() throws {
        let dir = try TempDir("replicate-cli")
        let database = dir.file("app.db")
        try sqlite(database, "PRAGMA journal_mode=WAL; CREATE TABLE t(n INTEGER PRIMARY KEY);")
        try insert(1...5, into: database)
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let config = try writeConfig(dir, """
            backup_dir: \(dir.file("backups").path)
            sources:
              - name: app
                sqlite: \(database.path)
                replicate: { interval: 1s }
            """)
        let replicator = Process()
        replicator.executableURL = URL(fileURLWithPath: vaultopsExecutable)
        replicator.arguments = ["replicate", "--config", config.path]
        let stderr = Pipe()
        replicator.standardError = stderr
        try replicator.run()
        defer { if replicator.isRunning { kill(replicator.processIdentifier, SIGKILL) } }
        try #require(try waitForReplica("5|5", config: config, in: dir), "the replicator never shipped its first state")
        try insert(6...10, into: database)
        try #require(try waitForReplica("10|10", config: config, in: dir), "rows 6-10 never shipped")
        // --at takes whole seconds: a second after the pass that shipped rows 6-10 (at least: a stall only adds),
        // and rows 11-15 at least a second after that.
        Thread.sleep(forTimeInterval: 1.1)
        let middle = Date()
        Thread.sleep(forTimeInterval: 1.2)
        try insert(11...15, into: database)
        // Stopped right after the last commit: SIGTERM still ships it.
        replicator.terminate()
        replicator.waitUntilExit()
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(replicator.terminationStatus == 0, "\(log)")

        let latest = dir.file("latest.db")
        var r = try vaultops(["restore", "app", "--replica", "--latest", "--yes", "--to", latest.path, "--config", config.path])
        #expect(r.status == 0, "\(r.stderr)")
        let latestRows = try sqlite(latest, "PRAGMA integrity_check; SELECT count(*), max(n) FROM t;")
        #expect(latestRows == "ok\n15|15", "\(r.stdout) \(log)")

        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let earlier = dir.file("earlier.db")
        r = try vaultops(["restore", "app", "--at", formatter.string(from: middle), "--yes", "--to", earlier.path, "--config", config.path])
        #expect(r.status == 0, "\(r.stderr)")
        let earlierRows = try sqlite(earlier, "SELECT count(*), max(n) FROM t;")
        #expect(earlierRows == "10|10", "\(r.stdout)")
    }

    @Test("kill -9 of the replicator at random moments, restarted each time: --latest still gives the last commit")
    func killedAndRestarted() throws {
        let dir = try TempDir("replicate-cli")
        let database = dir.file("app.db")
        try sqlite(database, "PRAGMA journal_mode=WAL; CREATE TABLE t(n INTEGER PRIMARY KEY, pad TEXT);")
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let config = try writeConfig(dir, """
            backup_dir: \(dir.file("backups").path)
            sources:
              - name: app
                sqlite: \(database.path)
                replicate: { interval: 1s }
            """)
        func start() throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: vaultopsExecutable)
            p.arguments = ["replicate", "--config", config.path]
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        // The app: commits for 7 s at ~200/s, then prints how many.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = ["python3", "-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
            n, end = 0, time.time() + 7
            while time.time() < end:
                n += 1
                c.execute("BEGIN IMMEDIATE"); c.execute("INSERT INTO t VALUES (?, ?)", (n, "p" * 200)); c.execute("COMMIT")
                time.sleep(0.004)
            print(n)
            """, database.path]
        let output = Pipe()
        writer.standardOutput = output
        try writer.run()
        var replicator = try start()
        for _ in 0..<4 {
            Thread.sleep(forTimeInterval: Double.random(in: 0.8...1.6))
            kill(replicator.processIdentifier, SIGKILL)
            replicator.waitUntilExit()
            replicator = try start()
        }
        writer.waitUntilExit()
        let last = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // The last restart is up and has caught up (a SIGTERM before it set up its handlers would kill it).
        #expect(try waitForReplica("\(last)|\(last)", config: config, in: dir), "the restarted replicator never caught up")
        replicator.terminate()
        replicator.waitUntilExit()
        #expect(replicator.terminationStatus == 0)
        let latest = dir.file("latest.db")
        let r = try vaultops(["restore", "app", "--replica", "--latest", "--yes", "--to", latest.path, "--config", config.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try sqlite(latest, "PRAGMA integrity_check; SELECT count(*) = max(n), max(n) FROM t;") == "ok\n1|\(last)")
    }

    @Test("a database not in WAL mode is refused with its path")
    func refusesRollbackJournal() throws {
        let dir = try TempDir("replicate-cli")
        let database = dir.file("app.db")
        try sqlite(database, "CREATE TABLE t(n INTEGER PRIMARY KEY);")
        let config = try writeConfig(dir, """
            backup_dir: \(dir.path)
            sources:
              - name: app
                sqlite: \(database.path)
                replicate: true
            """)
        let r = try vaultops(["replicate", "--config", config.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains(database.path) && r.stderr.contains("WAL"), "\(r.stderr)")
    }
}
