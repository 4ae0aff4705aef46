import Foundation
@testable import ObjectStorage
import Storage
import Testing
import TestSupport
import VaultopsCore

/// One recorded case of Fixtures/oss/object-header-vectors.json (generate_object_headers.py, official SDK).
struct ObjectHeaderCase: Decodable, Sendable, CustomTestStringConvertible {
    var operation: String
    var storageClass: String
    var serverSideEncryption: String?
    var kmsKeyId: String?
    var headers: [String: String]
    var testDescription: String { "\(operation) \(storageClass) \(serverSideEncryption ?? "-") \(kmsKeyId == nil ? "" : "key")" }
}

struct RestoreVector: Decodable, Sendable {
    var days: Int
    var method: String
    var path: String
    var body: String
}

struct LifecycleVector: Decodable, Sendable {
    var id: String
    var prefix: String
    var days: Int
    var storageClass: String
    var method: String
    var path: String
    var body: String
}

struct ObjectHeaderVectors: Decodable {
    var objects: [ObjectHeaderCase]
    var restores: [RestoreVector]
    var lifecycles: [LifecycleVector]

    static func load() -> ObjectHeaderVectors {
        do {
            return try JSONDecoder().decode(ObjectHeaderVectors.self,
                                            from: Data(contentsOf: Fixtures.root.appendingPathComponent("oss/object-header-vectors.json")))
        } catch {
            Issue.record("cannot load Fixtures/oss/object-header-vectors.json: \(error)")
            return ObjectHeaderVectors(objects: [], restores: [], lifecycles: [])
        }
    }
}

@Suite("Storage classes, server-side encryption and archive restores")
struct StorageClassTests {
    static func settings(_ encryption: String?, _ keyID: String?, _ storageClass: String) throws -> ObjectWriteSettings {
        ObjectWriteSettings(storageClass: StorageClass(parsing: storageClass),
                            encryption: try encryption.map { try ServerSideEncryption(parsing: $0, kmsKeyID: keyID) })
    }

    @Test("the headers the official SDK sends for each class and encryption", arguments: ObjectHeaderVectors.load().objects)
    func goldenHeaders(_ c: ObjectHeaderCase) throws {
        let ours = try Self.settings(c.serverSideEncryption, c.kmsKeyId, c.storageClass).headers
        #expect(Dictionary(uniqueKeysWithValues: ours) == c.headers)
    }

    @Test("RestoreObject: the SDK's method, sub-resource and body")
    func goldenRestore() {
        let vectors = ObjectHeaderVectors.load().restores
        #expect(!vectors.isEmpty)
        for v in vectors {
            #expect(v.method == "POST" && v.path.hasSuffix("?restore="))
            #expect(String(decoding: OSSClient.restoreRequestBody(days: v.days), as: UTF8.self) == v.body)
        }
    }

    @Test("config: storage_class, server_side_encryption and kms_key_id are checked and reach the client")
    func configuration() throws {
        func load(_ lines: String) throws -> Config {
            try ConfigLoader.parse(yaml: "oss:\n  bucket: b\n" + lines, file: "/etc/vaultops/vaultops.yml",
                                   baseDirectory: URL(fileURLWithPath: "/etc/vaultops"))
        }
        let config = try load("  storage_class: ia\n  server_side_encryption: KMS\n  kms_key_id: key-1\n")
        let env = ["OSS_ENDPOINT": "oss-cn-hangzhou.aliyuncs.com", "OSS_ACCESS_KEY_ID": "i", "OSS_ACCESS_KEY_SECRET": "s"]
        let write = try OSSSettings(config: config, environment: env).configuration().write
        #expect(write == ObjectWriteSettings(storageClass: .infrequentAccess, encryption: .kms(keyID: "key-1")))
        #expect(throws: ConfigError.self) { try load("  storage_class: Glacier\n") }
        #expect(throws: ConfigError.self) { try load("  server_side_encryption: AES256\n  kms_key_id: k\n") }
    }

    @Test("put and multipart upload store each class and encryption; HeadObject and listings report them")
    func putAndMultipart() throws {
        let bucket = try OSSEmulator.freshBucket("classes")
        let dir = try TempDir("classes")
        let big = dir.file("big.bin")
        try testBytes(600_000, seed: 5).write(to: big)
        for (index, storageClass) in StorageClass.allCases.enumerated() {
            var configuration = try OSSEmulator.configuration()
            configuration.write = ObjectWriteSettings(storageClass: storageClass,
                                                      encryption: index % 2 == 0 ? .aes256 : .kms(keyID: "cmk-\(index)"))
            configuration.multipartThreshold = 300_000
            configuration.partSize = 200_000
            let client = OSSClient(configuration: configuration)
            try client.putObject(bucket: bucket, key: "small-\(storageClass.rawValue)", data: Data("x".utf8))
            let result = try client.uploadFile(at: big.path, bucket: bucket, key: "big-\(storageClass.rawValue)")
            #expect(result.multipart)
            for key in ["small-\(storageClass.rawValue)", "big-\(storageClass.rawValue)"] {
                #expect(try client.headObject(bucket: bucket, key: key).storageClass == storageClass.rawValue)
            }
        }
        let listed = try OSSBackend(client: OSSClient(configuration: try OSSEmulator.configuration()), bucket: bucket)
            .list(prefix: "small-", recursive: true)
        #expect(listed.map { $0.storageClass ?? "" } == ["Archive", "ColdArchive", "IA", "Standard"])
    }

