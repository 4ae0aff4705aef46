import Foundation
import Testing
import TestSupport

@Suite("backup sqlite, verify, restore (CLI)")
struct SQLiteBackupCommandTests {
    @Test("a snapshot is a gzip that gunzips to a database passing integrity_check, with its manifest")
    func snapshotInteroperates() throws {
        let dir = try TempDir("sqlite-cli")
        let db = dir.file("mms.db")
        try makeSQLiteDatabase(at: db, rows: 120)
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)

        let r = try vaultops(["backup", "sqlite", db.path, "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let name = "mms_\(todayStamp()).db.gz"
        #expect(try artifacts(in: out) == [name])
        let artifact = out.appendingPathComponent(name)
        #expect(try mode(of: artifact) == 0o600)
        #expect(try mode(of: out.appendingPathComponent(name + ".manifest.json")) == 0o600)

        #expect(try runProcess("gzip", ["-t", artifact.path]).status == 0)
        let restored = dir.file("check.db")
        #expect(try shell("gunzip -c '\(artifact.path)' > '\(restored.path)'").status == 0)
        let check = try runProcess("sqlite3", [restored.path, "PRAGMA integrity_check; SELECT count(*) FROM materials; SELECT count(*) FROM \"stock movements\";"])
        #expect(check.stdout == "ok\n120\n120\n")

        let manifestData = try Data(contentsOf: out.appendingPathComponent(name + ".manifest.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
        #expect(manifest["kind"] as? String == "sqlite")
        #expect(manifest["sha256"] as? String == (try sha256sum(artifact)))
        let tables = try #require(manifest["tables"] as? [String: Any])
        #expect(tables["materials"] as? Int == 120)
        #expect(tables["stock movements"] as? Int == 120)
        #expect((manifest["created_at"] as? String)?.hasSuffix("Z") == true)

        let v = try vaultops(["verify", "--deep", artifact.path])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
    }

    @Test("a database with generated columns snapshots too (SQLite < 3.42 refuses VACUUM INTO read-only there)")
    func generatedColumns() throws {
        let dir = try TempDir("sqlite-generated")
        let db = dir.file("gen.db")
        let sql = """
            CREATE TABLE materials (id INTEGER PRIMARY KEY, price REAL, qty INTEGER,
                                    total REAL GENERATED ALWAYS AS (price * qty) STORED,
                                    label TEXT GENERATED ALWAYS AS ('M' || id) VIRTUAL);
            INSERT INTO materials (price, qty) VALUES (1.5, 4), (2.25, 8);
            """
        #expect(try runProcess("sqlite3", [db.path], stdin: Data(sql.utf8)).status == 0)
        let r = try vaultops(["backup", "sqlite", db.path, "--out", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let check = dir.file("check.db")
        #expect(try shell("gunzip -c '\(dir.file("gen_\(todayStamp()).db.gz").path)' > '\(check.path)'").status == 0)
        #expect(try runProcess("sqlite3", [check.path, "PRAGMA integrity_check; SELECT total, label FROM materials ORDER BY id;"]).stdout
                == "ok\n6.0|M1\n18.0|M2\n")
    }

    @Test("a second backup on the same day gets _HHMMSS and never overwrites the first")
    func sameDayClash() throws {
        let dir = try TempDir("sqlite-clash")
        let db = dir.file("mms.db")
        try makeSQLiteDatabase(at: db)
        let first = try vaultops(["backup", "sqlite", db.path, "--out", dir.path, "--name", "nightly"])
        #expect(first.status == 0, "\(first.stderr)")
        let firstName = "nightly_\(todayStamp()).db.gz"
        let before = try sha256sum(dir.file(firstName))
        let second = try vaultops(["backup", "sqlite", db.path, "--out", dir.path, "--name", "nightly"])
        #expect(second.status == 0, "\(second.stderr)")
        let names = try artifacts(in: dir.url).filter { $0.hasPrefix("nightly_") }
        #expect(names.count == 2)
        let other = try #require(names.first { $0 != firstName })
        #expect(other.range(of: #"^nightly_\d{8}_\d{6}(-\d+)?\.db\.gz$"#, options: .regularExpression) != nil)
        #expect(try sha256sum(dir.file(firstName)) == before)
    }

    @Test("restore keeps the old database as .pre-restore-… and the result passes integrity_check")
    func restoreKeepsSafetyCopy() throws {
        let dir = try TempDir("sqlite-restore")
        let db = dir.file("mms.db")
        try makeSQLiteDatabase(at: db, rows: 30)
        let b = try vaultops(["backup", "sqlite", db.path, "--out", dir.path])
        #expect(b.status == 0, "\(b.stderr)")
        let artifact = dir.file("mms_\(todayStamp()).db.gz")
        // The application keeps going after the backup: it deletes rows.
        #expect(try runProcess("sqlite3", [db.path, "DELETE FROM materials WHERE id > 10;"]).status == 0)

        let r = try vaultops(["restore", artifact.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try runProcess("sqlite3", [db.path, "PRAGMA integrity_check; SELECT count(*) FROM materials;"]).stdout == "ok\n30\n")
        let copies = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("mms.db.pre-restore-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }
        #expect(copies.count == 1)
        let copy = dir.file(try #require(copies.first))
        #expect(copy.lastPathComponent.range(of: #"^mms\.db\.pre-restore-\d{8}_\d{6}$"#, options: .regularExpression) != nil)
        #expect(try runProcess("sqlite3", [copy.path, "SELECT count(*) FROM materials;"]).stdout == "10\n")
    }

    @Test("a damaged artifact is refused with exit 3 and the target is left byte-identical", arguments: ["flip", "truncate"])
    func damagedArtifactTouchesNothing(damage: String) throws {
        let dir = try TempDir("sqlite-damaged")
        let db = dir.file("mms.db")
        try makeSQLiteDatabase(at: db, rows: 200)
        #expect(try vaultops(["backup", "sqlite", db.path, "--out", dir.path]).status == 0)
        let artifact = dir.file("mms_\(todayStamp()).db.gz")
        if damage == "flip" {
            try flipByte(artifact, at: 4000)
        } else {
            let data = try Data(contentsOf: artifact)
            try data.prefix(data.count / 2).write(to: artifact)
        }
        #expect(try runProcess("sqlite3", [db.path, "PRAGMA wal_checkpoint(TRUNCATE);"]).status == 0)
        let before = try sha256sum(db)
        let v = try vaultops(["verify", artifact.path])
        #expect(v.status == 3)
        #expect(v.stdout.contains("FAILED"))
        if damage == "truncate" { #expect(v.stdout.lowercased().contains("truncated")) }
        let r = try vaultops(["restore", artifact.path])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("nothing was restored"))
        #expect(try sha256sum(db) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("pre-restore") || $0.hasSuffix(".partial") }
        #expect(leftovers.isEmpty)
    }
}
