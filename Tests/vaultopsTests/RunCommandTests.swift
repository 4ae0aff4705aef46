import Foundation
import Testing
import TestSupport

/// Writes a config and returns its path; `body` is the YAML.
func writeConfig(_ dir: TempDir, _ body: String, name: String = "vaultops.yml") throws -> URL {
    let url = dir.file(name)
    try Data(body.utf8).write(to: url)
    return url
}

@Suite("run (CLI)")
struct RunCommandTests {
    @Test("a SQLite source and a folder run end to end: artifacts exist and verify")
    func endToEnd() throws {
        let dir = try TempDir("run-e2e")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        _ = try makeUploadsFolder(in: dir)
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
              - name: uploads
                files: [work-order-uploads]
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let made = try artifacts(in: dir.file("backups"))
        #expect(made == ["mms_\(todayStamp()).db.gz", "uploads_\(todayStamp()).tar.gz"])
        for name in made {
            #expect(try vaultops(["verify", "--deep", dir.file("backups/\(name)").path]).status == 0)
        }
        // One line per step, with timestamps, for the cron log.
        #expect(r.stderr.contains("source mms: verified"))
        #expect(r.stderr.range(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO"#, options: .regularExpression) != nil)
    }

    @Test("a missing backup_dir is created (0700) below an existing parent; a missing parent fails the run naming it")
    func backupDirCreated() throws {
        let dir = try TempDir("run-mkdir")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        let config = try writeConfig(dir, "backup_dir: backups\nsources:\n  - name: mms\n    sqlite: mms.db\n")
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try artifacts(in: dir.file("backups")) == ["mms_\(todayStamp()).db.gz"])
        #expect(try mode(of: dir.file("backups")) & 0o777 == 0o700)
        let unmounted = try writeConfig(dir, "backup_dir: disk/backups\nsources:\n  - name: mms\n    sqlite: mms.db\n", name: "u.yml")
        let failed = try vaultops(["run", "--config", unmounted.path])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stderr.contains("neither does its parent \(dir.file("disk").path)"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("disk").path))
        let dry = try vaultops(["run", "--dry-run", "--config", unmounted.path])
        #expect(dry.stdout.contains("backup_dir \(dir.file("disk/backups").path) does not exist, and neither does its parent"), "\(dry.stdout)")
    }

    @Test("one broken source does not stop the others: exit 5; all broken: exit 1")
    func partialFailure() throws {
        let dir = try TempDir("run-partial")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: gone
                sqlite: missing.db
              - name: mms
                sqlite: mms.db
            """)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 5, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("FAILED  gone"))
        #expect(r.stdout.contains("missing.db"))
        #expect(try artifacts(in: dir.file("backups")) == ["mms_\(todayStamp()).db.gz"])

        let allBroken = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: gone
                sqlite: missing.db
            """, name: "broken.yml")
        #expect(try vaultops(["run", "--config", allBroken.path]).status == 1)
    }

    @Test("a second run while the lock is held exits 4 at once and names the holder")
    func lockHeld() throws {
        let dir = try TempDir("run-lock")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
            """)
        // Another process holds the lock (flock(2), the kind vaultops takes) until the test ends; the run starts only
        // once it is taken, so it cannot slip in first however the machine is loaded.
        let holder = try ForeignLockHolder(path: dir.file("backups/.vaultops.lock").path)
        defer { holder.stop() }
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 4, "\(r.stderr)")
        #expect(r.stderr.contains("another vaultops is running"))
        #expect(try artifacts(in: dir.file("backups")).isEmpty)
    }

    @Test("config errors exit 2 and name the key and line, or the variable", arguments: [
        ("backup_dir: backups\nsources:\n  - name: mms\n    sqlitee: mms.db\n", "sqlitee", ":4"),
        ("backup_dir: ${VAULTOPS_TEST_SURELY_UNSET_VAR}\nsources:\n  - name: mms\n    sqlite: mms.db\n", "VAULTOPS_TEST_SURELY_UNSET_VAR", ":1"),
    ])
    func configErrors(yaml: String, mentions: String, line: String) throws {
        let dir = try TempDir("run-config")
        let config = try writeConfig(dir, yaml)
        let r = try vaultops(["run", "--config", config.path])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(mentions))
        #expect(r.stderr.contains("vaultops.yml\(line)"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("backups").path))
    }
}