    @Test("a transition rule is the SDK's PutBucketLifecycle body")
    func goldenLifecycle() throws {
        let vectors = ObjectHeaderVectors.load().lifecycles
        #expect(!vectors.isEmpty)
        for v in vectors {
            let rule = try TransitionRule(prefix: v.prefix, days: v.days, storageClass: try #require(StorageClass(parsing: v.storageClass)))
            #expect(rule.id == v.id)
            #expect(TransitionRule.configuration([rule.xml]) == v.body)
            #expect(v.method == "PUT" && v.path.hasSuffix("/?lifecycle="))
        }
        #expect(throws: ObjectStorageError.self) { try TransitionRule(prefix: "", days: 0, storageClass: .archive) }
    }

    @Test("lifecycle prints the rule; --apply adds it, replaces vaultops' own on a re-run and keeps other rules")
    func lifecycleCommand() throws {
        let bucket = try OSSEmulator.freshBucket("lifecycle")
        let env = try OSSEmulator.cliEnvironment()
        let printed = try vaultops(["lifecycle", "oss://\(bucket)/nightly/", "--after-days", "30", "--storage-class", "archive"],
                                   environment: env)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("<ID>vaultops-transition-nightly</ID><Transition><Days>30</Days><StorageClass>Archive</StorageClass>"))
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        #expect(try client.bucketLifecycle(bucket: bucket) == nil, "printing applies nothing")
        let other = "<Rule><ID>someone-else</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule>"
        var put = OSSRequest(method: "PUT", bucket: bucket, query: [QueryItem("lifecycle")])
        put.setHeader("Content-Type", "application/xml")
        _ = try client.send("PutBucketLifecycle", put, body: .data(Data(TransitionRule.configuration([other]).utf8)))
        var r = try vaultops(["lifecycle", "oss://\(bucket)/nightly/", "--after-days", "30", "--storage-class", "IA", "--apply"], environment: env)
        #expect(r.status == 0 && r.stdout.contains("added lifecycle rule vaultops-transition-nightly"), "\(r.stdout)\(r.stderr)")
        r = try vaultops(["lifecycle", "oss://\(bucket)/nightly/", "--after-days", "60", "--storage-class", "Archive", "--apply"], environment: env)
        #expect(r.status == 0 && r.stdout.contains("replaced") && r.stdout.contains("(2 rule(s) in all)"), "\(r.stdout)\(r.stderr)")
        let now = try #require(try client.bucketLifecycle(bucket: bucket))
        #expect(TransitionRule.rules(in: now) == [other, try TransitionRule(prefix: "nightly/", days: 60, storageClass: .archive).xml])
        let bad = try vaultops(["lifecycle", "oss://\(bucket)/x/", "--after-days", "30", "--storage-class", "Glacier"], environment: env)
        #expect(bad.status == 2)
    }

