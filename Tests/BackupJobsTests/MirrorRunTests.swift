import BackupJobs
import Foundation
import ObjectStorage
import Testing
import TestSupport
import VaultopsCore

@Suite("run keeps a files source's mirror: current (emulator)")
struct MirrorRunTests {
    static func environment() throws -> [String: String] { try OSSEmulator.cliEnvironment() }

    static func config(_ dir: TempDir, _ yaml: String) throws -> Config {
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        return try ConfigLoader.parse(yaml: yaml, file: dir.file("vaultops.yml").path, baseDirectory: dir.url, environment: try environment())
    }

    @Test("after the archive the folder is mirrored, never deleting; a second run sends only the change")
    func mirrorAfterBackup() throws {
        let bucket = try OSSEmulator.freshBucket("runmirror")
        let dir = try TempDir("run-mirror")
        let uploads = dir.file("uploads")
        try FileManager.default.createDirectory(at: uploads.appendingPathComponent("2025/01"), withIntermediateDirectories: true)
        try Data("avatar".utf8).write(to: uploads.appendingPathComponent("2025/01/a.png"))
        try Data("report".utf8).write(to: uploads.appendingPathComponent("r 1.pdf"))
        try OSSEmulator.seed(bucket, keys: ["files/old-only-on-oss.txt"])
        let config = try Self.config(dir, """
            backup_dir: backups
            sources:
              - name: uploads
                files: [uploads]
                mirror: oss://\(bucket)/files/
            """)
        #expect(config.sources[0].mirror == "oss://\(bucket)/files/")
        var outcome = try RunJob.run(config: config, environment: try Self.environment(), log: { _ in })
        #expect(outcome.exitCode == .success, "\(outcome.sources.map { $0.error ?? "" })")
        var mirror = try #require(outcome.sources[0].mirror)
        #expect(mirror.ok && mirror.sent == 2 && mirror.skipped == 0 && mirror.failed == 0)
        #expect(mirror.location == "oss://\(bucket)/files/")
        #expect(outcome.sources[0].status.mirror == mirror)
        let client = try OSSEmulator.client()
        let keys = Set(try client.listObjects(bucket: bucket, prefix: "files/").map(\.key))
        #expect(keys == ["files/2025/01/a.png", "files/r 1.pdf", "files/old-only-on-oss.txt"])

        try Data("report v2".utf8).write(to: uploads.appendingPathComponent("r 1.pdf"))
        outcome = try RunJob.run(config: config, environment: try Self.environment(), log: { _ in })
        mirror = try #require(outcome.sources[0].mirror)
        #expect(mirror.ok && mirror.sent == 1 && mirror.skipped == 1)
        #expect(try client.getObject(bucket: bucket, key: "files/r 1.pdf") == Data("report v2".utf8))
        // The status file written by the run records the mirror.
        let status = try #require(try RunStatus.load(from: RunStatus.fileURL(backupDir: dir.file("backups").path)))
        #expect(status.sources.first?.mirror?.sent == 1)
    }

    @Test("a mirror failure fails the source (exit 5 with the archive safe)")
    func mirrorFailure() throws {
        let dir = try TempDir("run-mirror-fail")
        let uploads = dir.file("uploads")
        try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: uploads.appendingPathComponent("x.txt"))
        let config = try Self.config(dir, """
            backup_dir: backups
            sources:
              - name: uploads
                files: uploads
                mirror: oss://no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())/u/
            """)
        let outcome = try RunJob.run(config: config, environment: try Self.environment(), log: { _ in })
        #expect(outcome.sources[0].backedUp)
        #expect(!outcome.sources[0].succeeded)
        #expect(outcome.sources[0].error?.contains("NoSuchBucket") == true, "\(outcome.sources[0].error ?? "")")
        #expect(outcome.sources[0].mirror?.ok == false)
        #expect(outcome.exitCode == .partial)
    }

    @Test("a mirror target overlapping the backup prefix is refused, the archive still made")
    func overlapRefused() throws {
        let dir = try TempDir("run-mirror-overlap")
        let uploads = dir.file("uploads")
        try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: uploads.appendingPathComponent("x.txt"))
        let config = try Self.config(dir, """
            backup_dir: backups
            sources:
              - name: uploads
                files: uploads
                mirror: oss://same-bucket/nightly/files/
            oss:
              bucket: same-bucket
              prefix: nightly
            """)
        let outcome = try RunJob.run(config: config, environment: try Self.environment(), log: { _ in })
        #expect(outcome.sources[0].backedUp)
        #expect(outcome.sources[0].error?.contains("overlaps the backup prefix oss://same-bucket/nightly/") == true,
                "\(outcome.sources[0].error ?? "")")
        #expect(outcome.sources[0].mirror?.ok == false)
    }

    @Test("config: mirror is checked with key and line", arguments: [
        ("  - name: db\n    sqlite: a.db\n    mirror: oss://bucket-a/x/\n", 5, "applies to 'files' sources only"),
        ("  - name: up\n    files: [u]\n    mirror: s3://bucket-a/x/\n", 5, "expected oss://BUCKET/PREFIX/"),
        ("  - name: up\n    files: [u]\n    mirror: oss://Bad_Bucket/x/\n", 5, "is not a valid bucket name"),
        ("  - name: up\n    files: [u]\n    mirorr: oss://bucket-a/x/\n", 5, "unknown key 'sources[0].mirorr' (did you mean 'mirror'?)"),
    ])
    func configErrors(_ source: String, _ line: Int, _ message: String) throws {
        let dir = try TempDir("mirror-config")
        #expect {
            _ = try ConfigLoader.parse(yaml: "backup_dir: b\nsources:\n" + source, file: "vaultops.yml", baseDirectory: dir.url)
        } throws: { error in
            let e = error as? ConfigError
            return e?.line == line && e?.description.contains(message) == true
        }
    }
}
