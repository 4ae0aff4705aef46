import Foundation
import Testing
import TestSupport

/// Holds an exclusive `flock` on `path` from another process until `stop()`.
final class ForeignLockHolder {
    let process = Process()

    init(path: String) throws {
        // One process (no child), so killing it releases the lock at once; it holds the lock until then (an hour
        // is only a backstop), not for a time that a stalled machine could outlast.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(3600)",
                             path]
        try process.run()
        // Wait until the lock is really taken: a non-blocking attempt fails once it is (120 s is only a backstop).
        let deadline = Date().addingTimeInterval(120)
        while try runProcess("/usr/bin/flock", ["-n", "-x", path, "true"]).status == 0 {
            guard Date() < deadline else { throw TestSupportError("flock never took \(path)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { if process.isRunning { stop() } }
}

/// A config backing up `mms.db` into `backups`, with a webhook and a metrics file under `metrics/`.
private func alertingConfig(_ dir: TempDir, webhook: String) throws -> URL {
    try writeConfig(dir, """
        backup_dir: backups
        sources:
          - name: mms
            sqlite: mms.db
        notify:
          webhook: \(webhook)
        metrics:
          textfile: metrics/vaultops.prom
        """)
}

@Suite("run reports every failure to the webhook and the metrics (CLI)", .serialized)
struct RunAlertTests {
    @Test("a backup_dir that cannot be used (a file in its place): exit 1, webhook and metrics (folder created) all say so")
    func unusableBackupDir() throws {
        let dir = try TempDir("run-alert-dir")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        // As root, permissions do not stop writes: a file where the folder should be does.
        try Data("not a folder".utf8).write(to: dir.file("backups"))
        let listener = try WebhookListener()
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
            notify:
              webhook: \(listener.url)
            metrics:
              textfile: metrics/deeper/vaultops.prom
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let bodies = try listener.bodies()
        try #require(bodies.count == 1, "\(r.stderr)")
        #expect(bodies[0].contains("\"status\":\"failure\""))
        #expect(bodies[0].contains("backups"), "the message names the folder: \(bodies[0])")
        #expect(!bodies[0].contains("s3cr3t-robot-token"))
        let metrics = try String(contentsOf: dir.file("metrics/deeper/vaultops.prom"), encoding: .utf8)
        #expect(metrics.contains("vaultops_run_exit_code 1\n"), "\(metrics)")
        #expect(metrics.contains("vaultops_source_last_run_success{source=\"mms\"} 0\n"))
    }

    // The hostile test's case: a full backup disk. A small tmpfs filled to the last byte stands in for it
    // (mounting needs root, as CI runs; the test says so instead of passing quietly when it cannot).
    @Test("a full backup disk (ENOSPC): exit 1, the webhook and the metrics (on another disk) say so")
    func fullBackupDisk() throws {
        let dir = try TempDir("run-alert-full")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        let backups = dir.file("backups")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let quoted = "'" + backups.path + "'"
        let mount = try shell("mount -t tmpfs -o size=64k,mode=0700 tmpfs \(quoted)")
        try #require(mount.status == 0, "mounting a tmpfs needs root (CI runs as root): \(mount.stderr)")
        defer { _ = try? shell("umount \(quoted)") }
        try shell("dd if=/dev/zero of=\(quoted)/filler bs=4k 2>/dev/null; true")
        let listener = try WebhookListener()
        let config = try alertingConfig(dir, webhook: listener.url)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let bodies = try listener.bodies()
        try #require(bodies.count == 1, "\(r.stderr)")
        #expect(bodies[0].contains("\"status\":\"failure\""), "\(bodies[0])")
        #expect(bodies[0].contains("full"), "the message says the disk is full: \(bodies[0])")
        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        #expect(metrics.contains("vaultops_run_exit_code 1\n"), "\(metrics)")
        #expect(metrics.contains("vaultops_source_last_run_success{source=\"mms\"} 0\n"), "\(metrics)")
        // Nothing half-written looks like a backup.
        let left = try FileManager.default.contentsOfDirectory(atPath: backups.path).filter { $0 != "filler" }
        #expect(left.allSatisfy { !$0.hasSuffix(".gz") }, "\(left)")
    }

    @Test("a lock held longer than the source timeout: exit 4, webhook and metrics name the holder's pid")
    func lockHeldTooLong() throws {
        let dir = try TempDir("run-alert-lock")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let lock = dir.file("backups/.vaultops.lock").path
        let started = Date().addingTimeInterval(-7 * 3600)
        let stamp = ISO8601DateFormatter().string(from: started)
        try Data("pid: 424242\ncommand: vaultops run --config /etc/vaultops/vaultops.yml\nstarted: \(stamp)\n".utf8)
            .write(to: URL(fileURLWithPath: lock))
        let holder = try ForeignLockHolder(path: lock)
        defer { holder.stop() }
        let listener = try WebhookListener()
        let config = try alertingConfig(dir, webhook: listener.url)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 4, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("pid 424242"))
        let bodies = try listener.bodies()
        try #require(bodies.count == 1, "\(r.stderr)")
        #expect(bodies[0].contains("pid 424242"), "\(bodies[0])")
        #expect(bodies[0].contains("\"exit_code\":4"))
        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        #expect(metrics.contains("vaultops_run_exit_code 4\n"), "\(metrics)")
        #expect(metrics.contains("vaultops_run_lock_held_seconds"), "\(metrics)")
    }

    @Test("a lock held briefly (another run in progress): exit 4 without an alert")
    func lockHeldBriefly() throws {
        let dir = try TempDir("run-alert-lock-brief")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let lock = dir.file("backups/.vaultops.lock").path
        let stamp = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
        try Data("pid: 424243\ncommand: vaultops run\nstarted: \(stamp)\n".utf8).write(to: URL(fileURLWithPath: lock))
        let holder = try ForeignLockHolder(path: lock)
        defer { holder.stop() }
        let listener = try WebhookListener()
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
            notify:
              webhook: \(listener.url)
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 4, "\(r.stdout)\(r.stderr)")
        #expect(try listener.bodies().isEmpty)
    }

    @Test("a password with a raw @ never shows its tail as a host: not in output, status file (0600) or webhook")
    func rawAtInPassword() throws {
        let dir = try TempDir("run-alert-at")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let listener = try WebhookListener()
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: ${DB_URL}
              - name: mms
                sqlite: mms.db
            notify:
              webhook: \(listener.url)
            """)
        let r = try vaultops(["run", "--config", config.path],
                             environment: ["DB_URL": "postgresql://app:hunter2@tailpart@127.0.0.1:1/app"])
        #expect(r.status == 5, "\(r.stdout)\(r.stderr)")
        let status = dir.file("backups/.vaultops-status.json")
        let statusText = try String(contentsOf: status, encoding: .utf8)
        let bodies = try listener.bodies().joined()
        for text in [r.stdout, r.stderr, statusText, bodies] {
            #expect(!text.contains("tailpart"), "\(text)")
            #expect(!text.contains("hunter2"), "\(text)")
        }
        #expect(statusText.contains("%40"), "the error says how to write the @: \(statusText)")
        #expect(try mode(of: status) == 0o600)
    }

    @Test("--dry-run checks what it can without writing: a missing SQLite file, a wrong password, a bad webhook URL")
    func dryRunChecks() throws {
        let dir = try TempDir("run-dry-checks")
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let (badURL, realPassword) = try wrongPasswordURL(try PostgresTestServer.adminURL())
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: ${DB_URL}
              - name: mms
                sqlite: missing.db
            notify:
              webhook: "ftp://hooks.example/secret-hook-token"
            """)
        let r = try vaultops(["run", "--config", config.path, "--dry-run"], environment: ["DB_URL": badURL])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("FAILED  db"), "\(r.stdout)")
        #expect(r.stdout.contains("password authentication failed"))
        #expect(r.stdout.contains("FAILED  mms"))
        #expect(r.stdout.contains("missing.db does not exist"))
        #expect(r.stdout.contains("notify.webhook must start with http:// or https://"))
        #expect(!r.stdout.contains("planned"))
        for secret in [realPassword, "not-the-password", "secret-hook-token"] {
            #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("backups").path).isEmpty)
    }