    @Test("upload --storage-class/--server-side-encryption: the object is stored so; bad values are usage errors")
    func uploadOptions() throws {
        let bucket = try OSSEmulator.freshBucket("uploadclass")
        let dir = try TempDir("uploadclass")
        try Data("dump".utf8).write(to: dir.file("db_20250101.sql.gz"))
        let env = try OSSEmulator.cliEnvironment()
        let r = try vaultops(["upload", dir.file("db_20250101.sql.gz").path, "oss://\(bucket)/n/", "--storage-class", "IA",
                              "--server-side-encryption", "KMS", "--kms-key-id", "cmk-1"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try OSSClient(configuration: try OSSEmulator.configuration()).headObject(bucket: bucket, key: "n/db_20250101.sql.gz")
            .storageClass == "IA")
        let listed = try vaultops(["ls", "oss://\(bucket)/n/"], environment: env)
        #expect(listed.stdout.contains(" IA ") && listed.stdout.contains("n/db_20250101.sql.gz"), "\(listed.stdout)")
        for bad in [["--storage-class", "Glacier"], ["--server-side-encryption", "DES"], ["--kms-key-id", "k"]] {
            let refused = try vaultops(["upload", dir.file("db_20250101.sql.gz").path, "oss://\(bucket)/m/"] + bad, environment: env)
            #expect(refused.status == 2, "\(bad): \(refused.stderr)")
        }
    }

    /// An Archive object of `bytes` in a fresh bucket whose restores take `delay` seconds.
    static func archived(_ label: String, _ bytes: Data, delay: Double) throws -> (bucket: String, key: String) {
        let bucket = try OSSEmulator.freshBucket(label)
        try OSSEmulator.control("POST", "restore-delay?bucket=\(bucket)&seconds=\(delay)")
        var configuration = try OSSEmulator.configuration()
        configuration.write.storageClass = .archive
        try OSSClient(configuration: configuration).putObject(bucket: bucket, key: "db.sql.gz", data: bytes)
        return (bucket, "db.sql.gz")
    }

    @Test("download of an Archive object: RestoreObject, says how long, exits 9 without --wait; with it, waits and verifies")
    func archiveRestore() throws {
        let bytes = testBytes(50_000, seed: 9)
        // Restores take 6 s here, so the second command surely finds the first one's restore still running.
        let (bucket, key) = try Self.archived("archive", bytes, delay: 6)
        let dir = try TempDir("archive")
        var env = try OSSEmulator.cliEnvironment()
        env["NO_COLOR"] = "1"
        let first = try vaultops(["download", "oss://\(bucket)/\(key)", dir.file("a").path], environment: env)
        #expect(first.status == 9, "\(first.stderr)")
        #expect(first.stderr.contains("restore requested (RestoreObject); it takes about a minute"), "\(first.stderr)")
        #expect(first.stderr.contains("add --wait"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no partial download is left behind")
        let again = try vaultops(["download", "oss://\(bucket)/\(key)", dir.file("b").path], environment: env)
        #expect(again.status == 9 && again.stderr.contains("a restore is already running"), "\(again.stderr)")

        var settings = OSSSettings(environment: env)
        settings.waitForRestore = true
        settings.restorePollInterval = 0.3
        let statuses = Lines()
        settings.onRestoreStatus = { statuses.append($0) }
        let backend = try settings.backend(bucket: bucket)
        let loaded = try backend.load(key, to: dir.file("c"), progress: nil)
        #expect(loaded.crc64 == CRC64.checksum(bytes))
        #expect(try Data(contentsOf: dir.file("c")) == bytes)
        #expect(statuses.all.last == "oss://\(bucket)/\(key) is restored; downloading")
        let log = try OSSEmulator.log(bucket)
        #expect(log.filter { $0.op == "RestoreObject" }.count >= 1)
        #expect(log.contains { $0.op == "GetObject" && $0.code == "InvalidObjectState" })
    }

    @Test("restore oss://… of an Archive object with --wait restores the artifact once OSS has")
    func restoreCommandWaits() throws {
        let source = try TempDir("archive-src")
        try FileManager.default.createDirectory(at: source.file("data"), withIntermediateDirectories: true)
        try Data("kept\n".utf8).write(to: source.file("data/a.txt"))
        let out = source.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let made = try vaultops(["backup", "files", source.file("data").path, "--out", out.path])
        try #require(made.status == 0, "\(made.stderr)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix(".tar.gz") })
        let (bucket, _) = try Self.archived("archiverestore", try Data(contentsOf: out.appendingPathComponent(name)), delay: 0.5)
        // Stored under the artifact's own name (the name tells restore its format).
        var configuration = try OSSEmulator.configuration()
        configuration.write.storageClass = .archive
        try OSSClient(configuration: configuration).putObject(bucket: bucket, key: name,
                                                              data: try Data(contentsOf: out.appendingPathComponent(name)))
        let key = name
        let target = try TempDir("archive-dst")
        var env = try OSSEmulator.cliEnvironment()
        env["NO_COLOR"] = "1"
        let pending = try vaultops(["restore", "oss://\(bucket)/\(key)", "--to", target.file("out").path], environment: env)
        #expect(pending.status == 9, "\(pending.stderr)")
        Thread.sleep(forTimeInterval: 0.8)
        let done = try vaultops(["restore", "oss://\(bucket)/\(key)", "--to", target.file("out").path, "--wait"], environment: env)
        #expect(done.status == 0, "\(done.stderr)")
        let restored = FileManager.default.enumerator(atPath: target.file("out").path)?.compactMap { $0 as? String }
            .first { $0.hasSuffix("a.txt") }
        #expect(try String(contentsOf: target.file("out/\(try #require(restored))"), encoding: .utf8) == "kept\n")
    }
}

/// Lines collected from another thread.
final class Lines: @unchecked Sendable {
    // Safety: `lines` is only touched under `lock`.
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
