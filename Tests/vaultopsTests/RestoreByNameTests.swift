import Foundation
import Testing
import TestSupport

/// A host set up as README says: a config with a PostgreSQL and a SQLite source and an OSS prefix, the OSS keys
/// only in the `.env` beside it, and a `run` already done; commands run from another folder with `--config` only.
struct ConfiguredHost {
    let dir: TempDir
    /// A folder that is not `backup_dir`, where the commands run.
    let elsewhere: TempDir
    let config: URL
    let bucket: String
    let database: String

    init(_ label: String) throws {
        dir = try TempDir(label)
        elsewhere = try TempDir("\(label)-cwd")
        try makeSQLiteDatabase(at: dir.file("mms.db"), rows: 5)
        database = try PostgresTestServer.freshDatabase("byname")
        try PostgresTestServer.psql("""
            CREATE TABLE work_orders (id int PRIMARY KEY, title text NOT NULL);
            INSERT INTO work_orders SELECT g, 'WO ' || g FROM generate_series(1, 20) g;
            """, database: database)
        bucket = try OSSEmulator.freshBucket(label)
        try Data("""
            OSS_ENDPOINT=\(try OSSEmulator.env("VAULTOPS_TEST_OSS_ENDPOINT"))
            OSS_REGION=\(try OSSEmulator.env("VAULTOPS_TEST_OSS_REGION"))
            OSS_ACCESS_KEY_ID=\(try OSSEmulator.env("VAULTOPS_TEST_OSS_ACCESS_KEY_ID"))
            OSS_ACCESS_KEY_SECRET=\(try OSSEmulator.env("VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"))

            """.utf8).write(to: dir.file(".env"))
        config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: db
                postgres: \(try PostgresTestServer.url(database: database))
              - name: mms
                sqlite: mms.db
            oss:
              bucket: \(bucket)
              prefix: nightly/
            """)
    }

    /// Runs vaultops in `elsewhere`, with no DATABASE_URL or VAULTOPS_CONFIG (the OSS keys are only in `.env`).
    func vaultops(_ arguments: [String]) throws -> ProcessResult {
        try TestSupport.vaultops(arguments + ["--config", config.path], environment: ["DATABASE_URL": "", "VAULTOPS_CONFIG": ""],
                                 currentDirectory: elsewhere.url)
    }

    func titles() throws -> String {
        try PostgresTestServer.psql("SELECT count(*) || ' ' || max(title) FROM work_orders", database: database)
    }
}

@Suite("restore by name, from backup_dir or OSS, into the config's source (CLI, PostgreSQL, emulator)", .serialized)
struct RestoreByNameTests {
    @Test("restore db_DATE.sql.gz --clean --yes restores the source's database from backup_dir, then from OSS")
    func dumpByName() throws {
        let host = try ConfiguredHost("byname-db")
        let run = try host.vaultops(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let name = "db_\(todayStamp()).sql.gz"
        let original = try host.titles()

        try PostgresTestServer.psql("DELETE FROM work_orders; INSERT INTO work_orders VALUES (99, 'wrong')", database: host.database)
        // Not a terminal and no --yes: a target taken from the config is refused, and nothing is touched.
        let refused = try host.vaultops(["restore", name, "--clean"])
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("--yes"), "\(refused.stderr)")
        #expect(try host.titles() == "1 wrong")

        let local = try host.vaultops(["restore", name, "--clean", "--yes"])
        #expect(local.status == 0, "\(local.stdout)\(local.stderr)")
        #expect(local.stderr.contains("backups/\(name)"), "\(local.stderr)")
        #expect(try host.titles() == original)

        // The disk is lost: only OSS has it.
        try FileManager.default.removeItem(at: host.dir.file("backups/\(name)"))
        try FileManager.default.removeItem(at: host.dir.file("backups/\(name).manifest.json"))
        try PostgresTestServer.psql("DELETE FROM work_orders WHERE id > 3", database: host.database)
        let remote = try host.vaultops(["restore", name, "--clean", "--yes"])
        #expect(remote.status == 0, "\(remote.stdout)\(remote.stderr)")
        #expect(remote.stderr.contains("oss://\(host.bucket)/nightly/\(name)"), "\(remote.stderr)")
        #expect(try host.titles() == original)
    }

    @Test("a name found nowhere says so first, naming every place searched, without a usage page")
    func missingArtifact() throws {
        let host = try ConfiguredHost("byname-missing")
        let r = try host.vaultops(["restore", "db_20200101.sql.gz", "--clean", "--yes"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.hasPrefix("vaultops: error: no such artifact db_20200101.sql.gz in ./, backup_dir "), "\(r.stderr)")
        #expect(r.stderr.contains("or oss://\(host.bucket)/nightly/"), "\(r.stderr)")
        #expect(!r.stderr.contains("USAGE") && !r.stdout.contains("USAGE"))
        let nothing = try host.vaultops(["restore", "nosuch", "--latest"])
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("no artifact of source nosuch in backup_dir"), "\(nothing.stderr)")
    }

    @Test("restore mms --latest puts the newest SQLite snapshot back; backups --json lists both places with their states")
    func latestSnapshotAndCatalog() throws {
        let host = try ConfiguredHost("byname-mms")
        let first = try host.vaultops(["run"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        _ = try runProcess("sqlite3", [host.dir.file("mms.db").path, "INSERT INTO materials (id, name) VALUES (1000, 'second run');"])
        Thread.sleep(forTimeInterval: 1.1)
        let second = try host.vaultops(["run"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        _ = try runProcess("sqlite3", [host.dir.file("mms.db").path, "DELETE FROM materials; INSERT INTO materials (id, name) VALUES (7, 'x');"])

        let restored = try host.vaultops(["restore", "mms", "--latest", "--yes"])
        #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
        let rows = try runProcess("sqlite3", [host.dir.file("mms.db").path, "SELECT count(*), max(name) FROM materials;"])
        #expect(rows.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "6|second run", "\(rows.stdout)\(rows.stderr)")

        // One artifact only on OSS, one only local (made by hand, never verified by a run), one encrypted copy.
        let day = todayStamp()
        let dump = "db_\(day).sql.gz"
        try FileManager.default.removeItem(at: host.dir.file("backups/\(dump)"))
        try FileManager.default.removeItem(at: host.dir.file("backups/\(dump).manifest.json"))
        let byHand = try TestSupport.vaultops(["backup", "sqlite", host.dir.file("mms.db").path, "--out", host.dir.file("backups").path,
                                               "--name", "notes"])
        #expect(byHand.status == 0, "\(byHand.stderr)")
        try Data("age".utf8).write(to: host.dir.file("backups/notes_20250101.db.gz.age"))

        let listing = try host.vaultops(["backups", "--json"])
        #expect(listing.status == 0, "\(listing.stdout)\(listing.stderr)")
        let rows2 = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]])
        var byName: [String: [String: Any]] = [:]
        for row in rows2 { byName[row["name"] as? String ?? ""] = row }
        let mmsNames = byName.keys.filter { $0.hasPrefix("mms_") }.sorted()
        #expect(mmsNames.count == 2, "\(byName.keys.sorted())")
        for mms in mmsNames {
            #expect(byName[mms]?["where"] as? String == "both")
            #expect(byName[mms]?["verified"] as? Bool == true)
            #expect(byName[mms]?["encrypted"] as? Bool == false)
            #expect(byName[mms]?["manifest"] as? Bool == true)
            #expect(byName[mms]?["time"] is String)
        }
        #expect(byName[dump]?["where"] as? String == "oss")
        #expect(byName[dump]?["verified"] as? Bool == true)
        #expect(byName[dump]?["manifest"] as? Bool == true)
        let notes = try #require(byName["notes_\(day).db.gz"])
        #expect(notes["where"] as? String == "local")
        #expect(notes["verified"] as? Bool == false)
        #expect(byName["notes_20250101.db.gz.age"]?["encrypted"] as? Bool == true)
        #expect(byName["notes_20250101.db.gz.age"]?["manifest"] as? Bool == false)

        let onlyMMS = try host.vaultops(["backups", "mms"])
        #expect(onlyMMS.status == 0)
        #expect(onlyMMS.stdout.split(separator: "\n").count == 2, "\(onlyMMS.stdout)")
        #expect(onlyMMS.stdout.contains("both") && onlyMMS.stdout.contains("verified"))
    }

    @Test("on a terminal, restore shows the plan and asks: no leaves the target alone, yes restores")
    func asksOnATerminal() throws {
        let dir = try TempDir("byname-tty")
        try makeSQLiteDatabase(at: dir.file("mms.db"), rows: 5)
        let config = try writeConfig(dir, "backup_dir: backups\nsources:\n  - name: mms\n    sqlite: mms.db\n")
        #expect(try vaultops(["run", "--config", config.path]).status == 0)
        _ = try runProcess("sqlite3", [dir.file("mms.db").path, "DELETE FROM materials;"])
        // util-linux's script gives the command a pseudo-terminal; -e returns its exit status.
        let command = "\(vaultopsExecutable) restore mms --config \(config.path)"
        let no = try runProcess("script", ["-qec", command, "/dev/null"], stdin: Data("n\n".utf8))
        #expect(no.status == 1, "\(no.stdout)")
        #expect(no.stdout.contains("to \(dir.file("mms.db").path) (source mms in \(config.path))"), "\(no.stdout)")
        #expect(no.stdout.contains("Restore? [y/N]") && no.stdout.contains("not restored"), "\(no.stdout)")
        let count = { try runProcess("sqlite3", [dir.file("mms.db").path, "SELECT count(*) FROM materials;"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(try count() == "0")
        let yes = try runProcess("script", ["-qec", command, "/dev/null"], stdin: Data("y\n".utf8))
        #expect(yes.status == 0, "\(yes.stdout)")
        #expect(try count() == "5")
    }

    @Test("ls and download read the OSS keys from the .env beside --config")
    func ossCommandsReadDotEnv() throws {
        let host = try ConfiguredHost("byname-ls")
        let run = try host.vaultops(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let ls = try host.vaultops(["ls", "oss://\(host.bucket)/nightly/"])
        #expect(ls.status == 0, "\(ls.stderr)")
        #expect(ls.stdout.contains("nightly/mms_\(todayStamp()).db.gz"))
        let download = try host.vaultops(["download", "oss://\(host.bucket)/nightly/mms_\(todayStamp()).db.gz",
                                          host.elsewhere.file("copy.db.gz").path])
        #expect(download.status == 0, "\(download.stderr)")
    }
}
