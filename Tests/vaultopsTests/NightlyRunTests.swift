import Foundation
import Testing
import TestSupport

/// What the nightly-run tests read back from the OSS emulator (TestSupport's `OSSEmulator`).
enum NightlyOSS {
    /// Key → size under `oss://bucket/prefix`, listed by `vaultops ls --json`.
    static func objects(_ bucket: String, prefix: String) throws -> [String: Int] {
        let r = try vaultops(["ls", "oss://\(bucket)/\(prefix)", "--json"], environment: try OSSEmulator.cliEnvironment())
        guard r.status == 0 else { throw TestSupportError("vaultops ls failed: \(r.stderr)") }
        let list = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []
        var result: [String: Int] = [:]
        for object in list { result[object["key"] as? String ?? ""] = (object["size"] as? NSNumber)?.intValue ?? -1 }
        return result
    }

    /// The operations the bucket received, in order, as `op key`.
    static func log(_ bucket: String) throws -> [String] {
        try OSSEmulator.log(bucket).map { "\($0.op) \($0.key ?? "")" }
    }
}

/// A test database with a little data, on the CI PostgreSQL server.
func makeNightlyDatabase() throws -> String {
    let name = try PostgresTestServer.freshDatabase("nightly")
    try PostgresTestServer.psql("""
        CREATE TABLE work_orders (id serial PRIMARY KEY, title text NOT NULL, opened date);
        INSERT INTO work_orders (title, opened) SELECT 'WO ' || g, date '2025-01-01' + g FROM generate_series(1, 200) g;
        """, database: name)
    return try PostgresTestServer.url(database: name)
}

/// The test server's URL for `database` with a wrong password.
func wrongPasswordURL(_ url: String) throws -> (url: String, realPassword: String) {
    let components = try #require(URLComponents(string: url))
    let password = try #require(components.password)
    return (url.replacingOccurrences(of: ":\(password)@", with: ":not-the-password@"), password)
}

/// A folder with the three kinds of sources and a backups folder; returns the config's source lines.
func makeSources(_ dir: TempDir) throws {
    try makeSQLiteDatabase(at: dir.file("mms.db"))
    _ = try makeUploadsFolder(in: dir)
    try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: dir.file("metrics"), withIntermediateDirectories: true)
}

func jsonObject(_ url: URL) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
}

