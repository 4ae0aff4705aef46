import Foundation
import Testing
import TestSupport

/// An identity made by `vaultops keygen -o` in `dir`, and its recipient.
func makeIdentity(_ dir: TempDir, _ name: String = "key.txt") throws -> (path: String, recipient: String) {
    let path = dir.file(name).path
    let r = try vaultops(["keygen", "-o", path])
    try #require(r.status == 0, "keygen failed: \(r.stderr)")
    return (path, r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
}

/// Rewrites the manifest's size and SHA-256 to match the artifact as it is now, so that only the age layer can tell
/// a damaged file. A forger drops the dump index too, whose offsets would no longer fit a cut file.
func rehash(_ artifact: URL) throws {
    let manifest = URL(fileURLWithPath: artifact.path + ".manifest.json")
    var json = try jsonObject(manifest)
    json["dump_index"] = nil
    json["sha256"] = try sha256sum(artifact)
    json["size_bytes"] = try Data(contentsOf: artifact).count
    try JSONSerialization.data(withJSONObject: json).write(to: manifest)
}

/// Where an age file's payload starts: after the `--- MAC` line and the 16-byte nonce.
func agePayloadOffset(_ data: Data) throws -> Int {
    let marker = Data("\n--- ".utf8)
    let mac = try #require(data.range(of: marker))
    let end = try #require(data[mac.upperBound...].firstIndex(of: 0x0A))
    return end + 1 + 16
}

/// A database of several hundred KiB of dump (several age chunks) on the test server; returns its name.
func makeEncryptionDatabase() throws -> String {
    let name = try PostgresTestServer.freshDatabase("enc")
    try PostgresTestServer.psql("""
        CREATE TABLE parts (id bigint PRIMARY KEY, code text NOT NULL, note text);
        INSERT INTO parts SELECT g, 'P' || g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 12000) g;
        """, database: name)
    return name
}

func tableContents(_ database: String) throws -> String {
    try PostgresTestServer.psql("COPY (SELECT * FROM parts ORDER BY 1) TO STDOUT", database: database)
}

func publicTables(_ database: String) throws -> String {
    try PostgresTestServer.psql("SELECT coalesce(string_agg(tablename, ','), '') FROM pg_tables WHERE schemaname = 'public'", database: database)
}

@Suite("encrypted backups: keygen, backup, verify, restore, age interop (CLI)")
struct EncryptedBackupTests {
    @Test("keygen -o writes an age-keygen identity (mode 0600), prints its recipient, never overwrites")
    func keygen() throws {
        let dir = try TempDir("keygen")
        let (path, recipient) = try makeIdentity(dir)
        #expect(try mode(of: URL(fileURLWithPath: path)) & 0o777 == 0o600)
        let derived = try runProcess("age-keygen", ["-y", path])
        #expect(derived.status == 0, "\(derived.stderr)")
        #expect(derived.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == recipient)
        #expect(recipient.hasPrefix("age1") && recipient.count == 62)
        let again = try vaultops(["keygen", "-o", path])
        #expect(again.status != 0)
        #expect(again.stderr.contains("never overwritten"))
        #expect(try runProcess("age-keygen", ["-y", path]).stdout.contains(recipient))
        // Without -o: the file's text on standard output, as age-keygen writes it.
        let printed = try vaultops(["keygen"])
        #expect(printed.stdout.contains("# public key: age1") && printed.stdout.contains("AGE-SECRET-KEY-1"))
        #expect(printed.stderr.contains("Public key: age1"))
    }

    @Test("postgres: age -d | gunzip gives the dump; verify without the key; verify --deep and restore with it")
    func postgresRoundTrip() throws {
        let dir = try TempDir("enc-pg")
        let key = try makeIdentity(dir)
        let source = try makeEncryptionDatabase()
        let backup = try vaultops(["backup", "postgres", try PostgresTestServer.url(database: source), "--out", dir.path,
                                   "--name", "db", "--recipient", key.recipient])
        try #require(backup.status == 0, "\(backup.stderr)")
        let artifact = dir.file("db_\(todayStamp()).sql.gz.age")
        #expect(FileManager.default.fileExists(atPath: artifact.path))
        let manifest = try jsonObject(URL(fileURLWithPath: artifact.path + ".manifest.json"))
        #expect(manifest["sha256"] as? String == (try sha256sum(artifact)))
        #expect((manifest["encryption"] as? [String: Any])?["recipients"] as? [String] == [key.recipient])
        #expect(!(String(data: try Data(contentsOf: URL(fileURLWithPath: artifact.path + ".manifest.json")), encoding: .utf8)!.contains("AGE-SECRET-KEY")))

        // The standard tools read it.
        let piped = try shell("age -d -i '\(key.path)' '\(artifact.path)' | gunzip")
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout.contains("CREATE TABLE public.parts"))
        let viaPsql = try PostgresTestServer.freshDatabase("encpsql")
        let psql = try shell("age -d -i '\(key.path)' '\(artifact.path)' | gunzip | psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d '\(try PostgresTestServer.url(database: viaPsql))'")
        #expect(psql.status == 0, "\(psql.stderr)")
        #expect(try tableContents(viaPsql) == (try tableContents(source)))

        let plain = try vaultops(["verify", artifact.path])
        #expect(plain.status == 0, "\(plain.stdout)\(plain.stderr)")
        #expect(plain.stdout.contains("SHA-256 of the encrypted file match the manifest"))
        let server = try PostgresTestServer.adminURL()
        let deepNoKey = try vaultops(["verify", "--deep", "--server", server, artifact.path])
        #expect(deepNoKey.status == 2, "\(deepNoKey.stdout)")
        let deep = try vaultops(["verify", "--deep", "--server", server, "--identity", key.path, artifact.path])
        #expect(deep.status == 0, "\(deep.stdout)\(deep.stderr)")
        #expect(deep.stdout.contains("every age chunk authenticated") && deep.stdout.contains("restored into a scratch database"))

        let target = try PostgresTestServer.freshDatabase("encdst")
        let noKey = try vaultops(["restore", artifact.path, "--to", try PostgresTestServer.url(database: target)])
        #expect(noKey.status == 2)
        #expect(noKey.stderr.contains("--identity"))
        #expect(try publicTables(target) == "")
        let restore = try vaultops(["restore", artifact.path, "--to", try PostgresTestServer.url(database: target)],
                                   environment: ProcessInfo.processInfo.environment.merging(["VAULTOPS_IDENTITY_FILE": key.path]) { $1 })
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try tableContents(target) == (try tableContents(source)))
    }

    @Test("sqlite and folders: backup, verify (no key), verify --deep (key), restore identical; age -d | gunzip reads them")
    func sqliteAndFolderRoundTrip() throws {
        let dir = try TempDir("enc-files")
        let key = try makeIdentity(dir)
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        let root = try makeUploadsFolder(in: dir)
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let recipients = dir.file("recipients.txt")
        try Data("# backups\n\(key.recipient)\n".utf8).write(to: recipients)
        #expect(try vaultops(["backup", "sqlite", dir.file("mms.db").path, "--out", out.path, "--recipient", key.recipient]).status == 0)
        #expect(try vaultops(["backup", "files", root.path, "--out", out.path, "--recipients-file", recipients.path]).status == 0)
        let day = todayStamp()
        #expect(try artifacts(in: out) == ["mms_\(day).db.gz.age", "work-order-uploads_\(day).tar.gz.age"])
        let snapshot = out.appendingPathComponent("mms_\(day).db.gz.age")
        let archive = out.appendingPathComponent("work-order-uploads_\(day).tar.gz.age")

        let header = try shell("age -d -i '\(key.path)' '\(snapshot.path)' | gunzip | head -c 15")
        #expect(header.stdout == "SQLite format 3")
        let listing = try shell("age -d -i '\(key.path)' '\(archive.path)' | gunzip | tar -t")
        #expect(listing.status == 0 && listing.stdout.contains("WO 1001.txt"), "\(listing.stderr)")

        for artifact in [snapshot, archive] {
            #expect(try vaultops(["verify", artifact.path]).status == 0)
            let deep = try vaultops(["verify", "--deep", "--identity", key.path, artifact.path])
            #expect(deep.status == 0, "\(deep.stdout)")
        }
        let restoredDB = dir.file("restored.db")
        #expect(try vaultops(["restore", snapshot.path, "--to", restoredDB.path, "--identity", key.path]).status == 0)
        let dump = { (path: String) in try runProcess("sqlite3", [path, ".dump"]).stdout }
        #expect(try dump(restoredDB.path) == (try dump(dir.file("mms.db").path)))
        let restoredFolder = dir.file("restored")
        let r = try vaultops(["restore", archive.path, "--to", restoredFolder.path, "--identity", key.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try runProcess("diff", ["-r", "--no-dereference", root.path, restoredFolder.path]).status == 0)
    }

    @Test("a passphrase file: age -d (prompted on a terminal) reads the artifact; restore with --passphrase-file")
    func passphrase() throws {
        let dir = try TempDir("enc-pass")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        let secret = dir.file("pass.txt")
        try Data("correct horse battery staple\n".utf8).write(to: secret)
        let backup = try vaultops(["backup", "sqlite", dir.file("mms.db").path, "--out", dir.path, "--passphrase-file", secret.path])
        try #require(backup.status == 0, "\(backup.stderr)")
        let artifact = dir.file("mms_\(todayStamp()).db.gz.age")
        let decrypted = dir.file("mms.db.gz")
        let age = try ageWithTTY(["-d", "-o", decrypted.path, artifact.path], passphrase: "correct horse battery staple")
        #expect(age.status == 0, "\(age.stderr)")
        #expect(try shell("gunzip -c '\(decrypted.path)' | head -c 15").stdout == "SQLite format 3")
        let manifest = try jsonObject(URL(fileURLWithPath: artifact.path + ".manifest.json"))
        #expect((manifest["encryption"] as? [String: Any])?["recipients"] as? [String] == ["passphrase (scrypt)"])
        let restored = dir.file("restored.db")
        let r = try vaultops(["restore", artifact.path, "--to", restored.path, "--passphrase-file", secret.path])
        #expect(r.status == 0, "\(r.stderr)")
        let wrong = dir.file("wrong.txt")
        try Data("not it\n".utf8).write(to: wrong)
        let refused = try vaultops(["restore", artifact.path, "--to", dir.file("other.db").path, "--passphrase-file", wrong.path])
        #expect(refused.status == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.file("other.db").path))
    }

    @Test("plain artifacts ignore the identity variables: a stale VAULTOPS_IDENTITY_FILE breaks no plain restore or verify")
    func plainIgnoresIdentityVariables() throws {
        let dir = try TempDir("enc-plain")
        try makeSQLiteDatabase(at: dir.file("mms.db"))
        #expect(try vaultops(["backup", "sqlite", dir.file("mms.db").path, "--out", dir.path]).status == 0)
        let artifact = dir.file("mms_\(todayStamp()).db.gz")
        var env = ProcessInfo.processInfo.environment
        env["VAULTOPS_IDENTITY_FILE"] = dir.file("no-such-identity.txt").path
        let verify = try vaultops(["verify", "--deep", artifact.path], environment: env)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let restore = try vaultops(["restore", artifact.path, "--to", dir.file("restored.db").path], environment: env)
        #expect(restore.status == 0, "\(restore.stderr)")
    }

    enum Damage: String, CaseIterable, CustomStringConvertible {
        case tamperedChunk, truncated, swappedHeader, wrongKey, tamperedUnhashed
        var description: String { rawValue }
    }

    @Test("damage is refused with its exit code by verify --identity and restore, and nothing is restored",
          arguments: Damage.allCases)
    func damaged(_ damage: Damage) throws {
        let dir = try TempDir("enc-damage")
        let key = try makeIdentity(dir)
        let source = try makeEncryptionDatabase()
        let url = try PostgresTestServer.url(database: source)
        for out in ["a", "b"] {
            try FileManager.default.createDirectory(at: dir.file(out), withIntermediateDirectories: true)
            let r = try vaultops(["backup", "postgres", url, "--out", dir.file(out).path, "--name", "db", "--recipient", key.recipient])
            try #require(r.status == 0, "\(r.stderr)")
        }
        let artifact = dir.file("a/db_\(todayStamp()).sql.gz.age")
        var data = try Data(contentsOf: artifact)
        let payload = try agePayloadOffset(data)
        #expect(data.count > payload + 2 * 65_552, "the dump should span several chunks")
        var identity = key.path
        var expected: Int32 = 3
        switch damage {
        case .tamperedChunk, .tamperedUnhashed:
            data[payload + 65_552 + 100] ^= 0x01
        case .truncated:
            data = data.prefix(payload + 2 * 65_552)
        case .swappedHeader:
            let other = try Data(contentsOf: dir.file("b/db_\(todayStamp()).sql.gz.age"))
            data = other.prefix(try agePayloadOffset(other)) + data[payload...]
        case .wrongKey:
            identity = try makeIdentity(dir, "other.txt").path
            expected = 2
        }
        try data.write(to: artifact)
        if damage != .tamperedUnhashed { try rehash(artifact) }

        // Without the key only the manifest's checksum can tell, and the damage above was re-hashed into it.
        let plain = try vaultops(["verify", artifact.path])
        #expect(plain.status == (damage == .tamperedUnhashed ? 3 : 0), "\(plain.stdout)")
        let verify = try vaultops(["verify", "--identity", identity, artifact.path])
        #expect(verify.status == expected, "\(verify.stdout)\(verify.stderr)")
        let target = try PostgresTestServer.freshDatabase("encbad")
        let restore = try vaultops(["restore", artifact.path, "--to", try PostgresTestServer.url(database: target), "--identity", identity])
        #expect(restore.status == expected, "\(restore.stdout)\(restore.stderr)")
        #expect(restore.stderr.contains(expected == 2 ? "none of the keys" : "nothing was restored"), "\(restore.stderr)")
        #expect(try publicTables(target) == "")
    }
}
