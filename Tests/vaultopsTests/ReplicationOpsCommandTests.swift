import Foundation
import Replication
import Storage
import Testing
import TestSupport

/// Runs the real `sqlite3` CLI on `database`; fails on a non-zero exit.
@discardableResult
private func sqlite(_ database: URL, _ sql: String) throws -> String {
    let r = try runProcess("sqlite3", ["-batch", database.path], stdin: Data(sql.utf8))
    guard r.status == 0 else { throw TestSupportError("sqlite3 \(database.path) failed: \(r.stderr)") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Waits (generously: a loaded machine) until `condition` holds; false when it never did.
private func eventually(_ seconds: Double = 90, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.2)
    }
    return condition()
}

@Suite("replication: status, run, verify, prune, backups (CLI)", .serialized)
struct ReplicationOpsCommandTests {
    /// One replicator runs; a second is refused naming its pid; status and the metrics show it running; the nightly
    /// run backs up the same database beside it (its snapshot does not disturb it); once it stopped, status and run
    /// say so.
    @Test func aRunningReplicatorSeenByStatusMetricsAndRun() throws {
        let dir = try TempDir("repl-ops")
        let database = dir.file("app.db")
        try sqlite(database, "PRAGMA journal_mode=WAL; CREATE TABLE t(n INTEGER PRIMARY KEY);")
        try sqlite(database, (1...20).map { "INSERT INTO t VALUES (\($0));" }.joined())
        let backups = dir.file("backups")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let config = try writeConfig(dir, """
            backup_dir: \(backups.path)
            metrics:
              textfile: \(dir.file("metrics/vaultops.prom").path)
            sources:
              - name: app
                sqlite: \(database.path)
                replicate: { interval: 1s, alert_lag: 10m }
            """)
        let first = Process()
        first.executableURL = URL(fileURLWithPath: vaultopsExecutable)
        first.arguments = ["replicate", "--config", config.path]
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer {
            if first.isRunning {
                first.terminate()
                first.waitUntilExit()
            }
        }
        let stateURL = ReplicaState.fileURL(stateDir: backups.path, source: "app")
        #expect(eventually { ReplicaState.load(from: stateURL)?.generation != nil }, "no state file with a generation")
        let state = try #require(ReplicaState.load(from: stateURL))
        #expect(state.pid == first.processIdentifier && !state.stopped)
        let stateMode = try FileManager.default.attributesOfItem(atPath: stateURL.path)[.posixPermissions] as? NSNumber
        #expect(stateMode?.intValue == 0o600)

        var r = try vaultops(["replicate", "--config", config.path])
        #expect(r.status == 4, "\(r.stderr)")
        #expect(r.stderr.contains("another replicator of this source is running") && r.stderr.contains("pid \(first.processIdentifier)"),
                "\(r.stderr)")

