import Foundation
@testable import ObjectStorage
import Testing
import TestSupport

@Suite("vaultops upload ARTIFACT MANIFEST records the CRC-64 as run does (CLI, emulator)")
struct UploadManifestTests {
    /// A SQLite backup (artifact and manifest) in a fresh folder.
    static func backup(_ dir: TempDir) throws -> (artifact: URL, manifest: URL) {
        let db = dir.file("mms.db")
        #expect(try runProcess("sqlite3", [db.path, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a');"]).status == 0)
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        #expect(try vaultops(["backup", "sqlite", db.path, "--out", out.path]).status == 0)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix(".db.gz") })
        return (out.appendingPathComponent(name), out.appendingPathComponent(name + ".manifest.json"))
    }

    @Test("the manifest uploaded beside its artifact records crc64ecma, the CRC-64 OSS reports for the artifact")
    func recordsCRC64() throws {
        let bucket = try OSSEmulator.freshBucket("upcrc")
        let dir = try TempDir("upload-crc")
        let (artifact, manifest) = try Self.backup(dir)
        let r = try vaultops(["upload", artifact.path, manifest.path, "oss://\(bucket)/nightly/"], environment: try OSSEmulator.cliEnvironment())
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("-> oss://\(bucket)/nightly/\(artifact.lastPathComponent) "))
        #expect(r.stdout.contains("-> oss://\(bucket)/nightly/\(manifest.lastPathComponent) "))

        let client = OSSClient(configuration: try OSSEmulator.configuration())
        let uploaded = try client.getObject(bucket: bucket, key: "nightly/" + manifest.lastPathComponent)
        let json = try #require(try JSONSerialization.jsonObject(with: uploaded) as? [String: Any])
        let extra = try #require(json["extra"] as? [String: String])
        let expected = CRC64.checksum(try Data(contentsOf: artifact))
        #expect(extra["crc64ecma"] == String(expected))
        #expect(try client.headObject(bucket: bucket, key: "nightly/" + artifact.lastPathComponent).crc64 == expected)
    }

    @Test("an artifact whose manifest does not describe it is refused and nothing is uploaded")
    func refusesChangedArtifact() throws {
        let bucket = try OSSEmulator.freshBucket("upchanged")
        let dir = try TempDir("upload-changed")
        let (artifact, manifest) = try Self.backup(dir)
        var bytes = try Data(contentsOf: artifact)
        bytes[bytes.count / 2] ^= 0x55
        try bytes.write(to: artifact)
        let r = try vaultops(["upload", artifact.path, manifest.path, "oss://\(bucket)/nightly/"], environment: try OSSEmulator.cliEnvironment())
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(artifact.path) changed since it was verified"), "\(r.stderr)")
        #expect(try OSSClient(configuration: try OSSEmulator.configuration()).listObjects(bucket: bucket).isEmpty)
    }
}
