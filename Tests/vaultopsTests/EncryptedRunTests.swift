import Foundation
import Testing
import TestSupport

@Suite("nightly run with recipients only: encrypted artifacts backed up, verified, uploaded, pruned (CLI)", .serialized)
struct EncryptedRunTests {
    @Test("no identity on the host: run encrypts, verifies, uploads and prunes; restoring from OSS with the identity gives the same data")
    func recipientsOnly() throws {
        let dir = try TempDir("enc-run")
        try makeSources(dir)
        // The identity lives elsewhere ("another machine"); the backup host's config names only its recipient.
        let elsewhere = try TempDir("enc-run-identity")
        let key = try makeIdentity(elsewhere)
        let database = try makeEncryptionDatabase()
        let bucket = try OSSEmulator.freshBucket("enc")
        var env = try OSSEmulator.cliEnvironment()
        env["DB_URL"] = try PostgresTestServer.url(database: database)
        env.removeValue(forKey: "VAULTOPS_IDENTITY_FILE")
        env.removeValue(forKey: "VAULTOPS_PASSPHRASE_FILE")
        let config = try writeConfig(dir, """
            backup_dir: backups
            encryption:
              recipients: [\(key.recipient)]
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
              keep_last: 1
            """)
        let first = try vaultops(["run", "--config", config.path], environment: env)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let day = todayStamp()
        let names = ["db_\(day).sql.gz.age", "mms_\(day).db.gz.age", "uploads_\(day).tar.gz.age"]
        #expect(try artifacts(in: dir.file("backups")) == names)
        let status = try jsonObject(dir.file("backups/.vaultops-status.json"))
        for source in try #require(status["sources"] as? [[String: Any]]) {
            #expect(source["verified"] as? Bool == true, "\(source)")
            #expect((source["upload"] as? [String: Any])?["ok"] as? Bool == true, "\(source)")
        }
        let objects = try NightlyOSS.objects(bucket, prefix: "nightly/")
        for name in names {
            let local = try FileManager.default.attributesOfItem(atPath: dir.file("backups/\(name)").path)[.size] as? Int
            #expect(objects["nightly/\(name)"] == local)
            #expect(objects["nightly/\(name).manifest.json"] != nil)
        }
        let table = try vaultops(["status", "--config", config.path], environment: env)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(!table.stdout.contains("STALE"), "\(table.stdout)")

        // A second run the same day: keep_last: 1 prunes the first run's encrypted artifacts, here and on OSS.
        let second = try vaultops(["run", "--config", config.path], environment: env)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let kept = try artifacts(in: dir.file("backups"))
        #expect(kept.count == 3 && kept.allSatisfy { $0.hasSuffix(".age") && !names.contains($0) }, "\(kept)")
        let after = try NightlyOSS.objects(bucket, prefix: "nightly/")
        #expect(after.count == 6, "\(after.keys.sorted())")
        #expect(Set(after.keys) == Set(kept.flatMap { ["nightly/\($0)", "nightly/\($0).manifest.json"] }))

        // On another machine, with the identity: restore from OSS gives the same data.
        var restoreEnv = env
        restoreEnv["VAULTOPS_IDENTITY_FILE"] = key.path
        let dbName = try #require(kept.first { $0.hasPrefix("db_") })
        let target = try PostgresTestServer.freshDatabase("encrun")
        let withoutKey = try vaultops(["restore", "oss://\(bucket)/nightly/\(dbName)", "--to", try PostgresTestServer.url(database: target)], environment: env)
        #expect(withoutKey.status == 2, "\(withoutKey.stderr)")
        let pg = try vaultops(["restore", "oss://\(bucket)/nightly/\(dbName)", "--to", try PostgresTestServer.url(database: target)], environment: restoreEnv)
        #expect(pg.status == 0, "\(pg.stderr)")
        #expect(try tableContents(target) == (try tableContents(database)))

        let mmsName = try #require(kept.first { $0.hasPrefix("mms_") })
        let restoredDB = elsewhere.file("mms.db")
        let sqlite = try vaultops(["restore", "oss://\(bucket)/nightly/\(mmsName)", "--to", restoredDB.path], environment: restoreEnv)
        #expect(sqlite.status == 0, "\(sqlite.stderr)")
        let dump = { (path: String) in try runProcess("sqlite3", [path, ".dump"]).stdout }
        #expect(try dump(restoredDB.path) == (try dump(dir.file("mms.db").path)))

        let uploadsName = try #require(kept.first { $0.hasPrefix("uploads_") })
        let restoredFolder = elsewhere.file("uploads")
        let files = try vaultops(["restore", "oss://\(bucket)/nightly/\(uploadsName)", "--to", restoredFolder.path, "--identity", key.path], environment: env)
        #expect(files.status == 0, "\(files.stderr)")
        #expect(try runProcess("diff", ["-r", "--no-dereference", dir.file("work-order-uploads").path, restoredFolder.path]).status == 0)

        // download --decrypt: the plain gzip stream, saved without .age.
        let downloaded = try vaultops(["download", "--decrypt", "--identity", key.path, "oss://\(bucket)/nightly/\(mmsName)", elsewhere.path], environment: env)
        #expect(downloaded.status == 0, "\(downloaded.stderr)")
        let plain = elsewhere.file(String(mmsName.dropLast(4)))
        #expect(try shell("gunzip -c '\(plain.path)' | head -c 15").stdout == "SQLite format 3")
        #expect(try artifacts(in: elsewhere.url).filter { $0.hasSuffix(".age") }.isEmpty)

        // --force with the wrong identity leaves the file that is there; with the right one it is replaced.
        try Data("the copy already here".utf8).write(to: plain)
        let other = try makeIdentity(elsewhere, "other.txt")
        let wrong = try vaultops(["download", "--decrypt", "--force", "--identity", other.path, "oss://\(bucket)/nightly/\(mmsName)", elsewhere.path],
                                 environment: env)
        #expect(wrong.status == 2, "\(wrong.stderr)")
        #expect(try String(contentsOf: plain, encoding: .utf8) == "the copy already here")
        let forced = try vaultops(["download", "--decrypt", "--force", "--identity", key.path, "oss://\(bucket)/nightly/\(mmsName)", elsewhere.path],
                                  environment: env)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try shell("gunzip -c '\(plain.path)' | head -c 15").stdout == "SQLite format 3")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).filter { $0.contains(".decrypt-") }.isEmpty)
    }
}

@Suite("run --dry-run checks the encryption setting (CLI)")
struct EncryptedDryRunTests {
    @Test("a recipients file that cannot be read fails the source's check, naming the file")
    func unreadableRecipientsFile() throws {
        let dir = try TempDir("enc-dry")
        try makeSources(dir)
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: mms
                sqlite: mms.db
                encryption: { recipients_file: missing-recipients.txt }
            """)
        let r = try vaultops(["run", "--config", config.path, "--dry-run"])
        #expect(r.status != 0)
        #expect((r.stdout + r.stderr).contains("missing-recipients.txt"), "\(r.stdout)\(r.stderr)")
        #expect(try artifacts(in: dir.file("backups")).isEmpty)
    }
}
