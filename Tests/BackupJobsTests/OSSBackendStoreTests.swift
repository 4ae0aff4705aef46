import BackupJobs
import Foundation
import ObjectStorage
import Retention
import Storage
import Testing
import TestSupport
import VaultopsCore

extension OSSEmulator {
    /// A client for the emulator, with quick retries.
    static func client() throws -> OSSClient {
        var config = try OSSConfiguration.fromEnvironment(cliEnvironment())
        config.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.02, maxDelay: 0.1)
        return OSSClient(configuration: config)
    }
}

@Suite("Prune store over an OSS backend (emulator)")
struct OSSBackendStoreTests {
    @Test("prefixes are normalised", arguments: [("", ""), ("nightly", "nightly/"), ("nightly/", "nightly/"), ("/a/b", "a/b/")])
    func prefix(raw: String, expected: String) {
        #expect(OSSBackend.normalized(prefix: raw) == expected)
    }

    @Test("lists every page directly under the prefix plus open multipart uploads; removal is idempotent")
    func listAndRemove() throws {
        let bucket = try OSSEmulator.freshBucket("store")
        // 1,205 keys: more than one ListObjectsV2 page of 1,000.
        var keys = (0..<1200).map { String(format: "nightly/db_2025%04d.sql.gz", $0) }
        keys += ["nightly/sub/deeper.sql.gz", "other/db_20250101.sql.gz", "nightly/a b+c.sql.gz", "nightly/中文_20250101.db.gz", "nightly"]
        try OSSEmulator.seed(bucket, keys: keys)
        let client = try OSSEmulator.client()
        let upload = try client.initiateMultipartUpload(bucket: bucket, key: "nightly/db_20250102.sql.gz")
        let store = BackendStore(OSSBackend(client: client, bucket: bucket, prefix: "nightly"))
        #expect(store.location == "oss://\(bucket)/nightly/")

        let listed = try store.list()
        let files = listed.filter { $0.kind == .file }
        #expect(files.count == 1202)
        #expect(files.contains { $0.name == "a b+c.sql.gz" && $0.size == Int64("nightly/a b+c.sql.gz".utf8.count) })
        #expect(files.contains { $0.name == "中文_20250101.db.gz" })
        #expect(listed.contains { $0.name == "sub/" && $0.kind == .other })
        #expect(!listed.contains { $0.name.contains("other") || $0.name.contains("deeper") })
        let uploads = listed.filter { if case .multipartUpload = $0.kind { return true } else { return false } }
        #expect(uploads.map(\.name) == ["db_20250102.sql.gz"])
        #expect(uploads.first?.kind == .multipartUpload(uploadID: upload))

        // Reading is ranged: only the first `limit` bytes come back.
        let target = try #require(files.first { $0.name == "a b+c.sql.gz" })
        #expect(try store.read(target, limit: 7) == Data("nightly".utf8))
        #expect(try store.read(target, limit: 1 << 20) == Data("nightly/a b+c.sql.gz".utf8))

        try store.remove(target)
        try store.remove(target)
        try store.remove(uploads[0])
        try store.remove(uploads[0])
        let after = try store.list()
        #expect(!after.contains { $0.name == "a b+c.sql.gz" })
        #expect(!after.contains { if case .multipartUpload = $0.kind { return true } else { return false } })
        #expect(try client.headObject(bucket: "\(bucket)", key: "other/db_20250101.sql.gz").size > 0)
        #expect(throws: RetentionError.self) {
            try store.remove(StoredObject(name: "sub/", size: 0, modified: nil, kind: .other))
        }
    }

    @Test("a bit-flipped newest object is not the anchor: --keep-last 1 keeps the newest good one (CRC-64 or SHA-256)",
          arguments: [true, false])
    func bitFlippedNewestOnOSS(crcInManifest: Bool) throws {
        let bucket = try OSSEmulator.freshBucket("flip")
        let client = try OSSEmulator.client()
        let utc = TimeZone(identifier: "UTC")!
        for (index, day) in ["20250412", "20250413", "20250414", "20250415"].enumerated() {
            let name = "db_\(day).sql.gz"
            let good = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) })
            var stored = good
            if day == "20250415" { stored[2500] ^= 0x01 }
            let created = Date(timeIntervalSince1970: 1_744_423_200 + Double(index) * 86_400)
            var manifest = Manifest(kind: .postgres, source: "postgres://app@db/app", createdAt: created, artifact: name,
                                    sizeBytes: Int64(good.count), sha256: String(try runProcess("sha256sum", ["-"], stdin: good).stdout.prefix(64)),
                                    uncompressedBytes: 15000, durationSeconds: 1)
            if crcInManifest { manifest.extra = [ManifestSummary.crc64Key: String(CRC64.checksum(good))] }
            try client.putObject(bucket: bucket, key: "nightly/\(name)", data: stored)
            try client.putObject(bucket: bucket, key: "nightly/\(name).manifest.json", data: try manifest.encoded())
        }
        let store = BackendStore(OSSBackend(client: client, bucket: bucket, prefix: "nightly/"))
        let now = Date(timeIntervalSince1970: 1_744_423_200 + 4 * 86_400)
        let report = try Pruner.run(store: store, policy: RetentionPolicy(keepLast: 1), now: now, timeZone: utc, dryRun: false)
        let left = Set(try store.list().map(\.name))
        #expect(left.contains("db_20250414.sql.gz") && left.contains("db_20250414.sql.gz.manifest.json"), "\(report.text)")
        #expect(report.plan.warnings.contains { $0.contains("db_20250415.sql.gz") && $0.contains(crcInManifest ? "CRC-64" : "SHA-256") },
                "\(report.plan.warnings)")
        let anchor = report.plan.artifacts.first { $0.decision.reasons.contains(.newestVerified(source: "db")) }
        #expect(anchor?.object.name == "db_20250414.sql.gz")
        #expect(anchor?.verifiedLabel == "yes")
    }

    @Test("every delete refused (no delete permission): the summary says nothing was removed and lists them as protected")
    func refusedDeletesAreNotCounted() throws {
        let bucket = try OSSEmulator.freshBucket("nodelete")
        let client = try OSSEmulator.client()
        for day in ["20250101", "20250102", "20250415"] {
            let name = "db_\(day).sql.gz"
            let body = Data("backup \(day)".utf8)
            let manifest = Manifest(kind: .postgres, source: "postgres://app@db/app",
                                    createdAt: Manifest.parseTimestamp("\(day.prefix(4))-\(day.dropFirst(4).prefix(2))-\(day.suffix(2))T02:00:00Z")!,
                                    artifact: name, sizeBytes: Int64(body.count),
                                    sha256: String(try runProcess("sha256sum", ["-"], stdin: body).stdout.prefix(64)),
                                    uncompressedBytes: 1, durationSeconds: 1)
            try client.putObject(bucket: bucket, key: "nightly/\(name)", data: body)
            try client.putObject(bucket: bucket, key: "nightly/\(name).manifest.json", data: try manifest.encoded())
        }
        _ = try OSSEmulator.control("POST", "faults", body: try JSONSerialization.data(withJSONObject: [
            "bucket": bucket, "op": "DeleteMultipleObjects", "action": "status", "status": 403, "code": "AccessDenied", "times": 100,
        ]))
        let store = BackendStore(OSSBackend(client: client, bucket: bucket, prefix: "nightly/"))
        let report = try Pruner.run(store: store, policy: RetentionPolicy(keepDays: 30),
                                    now: Manifest.parseTimestamp("2025-04-15T12:00:00Z")!, timeZone: TimeZone(identifier: "UTC")!,
                                    dryRun: false)
        // #23: a key that may not delete (the two-key pattern) makes the objects protected, not failures.
        #expect(report.failures.isEmpty && report.protected.count == 2 && report.succeeded)
        #expect(report.summary.hasPrefix("Removed 0 artifacts with 0 manifests and 0 leftovers (0 B)"), "\(report.summary)")
        #expect(report.summary.contains("2 protected (kept)"))
        #expect(try store.list().count == 6)
    }

    @Test("an unreachable endpoint is a listFailed error naming the location, without the secret")
    func unreachable() throws {
        var config = OSSConfiguration(endpoint: try OSSEndpoint(parsing: "http://127.0.0.1:9"), region: "cn-hangzhou",
                                      credentials: OSSCredentials(accessKeyId: "LTAIid", accessKeySecret: "never-printed-secret"))
        config.retry = RetryPolicy(maxAttempts: 1)
        let store = BackendStore(OSSBackend(client: OSSClient(configuration: config), bucket: "some-bucket", prefix: "p/"))
        let error = try #require(throws: RetentionError.self) { try store.list() }
        #expect(error.code == .listFailed)
        #expect(error.description.contains("oss://some-bucket/p/"))
        #expect(!error.description.contains("never-printed-secret"))
    }
}
