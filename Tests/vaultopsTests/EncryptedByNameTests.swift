import Foundation
import Testing
import TestSupport

@Suite("encrypted artifacts restored by name and by table (CLI, PostgreSQL, emulator)", .serialized)
struct EncryptedByNameTests {
    @Test("a run with recipients only; restore db --latest --table … --rename-to and, after a disk loss, from OSS with the identity")
    func byNameAndTable() throws {
        let host = try ConfiguredHost("enc-byname")
        let key = try makeIdentity(host.elsewhere)
        let text = try String(contentsOf: host.config, encoding: .utf8)
        try Data((text + "\nencryption:\n  recipients: [\(key.recipient)]\n").utf8).write(to: host.config)
        let run = try host.vaultops(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let name = "db_\(todayStamp()).sql.gz.age"
        #expect(FileManager.default.fileExists(atPath: host.dir.file("backups/\(name)").path))
        let original = try host.titles()

        // The newest artifact of source db is the encrypted one; without the identity nothing is restored.
        let noKey = try host.vaultops(["restore", "db", "--latest", "--table", "public.work_orders", "--rename-to", "work_orders_copy", "--yes"])
        #expect(noKey.status == 2, "\(noKey.stdout)\(noKey.stderr)")
        #expect(noKey.stderr.contains("--identity"), "\(noKey.stderr)")
        let copy = try host.vaultops(["restore", "db", "--latest", "--table", "public.work_orders", "--rename-to", "work_orders_copy",
                                      "--yes", "--identity", key.path])
        #expect(copy.status == 0, "\(copy.stdout)\(copy.stderr)")
        #expect(copy.stderr.contains("public.work_orders_copy: created beside the live tables"), "\(copy.stderr)")
        #expect(try PostgresTestServer.psql("SELECT count(*) || ' ' || max(title) FROM work_orders_copy", database: host.database) == original)

        // --list reads the plaintext, decrypted as a restore would; without the identity it refuses.
        let file = host.dir.file("backups/\(name)").path
        let listNoKey = try host.vaultops(["restore", file, "--list"])
        #expect(listNoKey.status == 2 && listNoKey.stderr.contains("--identity"), "\(listNoKey.stdout)\(listNoKey.stderr)")
        let list = try host.vaultops(["restore", file, "--list", "--identity", key.path])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("\tTABLE DATA\tpublic\twork_orders\t"), "\(list.stdout)")

        // The disk is lost: the encrypted artifact comes from OSS, is checked whole, and one table is put back.
        try FileManager.default.removeItem(at: host.dir.file("backups/\(name)"))
        try FileManager.default.removeItem(at: host.dir.file("backups/\(name).manifest.json"))
        try PostgresTestServer.psql("DELETE FROM work_orders WHERE id > 3", database: host.database)
        // Replacing the live table is refused without --force (issue 22), and the plan says so.
        let noForce = try host.vaultops(["restore", name, "--table", "public.work_orders", "--yes", "--identity", key.path])
        #expect(noForce.status == 2, "\(noForce.stdout)\(noForce.stderr)")
        #expect(noForce.stderr.contains("replaces public.work_orders: dropped and restored from the dump (refused without --force)"), "\(noForce.stderr)")
        #expect(noForce.stderr.contains("already has table(s) public.work_orders"), "\(noForce.stderr)")
        let remote = try host.vaultops(["restore", name, "--table", "public.work_orders", "--force", "--yes", "--identity", key.path])
        #expect(remote.status == 0, "\(remote.stdout)\(remote.stderr)")
        #expect(remote.stderr.contains("replaces public.work_orders: dropped and restored from the dump (--force)"), "\(remote.stderr)")
        #expect(remote.stderr.contains("oss://\(host.bucket)/nightly/\(name)"), "\(remote.stderr)")
        #expect(try host.titles() == original)
    }
}
