import Foundation
import Testing
import TestSupport

/// The weekday names of today and tomorrow on this host (the CLI judges schedules by the real clock).
private func todayAndAnotherDay() -> (today: String, other: String) {
    let names = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
    let weekday = Calendar(identifier: .gregorian).component(.weekday, from: Date())
    return (names[weekday - 1], names[weekday % 7])
}

@Suite("run with schedules, --source, --all-sources; files with exclude and a .env (CLI)")
struct ScheduleRunCommandTests {
    @Test("a source not due today is skipped and shown as not due; --source and --all-sources run it")
    func notDue() throws {
        let dir = try TempDir("run-schedule")
        try makeSources(dir)
        let (today, other) = todayAndAnotherDay()
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
              - name: uploads
                files: [work-order-uploads]
                schedule: { weekly: \(other) }
            """)
        var r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try artifacts(in: dir.file("backups")) == ["mms_\(todayStamp()).db.gz"])
        #expect(r.stdout.contains("skipped uploads  not due today (weekly: \(other))"), "\(r.stdout)")
        #expect(r.stderr.contains("INFO") && r.stderr.contains("source uploads: skipped: not due today"), "\(r.stderr)")
        #expect(r.stderr.contains("1 of 1 sources done, 1 not due"))
        // Never backed up yet: status says so (it has no backup), but it is no failure of the run.
        r = try vaultops(["status", "--config", config.path])
        #expect(r.stdout.contains("STALE (no backup)"), "\(r.stdout)")

        r = try vaultops(["run", "--config", config.path, "--source", "uploads"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("skipped mms  not selected (run --source uploads)"), "\(r.stdout)")
        #expect(try artifacts(in: dir.file("backups")).contains("uploads_\(todayStamp()).tar.gz"))

        // The nightly run again: the weekly source is not due, and not stale either.
        r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 0)
        r = try vaultops(["status", "--config", config.path, "--json"])
        let document = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let rows = try #require(document?["sources"] as? [[String: Any]])
        let uploads = try #require(rows.first { $0["name"] as? String == "uploads" })
        #expect(uploads["stale"] as? Bool == false, "\(uploads)")
        #expect(uploads["schedule"] as? String == "weekly: \(other)")
        #expect((uploads["stale_after_seconds"] as? NSNumber)?.intValue == 612_000, "7 days 2 hours")
        r = try vaultops(["status", "--config", config.path])
        #expect(r.stdout.contains("ok (not due)"), "\(r.stdout)")

        r = try vaultops(["run", "--config", config.path, "--all-sources", "--dry-run"])
        #expect(r.status == 0 && !r.stdout.contains("skipped"), "\(r.stdout)")
        r = try vaultops(["run", "--config", config.path, "--source", "nosuch"])
        #expect(r.status == 2 && r.stderr.contains("--source nosuch: no such source (configured: mms, uploads)"), "\(r.stderr)")

        // On its day it runs in the nightly run.
        try Data(String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "weekly: \(other)", with: "weekly: \(today)").utf8)
            .write(to: config)
        r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 0 && !r.stdout.contains("skipped"), "\(r.stdout)")
    }

    @Test("a dry run says a mirror-only source would mirror, not archive")
    func mirrorOnlyDryRun() throws {
        let dir = try TempDir("run-mirror-only-dry")
        _ = try makeUploadsFolder(in: dir)
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: uploads
                files: work-order-uploads
                mirror: oss://media-files/uploads/
                archive: false
            """)
        let r = try vaultops(["run", "--config", config.path, "--dry-run"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("planned uploads"))
        #expect(r.stderr.contains("source uploads: would mirror \(dir.file("work-order-uploads").path) to oss://media-files/uploads/ (archive: false, no tar)"),
                "\(r.stderr)")
    }

    @Test("a files source with a folder, a .env, exclude and one_file_system: the log and manifest name what was left out")
    func filesWithExclude() throws {
        let dir = try TempDir("run-exclude")
        let app = dir.file("app")
        try FileManager.default.createDirectory(at: app.appendingPathComponent("node_modules/x"), withIntermediateDirectories: true)
        try Data("js".utf8).write(to: app.appendingPathComponent("node_modules/x/i.js"))
        try Data("log".utf8).write(to: app.appendingPathComponent("app.log"))
        try Data("code".utf8).write(to: app.appendingPathComponent("server.js"))
        try Data("POSTGRES_PASSWORD=pw\nDATABASE_URL=postgres://u:${POSTGRES_PASSWORD}@db/app\n".utf8).write(to: dir.file(".env"))
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: app
                files: [app, .env]
                exclude: ["*.log", node_modules/]
                one_file_system: true
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("source app: excluded 2 paths (exclude:): \(app.path)/app.log, \(app.path)/node_modules"), "\(r.stderr)")
        let artifact = dir.file("backups/app_\(todayStamp()).tar.gz")
        let listing = try runProcess("tar", ["-tzf", artifact.path]).stdout.split(separator: "\n").map(String.init)
        #expect(Set(listing) == ["app/", "app/server.js", ".env"])
        let manifest = try String(contentsOf: dir.file("backups/app_\(todayStamp()).tar.gz.manifest.json"), encoding: .utf8)
        #expect(manifest.contains("\"excluded_count\" : \"2\"") || manifest.contains("\"excluded_count\": \"2\""), "\(manifest)")
        #expect(!manifest.contains("pw"), "the .env's content never reaches the manifest")
        #expect(try vaultops(["verify", "--deep", artifact.path]).status == 0)
        let restored = dir.file("restored")
        let restore = try vaultops(["restore", artifact.path, "--to", restored.path])
        #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
        #expect(try String(contentsOf: restored.appendingPathComponent(".env"), encoding: .utf8).contains("${POSTGRES_PASSWORD}"))

        // `backup files` takes the same patterns.
        let out = dir.file("manual")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let manual = try vaultops(["backup", "files", app.path, "--exclude", "*.log", "--exclude", "node_modules/", "--out", out.path])
        #expect(manual.status == 0, "\(manual.stderr)")
        #expect(manual.stderr.contains("excluded 2 paths"), "\(manual.stderr)")
        let bad = try vaultops(["backup", "files", app.path, "--exclude", "./x", "--out", out.path])
        #expect(bad.status == 2 && bad.stderr.contains("--exclude: './x' has '.' or '..'"), "\(bad.stderr)")
    }
}