@Suite("nightly run with PostgreSQL, SQLite, a folder and OSS (CLI)", .serialized)
struct NightlyRunTests {
    @Test("end to end: artifacts local and on OSS (artifact before manifest), verified, status, metrics, `status`")
    func endToEnd() throws {
        let dir = try TempDir("nightly-e2e")
        try makeSources(dir)
        let dbURL = try makeNightlyDatabase()
        let bucket = try OSSEmulator.freshBucket("e2e")
        let listener = try WebhookListener()
        var env = try OSSEmulator.cliEnvironment()
        env["DB_URL"] = dbURL
        env["HOOK"] = listener.url
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: ${DB_URL}
              - name: mms
                sqlite: mms.db
              - name: uploads
                files: [work-order-uploads]
            oss:
              bucket: \(bucket)
              prefix: nightly/
              endpoint: ${OSS_ENDPOINT}
              region: ${OSS_REGION}
              access_key_id: ${OSS_ACCESS_KEY_ID}
              access_key_secret: ${OSS_ACCESS_KEY_SECRET}
            retention:
              keep_days: 30
            notify:
              webhook: ${HOOK}
              kind: generic
              on_success: true
            metrics:
              textfile: metrics/vaultops.prom
            """)
        let r = try vaultops(["run", "--config", config.path], environment: env)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let day = todayStamp()
        let names = ["db_\(day).sql.gz", "mms_\(day).db.gz", "uploads_\(day).tar.gz"]
        #expect(try artifacts(in: dir.file("backups")) == names)
        for name in names {
            // --deep restores the dump into a scratch database on the test server.
            let verify = try vaultops(["verify", "--deep", "--server", try PostgresTestServer.adminURL(), dir.file("backups/\(name)").path])
            #expect(verify.status == 0, "\(name): \(verify.stdout)\(verify.stderr)")
        }
        #expect(r.stdout.contains("ok      db  db_\(day).sql.gz"))
        #expect(r.stdout.contains("uploaded"))
        #expect(r.stderr.contains("source uploads: uploaded"))

        // On OSS: every artifact and manifest, the artifact's size equal to the local file's.
        let objects = try NightlyOSS.objects(bucket, prefix: "nightly/")
        #expect(objects.count == 6, "\(objects)")
        for name in names {
            let local = try FileManager.default.attributesOfItem(atPath: dir.file("backups/\(name)").path)[.size] as? Int
            #expect(objects["nightly/\(name)"] == local)
            #expect(objects["nightly/\(name).manifest.json"] != nil)
        }
        // Artifact first, then its manifest.
        let puts = try NightlyOSS.log(bucket).filter { $0.hasPrefix("PutObject ") || $0.hasPrefix("CompleteMultipartUpload ") }
        for name in names {
            let artifact = try #require(puts.firstIndex { $0.hasSuffix(" nightly/\(name)") })
            let manifest = try #require(puts.firstIndex { $0.hasSuffix(" nightly/\(name).manifest.json") })
            #expect(artifact < manifest, "\(puts)")
        }

        // The status file.
        let status = try jsonObject(dir.file("backups/.vaultops-status.json"))
        #expect(status["exit_code"] as? Int == 0)
        let sources = try #require(status["sources"] as? [[String: Any]])
        #expect(sources.map { $0["name"] as? String } == ["db", "mms", "uploads"])
        for source in sources {
            #expect(source["verified"] as? Bool == true)
            #expect((source["upload"] as? [String: Any])?["ok"] as? Bool == true)
            #expect((source["size_bytes"] as? Int ?? 0) > 0)
        }
        let prunes = try #require(status["prunes"] as? [[String: Any]])
        #expect(prunes.map { $0["location"] as? String } == [dir.file("backups").path, "oss://\(bucket)/nightly/"])
        #expect(prunes.allSatisfy { $0["ok"] as? Bool == true })

        // Metrics.
        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        for line in ["vaultops_run_exit_code 0", "vaultops_source_last_run_success{source=\"db\"} 1",
                     "vaultops_source_uploaded{source=\"uploads\"} 1", "vaultops_source_verified{source=\"mms\"} 1",
                     "vaultops_source_artifacts{source=\"db\",location=\"oss\"} 1",
                     "vaultops_source_artifacts{source=\"mms\",location=\"local\"} 1"] {
            #expect(metrics.contains(line + "\n"), "missing \(line)")
        }

        // on_success: a success message was posted.
        let bodies = try listener.bodies()
        #expect(bodies.count == 1)
        #expect(bodies.first?.contains("\"status\":\"success\"") == true)

        // `vaultops status`: every source fresh, verified and uploaded.
        let table = try vaultops(["status", "--config", config.path], environment: env)
        #expect(table.status == 0, "\(table.stderr)")
        for name in ["db", "mms", "uploads"] {
            let line = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix(name + " ") })
            #expect(line.range(of: #"\byes\s+yes\s+ok\b"#, options: .regularExpression) != nil, "\(line)")
        }
        #expect(!table.stdout.contains("STALE"))

        // A second run the same day: `_HHMMSS` names, a stale multipart upload on OSS aborted by prune.
        // And an artifact from 2020 on OSS, far outside keep_days: 30 of the newest good backup.
        try startStaleUpload(bucket: bucket, key: "nightly/db_20200101.sql.gz")
        _ = try OSSEmulator.control("POST", "seed?bucket=\(bucket)",
                                   body: try JSONSerialization.data(withJSONObject: ["nightly/mms_20200101.db.gz", "nightly/notes.txt"]))
        let second = try vaultops(["run", "--config", config.path], environment: env)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try artifacts(in: dir.file("backups")).count == 6)
        let after = try NightlyOSS.objects(bucket, prefix: "nightly/")
        #expect(after["nightly/mms_20200101.db.gz"] == nil)
        #expect(after["nightly/notes.txt"] != nil, "not a vaultops backup: never touched")
        #expect(after.count == 13)
        #expect(try NightlyOSS.log(bucket).contains { $0.hasPrefix("DeleteMultipleObjects") })
        #expect(try NightlyOSS.log(bucket).contains { $0.hasPrefix("AbortMultipartUpload nightly/db_20200101.sql.gz") })
        // Prune checked its anchors with the CRC-64 that run recorded in the uploaded manifests: no artifact was downloaded.
        #expect(try NightlyOSS.log(bucket).contains { $0.hasPrefix("HeadObject nightly/db_") })
        #expect(!(try NightlyOSS.log(bucket).contains { $0.hasPrefix("GetObject ") && !$0.hasSuffix(".manifest.json") }))
        let json = try vaultops(["status", "--config", config.path, "--json"], environment: env)
        #expect(json.status == 0, "\(json.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let rows = try #require(document["sources"] as? [[String: Any]])
        #expect(rows.count == 3)
        for row in rows {
            #expect(row["stale"] as? Bool == false)
            #expect(row["uploaded"] as? Bool == true)
            #expect((row["size_history"] as? [Any])?.count == 2)
            #expect((row["trend"] as? String)?.count ?? 0 >= 2)
        }
    }

    /// Starts a multipart upload with the official oss2 SDK and makes it look two days old.
    func startStaleUpload(bucket: String, key: String) throws {
        let script = """
        import os, sys, oss2
        b = oss2.Bucket(oss2.Auth(os.environ["VAULTOPS_TEST_OSS_ACCESS_KEY_ID"], os.environ["VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"]),
                        os.environ["VAULTOPS_TEST_OSS_ENDPOINT"], sys.argv[1], region=os.environ["VAULTOPS_TEST_OSS_REGION"])
        print(b.init_multipart_upload(sys.argv[2]).upload_id)
        """
        let r = try runProcess("python3", ["-c", script, bucket, key])
        try #require(r.status == 0, "oss2 could not start a multipart upload: \(r.stderr)")
        _ = try OSSEmulator.control("POST", "backdate?bucket=\(bucket)&seconds=172800")
    }

    @Test("a wrong database password: the others complete, exit 5, the webhook names the source and reason, no password")
    func brokenSource() throws {
        let dir = try TempDir("nightly-broken")
        try makeSources(dir)
        let (badURL, realPassword) = try wrongPasswordURL(try makeNightlyDatabase())
        let bucket = try OSSEmulator.freshBucket("broken")
        let listener = try WebhookListener()
        var env = try OSSEmulator.cliEnvironment()
        env["DB_URL"] = badURL
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: ${DB_URL}
              - name: mms
                sqlite: mms.db
              - name: uploads
                files: [work-order-uploads]
            oss:
              bucket: \(bucket)
              prefix: nightly
            notify:
              webhook: \(listener.url)
              kind: dingtalk
            metrics:
              textfile: metrics/vaultops.prom
            """)
        let r = try vaultops(["run", "--config", config.path], environment: env)
        #expect(r.status == 5, "\(r.stdout)\(r.stderr)")
        #expect(try artifacts(in: dir.file("backups")) == ["mms_\(todayStamp()).db.gz", "uploads_\(todayStamp()).tar.gz"])
        #expect(r.stdout.contains("FAILED  db"))
        #expect(try NightlyOSS.objects(bucket, prefix: "nightly/").count == 4)
        for secret in [realPassword, "not-the-password"] {
            #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret))
        }