        r = try vaultops(["status", "--config", config.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("app  ok  running (pid \(first.processIdentifier)), lag"), "\(r.stdout)")
        let metrics = dir.file("metrics/vaultops-replication.prom")
        #expect(eventually { (try? String(contentsOf: metrics, encoding: .utf8))?.contains("vaultops_replication_running{source=\"app\"} 1") == true })
        let text = (try? String(contentsOf: metrics, encoding: .utf8)) ?? ""
        #expect(text.contains("vaultops_replication_lag_seconds{source=\"app\"}") && text.contains("vaultops_replication_heartbeat_timestamp_seconds"))

        // The nightly run beside the replicator: its snapshot (VACUUM INTO) works and the replicator is seen running.
        r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("prune   \(backups.path)/replica/app/: no generation past keep"), "\(r.stdout)")
        let nightly = (try? String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)) ?? ""
        #expect(nightly.contains("vaultops_source_replicator_running{source=\"app\"} 1\n"), "\(nightly)")
        #expect(nightly.contains("vaultops_prune_success{location=\"replica:app\"} 1\n"), "\(nightly)")
        try sqlite(database, (21...30).map { "INSERT INTO t VALUES (\($0));" }.joined())
        first.terminate()
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(ReplicaState.load(from: stateURL)?.stopped == true)

        r = try vaultops(["status", "--config", config.path])
        #expect(r.stdout.contains("app  NOT RUNNING  stopped on request"), "\(r.stdout)")
        r = try vaultops(["status", "--json", "--config", config.path])
        #expect(r.stdout.contains("\"replication\"") && r.stdout.contains("\"state\" : \"stopped\""), "\(r.stdout)")
        r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 5, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("FAILED  replicate app: the replicator does not run: stopped on request"), "\(r.stdout)")

        // The replica the replicator left: whole, and listed with its range.
        r = try vaultops(["verify", "--replica", "app", "--config", config.path])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("ok     replica \(backups.path)/replica/app/"), "\(r.stdout)")
        r = try vaultops(["backups", "app", "--config", config.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Replica generations") && r.stdout.contains("replica/app/\(state.generation ?? "?")/  commits "),
                "\(r.stdout)")
        r = try vaultops(["backups", "app", "--json", "--config", config.path])
        #expect(r.stdout.contains("\"kind\" : \"replica\"") && r.stdout.contains("\"last_commit\""), "\(r.stdout)")
    }

    /// `prune` removes the generation a newer one replaced before the window (dry run first), `verify --replica`
    /// fails with exit 3 naming the generation and the segment for a damaged segment and for a gap.
    @Test func pruneAndVerifyTheReplica() throws {
        let dir = try TempDir("repl-ops")
        let database = dir.file("app.db")
        try sqlite(database, "PRAGMA journal_mode=WAL; CREATE TABLE t(n INTEGER PRIMARY KEY, pad TEXT);")
        let backups = dir.file("backups")
        let config = try writeConfig(dir, """
            backup_dir: \(backups.path)
            sources:
              - name: app
                sqlite: \(database.path)
                replicate: { interval: 1s, keep: 2s }
            """)
        let backend = LocalFolderBackend(path: backups.path)
        let replicator = Replicator(database: database, source: "app", backend: backend,
                                    settings: ReplicationSettings(interval: 1, keep: 2), workFolder: dir.url)
        try replicator.pass()
        for batch in 0..<2 {
            try sqlite(database, (batch * 50 + 1...batch * 50 + 50).map { "INSERT INTO t VALUES (\($0), printf('%.500c', 'x'));" }.joined())
            try replicator.pass()
        }
        let old = try #require(replicator.generation)
        try sqlite(database, "DELETE FROM t WHERE n > 10; VACUUM;")
        try replicator.pass()
        try sqlite(database, "INSERT INTO t VALUES (1000, 'y');")
        try replicator.pass()
        try sqlite(database, "INSERT INTO t VALUES (1001, 'y');")
        try replicator.pass()
        let current = try #require(replicator.generation)
        replicator.close()
        #expect(old != current)
        // Past keep (2 s) from the start of the newer generation: the older one is no longer needed.
        Thread.sleep(forTimeInterval: 2.5)

        var r = try vaultops(["prune", backups.path, "--dry-run", "--config", config.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("replica \(backups.path)/replica/app/: 1 generation past keep 2s would be removed: \(old)"), "\(r.stdout)")
        #expect(FileManager.default.fileExists(atPath: backups.appendingPathComponent("replica/app/\(old)").path))
        r = try vaultops(["prune", backups.path, "--json", "--dry-run", "--config", config.path])
        #expect(r.stdout.contains("\"replicas\"") && r.stdout.contains(old), "\(r.stdout)")
        // The nightly run prunes the replica too (and, no replicator running here, fails with exit 5 saying so).
        r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 5, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("prune   \(backups.path)/replica/app/: 1 generation past keep 2s removed: \(old)"), "\(r.stdout)")
        #expect(r.stdout.contains("FAILED  replicate app: the replicator does not run: no replicator has run for it"), "\(r.stdout)")
        r = try vaultops(["prune", backups.path, "--config", config.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("replica \(backups.path)/replica/app/: no generation past keep 2s"), "\(r.stdout)")
        let left = ReplicaLayout(source: "app").generations(in: try backend.list(prefix: "replica/app/", recursive: true))
        #expect(left.map(\.name) == [current])

        r = try vaultops(["verify", "--replica", "app", "--config", config.path])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")

        // A segment whose frames changed after it was written.
        let layout = ReplicaLayout(source: "app")
        let name = layout.segmentName(current, index: 1)
        var segment = try Segment.decode(try backend.load(name, range: nil), name: name)
        segment.payload[40] ^= 0xFF
        _ = try backend.save(name, data: try segment.encoded(), options: SaveOptions(overwrite: true))
        r = try vaultops(["verify", "--replica", "app", "--config", config.path])
        #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("FAILED replica \(backups.path)/replica/app/\(current): \(name): the frames' SHA-256 does not match"),
                "\(r.stdout)")

        // The segment gone, a later one still there: a gap.
        try backend.remove(name)
        r = try vaultops(["verify", "--replica", "app", "--config", config.path])
        #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("\(current): segment 0000000000000001 is missing"), "\(r.stdout)")
        #expect(r.stderr.contains("1 of 1 replicas failed verification"), "\(r.stderr)")

        r = try vaultops(["verify", "--replica", "nope", "--config", config.path])
        #expect(r.status == 2, "\(r.stderr)")
    }

    /// The same commands on a replica under an OSS prefix (the emulator): verify, backups and prune read it there.
    @Test func aReplicaOnOSS() throws {
        let dir = try TempDir("repl-ops-oss")
        let database = dir.file("app.db")
        try sqlite(database, "PRAGMA journal_mode=WAL; CREATE TABLE t(n INTEGER PRIMARY KEY);")
        let bucket = try OSSEmulator.freshBucket("replops")
        let env = try OSSEmulator.cliEnvironment()
        let config = try writeConfig(dir, """
            backup_dir: \(dir.file("backups").path)
            sources:
              - name: app
                sqlite: \(database.path)
                replicate: true
            oss:
              bucket: \(bucket)
              prefix: nightly/
            """)
        let backend = try OSSSettings(config: nil, environment: env).backend(bucket: bucket, prefix: "nightly/")
        let replicator = Replicator(database: database, source: "app", backend: backend, workFolder: dir.url)
        try replicator.pass()
        try sqlite(database, (1...10).map { "INSERT INTO t VALUES (\($0));" }.joined())
        try replicator.pass()
        let generation = try #require(replicator.generation)
        replicator.close()

        var r = try vaultops(["verify", "--replica", "app", "--config", config.path], environment: env)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("ok     replica oss://\(bucket)/nightly/replica/app/\(generation): snapshot, 2 segments"), "\(r.stdout)")
        r = try vaultops(["backups", "app", "--config", config.path], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("oss    replica/app/\(generation)/  commits "), "\(r.stdout)")
        r = try vaultops(["prune", "oss://\(bucket)/nightly/", "--dry-run", "--config", config.path], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("replica oss://\(bucket)/nightly/replica/app/: no generation past keep 7d"), "\(r.stdout)")

        // A damaged segment on OSS: exit 3, naming it.
        let name = ReplicaLayout(source: "app").segmentName(generation, index: 1)
        _ = try backend.save(name, data: Data("not a segment".utf8), options: SaveOptions(overwrite: true))
        r = try vaultops(["verify", "--replica", "app", "--config", config.path], environment: env)
        #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("\(name): not a readable gzip stream"), "\(r.stdout)")
    }
}
