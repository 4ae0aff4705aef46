import Foundation
import Testing
import TestSupport

/// The status file of `dir/backups` as JSON.
private func statusJSON(_ dir: TempDir) throws -> [String: Any] {
    let data = try Data(contentsOf: dir.file("backups/.vaultops-status.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

private func sourceEntry(_ status: [String: Any], _ name: String) throws -> [String: Any] {
    let sources = try #require(status["sources"] as? [[String: Any]])
    return try #require(sources.first { $0["name"] as? String == name })
}

/// The value of the metrics sample `line` starts with (`name{labels}`), or nil.
private func sample(_ metrics: String, _ prefix: String) -> String? {
    metrics.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.map { String($0.dropFirst(prefix.count + 1)) }
}

@Suite("run: restore drills (CLI)", .serialized)
struct RunDrillTests {
    @Test("postgres drill: restored into the scratch database (over a previous drill's leftovers), counted, dropped; metrics and status say so")
    func postgresDrillSucceeds() throws {
        let dir = try TempDir("drill-pg")
        let source = try makeNightlyDatabase()
        let scratch = try PostgresTestServer.freshDatabase("drill")
        // A previous drill that died midway left its table behind, with other rows.
        try PostgresTestServer.psql("CREATE TABLE work_orders (id serial PRIMARY KEY, title text NOT NULL, opened date); "
            + "INSERT INTO work_orders (title) VALUES ('stale');", database: scratch)
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: \(source)
                drill: \(try PostgresTestServer.url(database: scratch))
            metrics:
              textfile: metrics/vaultops.prom
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("drill ok: 1 tables, 200 rows match the manifest"), "\(r.stderr)")
        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        #expect(sample(metrics, "vaultops_source_drill_success{source=\"db\"}") == "1", "\(metrics)")
        let stamp = try #require(sample(metrics, "vaultops_source_last_drill_success_timestamp_seconds{source=\"db\"}").flatMap { Double($0) })
        #expect(abs(stamp - Date().timeIntervalSince1970) < 600)
        let drill = try #require(try sourceEntry(try statusJSON(dir), "db")["drill"] as? [String: Any])
        #expect(drill["ok"] as? Bool == true)
        // The scratch copy is gone again.
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: scratch) == "0")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM work_orders", database: String(source.split(separator: "/").last ?? "")) == "200")
    }

    @Test("a drill that fails (wrong scratch password): webhook and metrics say so, exit 5, the password never shown")
    func postgresDrillFails() throws {
        let dir = try TempDir("drill-pg-fail")
        let source = try makeNightlyDatabase()
        let scratch = try PostgresTestServer.freshDatabase("drill")
        let (badURL, realPassword) = try wrongPasswordURL(try PostgresTestServer.url(database: scratch))
        let listener = try WebhookListener()
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: \(source)
                drill: \(badURL)
            notify:
              webhook: \(listener.url)
            metrics:
              textfile: metrics/vaultops.prom
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 5, "\(r.stdout)\(r.stderr)")
        let bodies = try listener.bodies()
        try #require(bodies.count == 1, "\(r.stderr)")
        #expect(bodies[0].contains("\"status\":\"partial\""), "\(bodies[0])")
        #expect(bodies[0].contains("drill into postgres"), "\(bodies[0])")
        #expect(bodies[0].contains("\"drill_ok\":false"), "\(bodies[0])")
        for text in [bodies[0], r.stdout, r.stderr] {
            #expect(!text.contains("not-the-password") && !text.contains(realPassword))
        }
        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        #expect(sample(metrics, "vaultops_source_drill_success{source=\"db\"}") == "0", "\(metrics)")
        #expect(sample(metrics, "vaultops_source_last_drill_success_timestamp_seconds{source=\"db\"}") == "0", "\(metrics)")
        #expect(sample(metrics, "vaultops_run_exit_code") == "5")
        // The backup itself is fine and verified.
        #expect(sample(metrics, "vaultops_source_verified{source=\"db\"}") == "1")
    }

    @Test("a drill into the source's own database is refused when the config is read (exit 2)")
    func drillIntoSourceRefused() throws {
        let dir = try TempDir("drill-same")
        let source = try makeNightlyDatabase()
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: \(source)
                drill: \(source.replacingOccurrences(of: "127.0.0.1", with: "localhost"))
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("sources[0].drill"), "\(r.stderr)")
        #expect(r.stderr.contains("the source's own database"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("backups").path))
    }

    @Test("SQLite and folder drills (drill: true) restore into a temporary folder and compare with the manifest")
    func sqliteAndFolderDrills() throws {
        let dir = try TempDir("drill-files")
        try makeSQLiteDatabase(at: dir.file("mms.db"), rows: 70)
        try FileManager.default.createDirectory(at: dir.file("uploads/sub"), withIntermediateDirectories: true)
        try Data("one".utf8).write(to: dir.file("uploads/a.txt"))
        try Data("two!".utf8).write(to: dir.file("uploads/sub/b.txt"))
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
                drill: true
              - name: uploads
                files: [uploads]
                drill: true
            metrics:
              textfile: metrics/vaultops.prom
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("source mms: drill ok:"), "\(r.stderr)")
        #expect(r.stderr.contains("source uploads: drill ok: 4 entries, 7 bytes"), "\(r.stderr)")
        let metrics = try String(contentsOf: dir.file("metrics/vaultops.prom"), encoding: .utf8)
        for name in ["mms", "uploads"] {
            #expect(sample(metrics, "vaultops_source_drill_success{source=\"\(name)\"}") == "1", "\(metrics)")
            #expect(sample(metrics, "vaultops_source_last_drill_success_timestamp_seconds{source=\"\(name)\"}") != "0")
        }
        let status = try statusJSON(dir)
        #expect((try sourceEntry(status, "uploads")["drill"] as? [String: Any])?["ok"] as? Bool == true)
    }

    @Test("metrics that cannot be written: the status file records the run's real exit status (5), not 0")
    func metricsFailureRecordedInStatus() throws {
        let dir = try TempDir("drill-metrics-fail")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        // A file where the metrics folder should be: neither creating the folder nor writing can succeed.
        try Data("not a folder".utf8).write(to: dir.file("metrics"))
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
            metrics:
              textfile: metrics/vaultops.prom
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 5, "\(r.stdout)\(r.stderr)")
        let status = try statusJSON(dir)
        #expect(status["exit_code"] as? Int == 5, "\(status)")
        let errors = try #require(status["errors"] as? [String])
        #expect(errors.contains { $0.hasPrefix("metrics file:") }, "\(errors)")
    }
}