        let bodies = try listener.bodies()
        try #require(bodies.count == 1)
        let message = try #require(try JSONSerialization.jsonObject(with: Data(bodies[0].utf8)) as? [String: Any])
        let text = try #require((message["markdown"] as? [String: String])?["text"])
        #expect(text.contains("FAILED db:"))
        #expect(text.contains("password authentication failed"))
        #expect(text.contains("1 of 3 sources FAILED (exit 5)"))
        #expect(!bodies[0].contains(realPassword) && !bodies[0].contains("not-the-password"))

        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        #expect(metrics.contains("vaultops_source_last_run_success{source=\"db\"} 0\n"))
        #expect(metrics.contains("vaultops_run_exit_code 5\n"))
        let table = try vaultops(["status", "--config", config.path], environment: env)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("STALE (no backup)"))
        #expect(table.stdout.contains("db: last run failed:"))
        #expect(!table.stdout.contains(realPassword) && !table.stdout.contains("not-the-password"))
    }

    @Test("an object already on OSS under the artifact's key is never overwritten")
    func neverOverwritesOnOSS() throws {
        let dir = try TempDir("nightly-overwrite")
        try makeSources(dir)
        let bucket = try OSSEmulator.freshBucket("overwrite")
        let key = "nightly/mms_\(todayStamp()).db.gz"
        _ = try OSSEmulator.control("POST", "seed?bucket=\(bucket)", body: try JSONSerialization.data(withJSONObject: [key]))
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
              - name: uploads
                files: [work-order-uploads]
            oss:
              bucket: \(bucket)
              prefix: nightly/
            """)
        let r = try vaultops(["run", "--config", config.path], environment: try OSSEmulator.cliEnvironment())
        #expect(r.status == 5, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("oss://\(bucket)/\(key) already exists; vaultops never overwrites a backup"))
        let objects = try NightlyOSS.objects(bucket, prefix: "nightly/")
        // The seeded object (its body is its key) is untouched; the other source went up.
        #expect(objects[key] == key.utf8.count)
        #expect(objects["nightly/uploads_\(todayStamp()).tar.gz"] != nil)
    }

    @Test("--dry-run writes, uploads, removes and posts nothing")
    func dryRun() throws {
        let dir = try TempDir("nightly-dry")
        try makeSources(dir)
        let bucket = try OSSEmulator.freshBucket("dry")
        _ = try OSSEmulator.control("POST", "seed?bucket=\(bucket)", body: try JSONSerialization.data(withJSONObject: ["nightly/mms_20200101.db.gz"]))
        let listener = try WebhookListener()
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
            oss:
              bucket: \(bucket)
              prefix: nightly/
            notify:
              webhook: \(listener.url)
              on_success: true
            metrics:
              textfile: metrics/vaultops.prom
            """)
        let r = try vaultops(["run", "--config", config.path, "--dry-run"], environment: try OSSEmulator.cliEnvironment())
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("planned mms"))
        #expect(r.stderr.contains("would back up sqlite"))
        // The OSS prefix is planned read-only (its only mms artifact is the newest, so it stays).
        #expect(r.stdout.contains("oss://\(bucket)/nightly/: Would remove 0 artifacts with 0 manifests and 0 leftovers (0 B); kept 1 artifact"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("backups").path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("metrics").path).isEmpty)
        #expect(try NightlyOSS.objects(bucket, prefix: "nightly/").keys.sorted() == ["nightly/mms_20200101.db.gz"])
        #expect(try listener.bodies().isEmpty)
    }

    @Test("two runs started at once: one runs, the other exits 4 naming the holder")
    func concurrentRuns() throws {
        let dir = try TempDir("nightly-concurrent")
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let db = dir.file("data.db").path
        try shell("sqlite3 '\(db)' 'CREATE TABLE t (x); INSERT INTO t VALUES (1);'")
        // A writer holds the (rollback-journal) database until the first run has returned, so whichever run takes
        // the lock first is still backing up, waiting on SQLite's busy timeout, when the other starts and gives up:
        // however fast or loaded the machine is (a writer that held it for a fixed 4 s could let go before the
        // second run started). Its COMMIT comes only when the test writes it.
        // The writer's own busy timeout lets its BEGIN EXCLUSIVE wait out the probe's read below instead of failing.
        let holder = Process()
        let holderInput = Pipe()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["sqlite3", db]
        holder.standardInput = holderInput
        try holder.run()
        holderInput.fileHandleForWriting.write(Data(".timeout 10000\nBEGIN EXCLUSIVE;\nINSERT INTO t VALUES (2);\n".utf8))
        func releaseHolder() {
            guard holder.isRunning else { return }
            holderInput.fileHandleForWriting.write(Data("COMMIT;\n".utf8))
            try? holderInput.fileHandleForWriting.close()
            holder.waitUntilExit()
        }
        defer { releaseHolder() }
        let lockedBy = Date().addingTimeInterval(120)  // only a backstop
        while try shell("sqlite3 '\(db)' 'SELECT count(*) FROM t'").status == 0 {
            try #require(Date() < lockedBy, "the writer never took the database")
            Thread.sleep(forTimeInterval: 0.02)
        }
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: data
                sqlite: data.db
            """)
        let results = ResultsBox()
        let group = DispatchGroup()
        let returned = DispatchSemaphore(value: 0)
        for _ in 0..<2 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                results.add(Result { try vaultops(["run", "--config", config.path]) })
                returned.signal()
            }
        }
        // The first run to return is the one that found the lock taken; the other can then finish its backup.
        _ = returned.wait(timeout: .now() + 120)  // only a backstop
        releaseHolder()
        group.wait()
        let runs = try results.all.map { try $0.get() }
        #expect(runs.map(\.status).sorted() == [0, 4], "\(runs.map { "\($0.status): \($0.stderr)" })")
        let loser = try #require(runs.first { $0.status == 4 })
        #expect(loser.stderr.contains("another vaultops is running"))
        #expect(loser.stderr.contains("vaultops run"))
        #expect(try artifacts(in: dir.file("backups")) == ["data_\(todayStamp()).db.gz"])
    }

    @Test("OSS unreachable: local backups complete and verify, exit 5, the upload failure is reported")
    func ossUnreachable() throws {
        let dir = try TempDir("nightly-oss-down")
        try makeSources(dir)
        // A port nothing listens on: connections are refused.
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
              - name: uploads
                files: [work-order-uploads]
            oss:
              bucket: unreachable-bucket
              prefix: nightly/
              endpoint: http://127.0.0.1:9
              region: cn-hangzhou
              access_key_id: LTAItestkeyid
              access_key_secret: test-secret-value-123
            metrics:
              textfile: metrics/vaultops.prom
            """)
        let r = try vaultops(["run", "--config", config.path], environment: ["OSS_ACCESS_KEY_ID": "", "OSS_ACCESS_KEY_SECRET": ""])
        #expect(r.status == 5, "\(r.stdout)\(r.stderr)")
        let names = ["mms_\(todayStamp()).db.gz", "uploads_\(todayStamp()).tar.gz"]
        #expect(try artifacts(in: dir.file("backups")) == names)
        for name in names {
            #expect(try vaultops(["verify", dir.file("backups/\(name)").path]).status == 0)
        }
        #expect(r.stdout.contains("FAILED  mms  mms_\(todayStamp()).db.gz"))
        #expect(r.stdout.contains("upload to oss://unreachable-bucket/nightly/mms_\(todayStamp()).db.gz failed"))
        #expect(r.stdout.contains("upload skipped: OSS unreachable"))
        #expect(!r.stdout.contains("test-secret-value-123") && !r.stderr.contains("test-secret-value-123"))
        let status = try jsonObject(dir.file("backups/.vaultops-status.json"))
        #expect(status["exit_code"] as? Int == 5)
        let sources = try #require(status["sources"] as? [[String: Any]])
        #expect(sources.allSatisfy { $0["backed_up"] as? Bool == true && $0["verified"] as? Bool == true })
        #expect(sources.allSatisfy { ($0["upload"] as? [String: Any])?["ok"] as? Bool == false })
        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        #expect(metrics.contains("vaultops_source_uploaded{source=\"mms\"} 0\n"))
        #expect(metrics.contains("vaultops_source_verified{source=\"mms\"} 1\n"))
        #expect(metrics.contains("vaultops_prune_success{location=\"oss\"} 0\n"))
        let table = try vaultops(["status", "--config", config.path])
        for name in ["mms", "uploads"] {
            let line = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix(name + " ") })
            #expect(line.range(of: #"\byes\s+NO\s+LAST RUN FAILED\b"#, options: .regularExpression) != nil, "\(line)")
        }
        #expect(table.stdout.contains("mms: last run failed: upload to oss://unreachable-bucket/"))
    }
}

/// Collects results from concurrent runs.
final class ResultsBox: @unchecked Sendable {
    // Safety: `items` is only touched under `lock`.
    private let lock = NSLock()
    private var items: [Result<ProcessResult, any Error>] = []
    func add(_ item: Result<ProcessResult, any Error>) { lock.withLock { items.append(item) } }
    var all: [Result<ProcessResult, any Error>] { lock.withLock { items } }
}
