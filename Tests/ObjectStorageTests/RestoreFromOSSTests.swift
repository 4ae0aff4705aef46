import Foundation
import Testing
import TestSupport

@Suite("restore oss://BUCKET/KEY (CLI, emulator)")
struct RestoreFromOSSTests {
    @Test("a snapshot uploaded with its manifest restores from OSS; a damaged object is refused with exit 3")
    func restoreFromOSS() throws {
        let bucket = try OSSEmulator.freshBucket("restore")
        let env = try OSSEmulator.cliEnvironment()
        let dir = try TempDir("oss-restore")
        let db = dir.file("mms.db")
        let sql = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO t SELECT i, 'row ' || i FROM n;"
        #expect(try runProcess("sqlite3", [db.path, sql]).status == 0)
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        #expect(try vaultops(["backup", "sqlite", db.path, "--out", out.path]).status == 0)
        let artifacts = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        let name = try #require(artifacts.first { $0.hasSuffix(".db.gz") })
        let up = try vaultops(["upload", out.appendingPathComponent(name).path, out.appendingPathComponent(name + ".manifest.json").path,
                               "oss://\(bucket)/nightly/"], environment: env)
        #expect(up.status == 0, "\(up.stderr)")

        let target = dir.file("restored.db")
        let r = try vaultops(["restore", "oss://\(bucket)/nightly/\(name)", "--to", target.path], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try runProcess("sqlite3", [target.path, "PRAGMA integrity_check; SELECT count(*) FROM t;"]).stdout == "ok\n500\n")

        // The same name with other bytes: the manifest's SHA-256 no longer matches, so nothing is restored.
        let damaged = dir.file("damaged").appendingPathComponent(name)
        try FileManager.default.createDirectory(at: damaged.deletingLastPathComponent(), withIntermediateDirectories: true)
        var bytes = try Data(contentsOf: out.appendingPathComponent(name))
        bytes[bytes.count / 2] ^= 0x55
        try bytes.write(to: damaged)
        #expect(try vaultops(["upload", "--force", damaged.path, "oss://\(bucket)/nightly/"], environment: env).status == 0)
        let before = try Data(contentsOf: target)
        let bad = try vaultops(["restore", "oss://\(bucket)/nightly/\(name)", "--to", target.path], environment: env)
        #expect(bad.status == 3, "\(bad.stderr)")
        #expect(try Data(contentsOf: target) == before)
    }
}