    @Test("a server that accepts and never answers: the source fails at its timeout, not after libpq's 30 s")
    func stalledServerConnect() throws {
        let dir = try TempDir("run-stall-connect")
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        // Accepts every connection and never sends a byte.
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = ["python3", "-c", """
            import socket, sys, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
            open(sys.argv[1], "w").write(str(s.getsockname()[1]))
            held = []
            while True:
                c, _ = s.accept(); held.append(c)
            """, dir.file("port").path]
        try listener.run()
        defer { kill(listener.processIdentifier, SIGKILL); listener.waitUntilExit() }
        var port = ""
        for _ in 0..<2_400 where port.isEmpty {  // 120 s, only a backstop
            port = (try? String(contentsOf: dir.file("port"), encoding: .utf8)) ?? ""
            usleep(50_000)
        }
        try #require(!port.isEmpty)
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: postgresql://app:pw@127.0.0.1:\(port)/db
                timeout: 3s
            """)
        let started = Date()
        let r = try vaultops(["run", "--config", config.path])
        let elapsed = Date().timeIntervalSince(started)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(elapsed < 20, "took \(elapsed) s")
        #expect(r.stdout.contains("timeout of 3s"), "\(r.stdout)")
    }

    @Test("a query that waits on a lock forever is cancelled at the source's timeout")
    func stalledQuery() throws {
        let dir = try TempDir("run-stall-query")
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let dbURL = try makeNightlyDatabase()
        // Another session holds an ACCESS EXCLUSIVE lock on the table the dump must read, until the test ends.
        let holder = try PostgresLockHolder(url: dbURL, sql: "LOCK TABLE work_orders IN ACCESS EXCLUSIVE MODE;",
                                            admin: { try PostgresTestServer.psql($0) })
        defer { holder.release() }
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: ${DB_URL}
                timeout: 3s
            """)
        let started = Date()
        let r = try vaultops(["run", "--config", config.path], environment: ["DB_URL": dbURL])
        let elapsed = Date().timeIntervalSince(started)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(elapsed < 20, "took \(elapsed) s")
        #expect(r.stdout.contains("timeout of 3s"), "\(r.stdout)")
        #expect(try artifacts(in: dir.file("backups")).isEmpty)
    }
}
