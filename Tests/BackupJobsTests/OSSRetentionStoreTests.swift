import BackupJobs
import Foundation
import ObjectStorage
import Retention
import Testing
import TestSupport
import VaultopsCore

/// The OSS emulator that `.ci/oss-emulator/start` runs; tests fail loudly without it.
enum Emulator {
    static func env(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw TestSupportError("\(name) is not set: start the OSS emulator with `source .ci/oss-emulator/start` (bash .ci/run does this)")
        }
        return value
    }

    /// Calls the emulator's control API with Python's urllib.
    static func control(_ method: String, _ path: String, body: Data = Data()) throws -> String {
        let script = """
        import sys, urllib.request
        data = sys.stdin.buffer.read() if sys.argv[1] != "GET" else None
        r = urllib.request.urlopen(urllib.request.Request(sys.argv[2], method=sys.argv[1], data=data))
        sys.stdout.write(r.read().decode())
        """
        let r = try runProcess("python3", ["-c", script, method, try env("VAULTOPS_TEST_OSS_ENDPOINT") + "/__emulator/" + path], stdin: body)
        guard r.status == 0 else { throw TestSupportError("emulator control \(method) \(path) failed: \(r.stderr)") }
        return r.stdout
    }

    static func client() throws -> OSSClient {
        var config = OSSConfiguration(endpoint: try OSSEndpoint(parsing: try env("VAULTOPS_TEST_OSS_ENDPOINT")),
                                      region: try env("VAULTOPS_TEST_OSS_REGION"),
                                      credentials: OSSCredentials(accessKeyId: try env("VAULTOPS_TEST_OSS_ACCESS_KEY_ID"),
                                                                  accessKeySecret: try env("VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET")))
        config.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.02, maxDelay: 0.1)
        return OSSClient(configuration: config)
    }

    static func freshBucket(_ label: String) throws -> String {
        let name = "s-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try control("PUT", "buckets/\(name)")
        return name
    }
}

@Suite("OSS retention store (emulator)")
struct OSSRetentionStoreTests {
    @Test("prefixes are normalised", arguments: [("", ""), ("nightly", "nightly/"), ("nightly/", "nightly/"), ("/a/b", "a/b/")])
    func prefix(raw: String, expected: String) {
        #expect(OSSRetentionStore.normalized(prefix: raw) == expected)
    }

    @Test("lists every page directly under the prefix plus open multipart uploads; removal is idempotent")
    func listAndRemove() throws {
        let bucket = try Emulator.freshBucket("store")
        // 1,205 keys: more than one ListObjectsV2 page of 1,000.
        var keys = (0..<1200).map { String(format: "nightly/db_2025%04d.sql.gz", $0) }
        keys += ["nightly/sub/deeper.sql.gz", "other/db_20250101.sql.gz", "nightly/a b+c.sql.gz", "nightly/中文_20250101.db.gz", "nightly"]
        _ = try Emulator.control("POST", "seed?bucket=\(bucket)", body: try JSONSerialization.data(withJSONObject: keys))
        let client = try Emulator.client()
        let upload = try client.initiateMultipartUpload(bucket: bucket, key: "nightly/db_20250102.sql.gz")
        let store = OSSRetentionStore(client: client, bucket: bucket, prefix: "nightly")
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
        let bucket = try Emulator.freshBucket("flip")
        let client = try Emulator.client()
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
        let store = OSSRetentionStore(client: client, bucket: bucket, prefix: "nightly/")
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

    @Test("every delete refused (no delete permission): the summary says nothing was removed and lists the failures")
    func refusedDeletesAreNotCounted() throws {
        let bucket = try Emulator.freshBucket("nodelete")
        let client = try Emulator.client()
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
        _ = try Emulator.control("POST", "faults", body: try JSONSerialization.data(withJSONObject: [
            "bucket": bucket, "op": "DeleteMultipleObjects", "action": "status", "status": 403, "code": "AccessDenied", "times": 100,
        ]))
        let store = OSSRetentionStore(client: client, bucket: bucket, prefix: "nightly/")
        let report = try Pruner.run(store: store, policy: RetentionPolicy(keepDays: 30),
                                    now: Manifest.parseTimestamp("2025-04-15T12:00:00Z")!, timeZone: TimeZone(identifier: "UTC")!,
                                    dryRun: false)
        #expect(report.failures.count == 2)
        #expect(report.summary.hasPrefix("Removed 0 artifacts with 0 manifests and 0 leftovers (0 B)"), "\(report.summary)")
        #expect(report.summary.contains("2 removals failed"))
        #expect(try store.list().count == 6)
    }

    @Test("an unreachable endpoint is a listFailed error naming the location, without the secret")
    func unreachable() throws {
        var config = OSSConfiguration(endpoint: try OSSEndpoint(parsing: "http://127.0.0.1:9"), region: "cn-hangzhou",
                                      credentials: OSSCredentials(accessKeyId: "LTAIid", accessKeySecret: "never-printed-secret"))
        config.retry = RetryPolicy(maxAttempts: 1)
        let store = OSSRetentionStore(client: OSSClient(configuration: config), bucket: "some-bucket", prefix: "p/")
        let error = try #require(throws: RetentionError.self) { try store.list() }
        #expect(error.code == .listFailed)
        #expect(error.description.contains("oss://some-bucket/p/"))
        #expect(!error.description.contains("never-printed-secret"))
    }
}
