import Foundation
import HTTP
@testable import ObjectStorage
import TestSupport
import Testing

@Suite("OSS client against the emulator")
struct ClientEmulatorTests {
    static let keys = ["plain.txt", "dir/sub dir/a b+c~d%e.gz", "中文/ファイル é.bin", "semi;colon,comma=eq&amp@!$'()*"]

    @Test("put, head, ranged get, list, delete", arguments: [
        (SignatureVersion.v4, false), (SignatureVersion.v4, true), (SignatureVersion.v1, false), (SignatureVersion.v1, true),
    ])
    func roundTrip(_ version: SignatureVersion, _ virtualHosted: Bool) throws {
        let bucket = try OSSEmulator.freshBucket("rt\(version.rawValue)\(virtualHosted ? "vh" : "path")")
        let client = OSSClient(configuration: try OSSEmulator.configuration(version: version, virtualHosted: virtualHosted))
        let data = testBytes(300_001)
        for key in Self.keys {
            let put = try client.putObject(bucket: bucket, key: key, data: data)
            #expect(put.crc64 == CRC64.checksum(data))
            #expect(put.etag == OSSDigest.md5Hex(data).uppercased())
            let info = try client.headObject(bucket: bucket, key: key)
            #expect(info.size == Int64(data.count))
            #expect(info.crc64 == put.crc64)
            #expect(try client.getObject(bucket: bucket, key: key, range: 1000...1999) == data.subdata(in: 1000..<2000))
        }
        let listed = try client.listObjects(bucket: bucket).map(\.key)
        #expect(listed == Self.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        for key in Self.keys { try client.deleteObject(bucket: bucket, key: key) }
        #expect(try client.listObjects(bucket: bucket).isEmpty)
        // Every request went to the emulator, and none was rejected.
        #expect(try OSSEmulator.log(bucket).allSatisfy(\.ok))
    }

    @Test("STS credentials sign with the security token", arguments: [SignatureVersion.v1, .v4])
    func sts(_ version: SignatureVersion) throws {
        let bucket = try OSSEmulator.freshBucket("sts")
        let client = OSSClient(configuration: try OSSEmulator.configuration(version: version, sts: true))
        try client.putObject(bucket: bucket, key: "k", data: Data("hello".utf8))
        #expect(try client.getObject(bucket: bucket, key: "k") == Data("hello".utf8))

        var wrongToken = try OSSEmulator.configuration(version: version, sts: true)
        wrongToken.credentials = OSSCredentials(accessKeyId: wrongToken.credentials.accessKeyId,
                                                accessKeySecret: wrongToken.credentials.accessKeySecret, securityToken: "forged")
        let error = #expect(throws: ObjectStorageError.self) {
            try OSSClient(configuration: wrongToken).getObject(bucket: bucket, key: "k")
        }
        #expect(error?.serviceCode == "InvalidSecurityToken")
        #expect(error?.description.contains("forged") == false)
    }

    @Test("a wrong secret fails with a message that says the signature was rejected", arguments: [SignatureVersion.v1, .v4])
    func wrongSecret(_ version: SignatureVersion) throws {
        let bucket = try OSSEmulator.freshBucket("badsecret")
        let secret = "definitely-not-the-secret-\(UUID().uuidString)"
        let client = OSSClient(configuration: try OSSEmulator.configuration(version: version, secret: secret))
        let error = #expect(throws: ObjectStorageError.self) {
            try client.putObject(bucket: bucket, key: "x", data: Data("x".utf8))
        }
        let text = error?.description ?? ""
        #expect(error?.httpStatus == 403)
        #expect(error?.serviceCode == "SignatureDoesNotMatch")
        #expect(text.contains("rejected the request signature"))
        #expect(text.contains("RequestId: "))
        #expect(text.contains("oss://\(bucket)/x"))
        #expect(!text.contains(secret))
        // Not retried: a bad signature stays bad.
        #expect(try OSSEmulator.log(bucket).count == 1)
    }

    @Test func missingBucket() throws {
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        let error = #expect(throws: ObjectStorageError.self) {
            try client.listObjects(bucket: "no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())")
        }
        #expect(error?.serviceCode == "NoSuchBucket")
        #expect(error?.httpStatus == 404)
        #expect(error?.description.contains("check the bucket name") == true)
    }

    @Test func missingKeyOnHead() throws {
        let bucket = try OSSEmulator.freshBucket("nokey")
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        let error = #expect(throws: ObjectStorageError.self) { try client.headObject(bucket: bucket, key: "nope") }
        #expect(error?.serviceCode == "NoSuchKey")
    }

    @Test("injected 500s, 503s and 429s are retried to success")
    func retriesServerErrors() throws {
        let bucket = try OSSEmulator.freshBucket("retry")
        try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "status", "status": 500, "times": 1])
        try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "status", "status": 503, "code": "ServiceUnavailable", "times": 1])
        try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "status", "status": 429, "code": "Throttling", "times": 1])
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        let retries = RetryLog()
        client.onRetry = { retries.append($0) }
        try client.putObject(bucket: bucket, key: "k", data: testBytes(5000))
        let puts = try OSSEmulator.log(bucket).filter { $0.op == "PutObject" }
        #expect(puts.map(\.status) == [.code(500), .code(503), .code(429), .code(200)])
        #expect(retries.lines.count == 3)
        #expect(try client.getObject(bucket: bucket, key: "k") == testBytes(5000))
    }

    @Test("a persistent 500 gives up after the policy's attempts with OSS's Code and RequestId")
    func givesUp() throws {
        let bucket = try OSSEmulator.freshBucket("giveup")
        try OSSEmulator.addFault(bucket: bucket, ["op": "GetObject", "action": "status", "status": 500, "times": 100])
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        try client.putObject(bucket: bucket, key: "k", data: Data("v".utf8))
        let error = #expect(throws: ObjectStorageError.self) { try client.getObject(bucket: bucket, key: "k") }
        #expect(error?.description.contains("HTTP 500 InternalError") == true)
        #expect(error?.description.contains("gave up after 5 attempts") == true)
        #expect(try OSSEmulator.log(bucket).filter { $0.op == "GetObject" }.count == 5)
    }

    @Test("connection resets mid-body are retried; a download resumes where it stopped")
    func resets() throws {
        let bucket = try OSSEmulator.freshBucket("reset")
        let data = testBytes(3_000_000)
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "reset", "after_bytes": 100_000, "times": 1])
        try client.putObject(bucket: bucket, key: "big", data: data)
        try OSSEmulator.addFault(bucket: bucket, ["op": "GetObject", "action": "reset", "after_bytes": 1_000_000, "times": 2])
        let dir = try TempDirectory()
        let dest = dir.url.appendingPathComponent("big").path
        let result = try client.download(bucket: bucket, key: "big", to: dest)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dest)) == data)
        #expect(result.crc64 == CRC64.checksum(data))
        let gets = try OSSEmulator.log(bucket).filter { $0.op == "GetObject" }
        #expect(gets.count == 3)  // 1 MB, then 1 MB more, then the last 1 MB: each resumed with a Range
        #expect(!FileManager.default.fileExists(atPath: dest + ".partial"))
    }

    @Test("an object replaced during a download is never spliced: the download fails and starts over next time")
    func objectChangesDuringDownload() throws {
        let bucket = try OSSEmulator.freshBucket("changed")
        let config = try OSSEmulator.configuration()
        try OSSClient(configuration: config).putObject(bucket: bucket, key: "k", data: testBytes(100_000, seed: 1))
        // The download reads the object's ETag (HeadObject), then GETs it with If-Match, and the GET waits 30 s inside
        // the emulator; another client replaces the object once the HeadObject is answered, so the replacement
        // always falls between the two (a fixed 2 s could come before the HeadObject on a loaded machine).
        try OSSEmulator.addFault(bucket: bucket, ["op": "GetObject", "action": "slow", "seconds": 30, "times": 1])
        let dir = try TempDirectory()
        let dest = dir.url.appendingPathComponent("k").path
        let outcome = RetryLog()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            do {
                _ = try OSSClient(configuration: config).download(bucket: bucket, key: "k", to: dest)
                outcome.append("ok")
            } catch {
                outcome.append(String(describing: error))
            }
            done.signal()
        }
        thread.start()
        let deadline = Date().addingTimeInterval(120)  // only a backstop
        while try !OSSEmulator.log(bucket).contains(where: { $0.op == "HeadObject" }), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        try OSSClient(configuration: config).putObject(bucket: bucket, key: "k", data: testBytes(100_000, seed: 2))
        done.wait()
        #expect(outcome.lines.first?.contains("HTTP 412 PreconditionFailed") == true, "\(outcome.lines)")
        #expect(outcome.lines.first?.contains("changed while it was downloading") == true)
        #expect(!FileManager.default.fileExists(atPath: dest))
        _ = try OSSClient(configuration: config).download(bucket: bucket, key: "k", to: dest)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dest)) == testBytes(100_000, seed: 2))
    }

    @Test("a stalled response times out and is retried")
    func slowResponse() throws {
        let bucket = try OSSEmulator.freshBucket("slow")
        var config = try OSSEmulator.configuration()
        config.stallTimeout = 1
        let client = OSSClient(configuration: config)
        let retries = RetryLog()
        client.onRetry = { retries.append($0) }
        try client.putObject(bucket: bucket, key: "k", data: Data("v".utf8))
        try OSSEmulator.addFault(bucket: bucket, ["op": "GetObject", "action": "slow", "seconds": 3, "times": 1])
        #expect(try client.getObject(bucket: bucket, key: "k") == Data("v".utf8))
        #expect(retries.lines.count == 1)
        #expect(retries.lines.first?.contains("GetObject") == true)
        #expect(retries.lines.first?.contains("curl error 28") == true)
    }

    @Test("RequestTimeTooSkewed corrects the clock and re-signs")
    func clockSkew() throws {
        let bucket = try OSSEmulator.freshBucket("skew")
        var config = try OSSEmulator.configuration()
        config.clock = { Date().addingTimeInterval(-3600) }  // an hour slow
        let client = OSSClient(configuration: config)
        try client.putObject(bucket: bucket, key: "k", data: Data("v".utf8))
        let puts = try OSSEmulator.log(bucket).filter { $0.op == "PutObject" }
        #expect(puts.map(\.status) == [.code(403), .code(200)])
        #expect(abs(client.clockOffset.seconds - 3600) < 120)
    }

    @Test("a wrong CRC-64 from OSS fails a PutObject loudly and is not retried")
    func wrongCRCPut() throws {
        let bucket = try OSSEmulator.freshBucket("crcput")
        try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "wrong-crc", "times": 1])
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        let error = #expect(throws: ObjectStorageError.self) { try client.putObject(bucket: bucket, key: "k", data: testBytes(1000)) }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.description.contains("CRC-64 mismatch") == true)
        #expect(try OSSEmulator.log(bucket).filter { $0.op == "PutObject" }.count == 1)
    }

    @Test("a CRC-64 mismatch on a single PutObject deletes the object, so a retry with overwrite: false uploads again",
          arguments: [false, true])
    func wrongCRCPutDeletes(fromFile: Bool) throws {
        let bucket = try OSSEmulator.freshBucket("crcdel")
        try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "wrong-crc", "times": 1])
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        let dir = try TempDirectory()
        let source = dir.url.appendingPathComponent("db_20250101.sql.gz")
        try testBytes(5000).write(to: source)
        func upload() throws {
            if fromFile {
                _ = try client.uploadFile(at: source.path, bucket: bucket, key: "nightly/db_20250101.sql.gz", overwrite: false)
            } else {
                try client.putObject(bucket: bucket, key: "nightly/db_20250101.sql.gz", data: testBytes(5000), overwrite: false)
            }
        }
        let error = #expect(throws: ObjectStorageError.self) { try upload() }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.description.contains("deleted") == true)
        #expect(try client.listObjects(bucket: bucket).isEmpty, "the object that failed its check must not stay behind")
        try upload()
        #expect(try client.headObject(bucket: bucket, key: "nightly/db_20250101.sql.gz").size == 5000)
    }

    @Test("a key with a '.' or '..' segment is refused before anything is signed or sent", arguments: [
        "nightly/../db.sql.gz", "../db.sql.gz", "nightly/./db.sql.gz", "nightly/..",
    ])
    func dotSegmentKey(key: String) throws {
        let bucket = try OSSEmulator.freshBucket("dotkey")
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        let error = #expect(throws: ObjectStorageError.self) { try client.putObject(bucket: bucket, key: key, data: testBytes(10)) }
        #expect(error?.description.contains("is not allowed") == true, "\(String(describing: error))")
        #expect(error?.description.contains("SignatureDoesNotMatch") == false)
        #expect(try OSSEmulator.log(bucket).isEmpty)
        // Dots inside a name are fine.
        try client.putObject(bucket: bucket, key: "nightly/db..v2.sql.gz", data: testBytes(10))
    }

    @Test("batch delete sends Content-MD5 and works in batches of 1000")
    func deleteXML() {
        let body = DeleteObjectsXML.body(keys: ["a&b", "<c>", "d\"e'f"])
        #expect(body.contains("<Key>a&amp;b</Key><Key>") == false)
        #expect(body.contains("<Object><Key>a&amp;b</Key></Object><Object><Key>&lt;c&gt;</Key></Object>"))
        #expect(body.contains("<Quiet>true</Quiet>"))
    }

    @Test("listing and deleting 2,500 objects works across pages and batches")
    func manyObjects() throws {
        let bucket = try OSSEmulator.freshBucket("many")
        let keys = (0..<2500).map { String(format: "nightly/obj-%05d.gz", $0) }
        // OSS has no batch put: the emulator creates them in one call, the client does everything else.
        try OSSEmulator.seed(bucket, keys: keys.shuffled())
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        try client.putObject(bucket: bucket, key: "other/keep.gz", data: Data("keep".utf8))
        let listed = try client.listObjects(bucket: bucket, prefix: "nightly/")
        #expect(listed.map(\.key) == keys)
        let before = try OSSEmulator.log(bucket).count
        #expect(try client.deleteObjects(bucket: bucket, keys: listed.map(\.key)) == 2500)
        let log = try OSSEmulator.log(bucket).dropFirst(before)
        #expect(log.filter { $0.op == "DeleteMultipleObjects" }.count == 3)
        #expect(try client.listObjects(bucket: bucket).map(\.key) == ["other/keep.gz"])
        #expect(try OSSEmulator.log(bucket).filter { $0.op == "ListObjectsV2" && $0.ok }.count == 4)
    }

    @Test("presigned URLs fetch the object; an expired one is refused", arguments: [SignatureVersion.v1, .v4])
    func presign(_ version: SignatureVersion) throws {
        let bucket = try OSSEmulator.freshBucket("presign")
        let client = OSSClient(configuration: try OSSEmulator.configuration(version: version))
        try client.putObject(bucket: bucket, key: "dir/a b+c.gz", data: Data("presigned".utf8))
        let url = try client.presignedURL(bucket: bucket, key: "dir/a b+c.gz", expires: 600)
        let easy = try CurlEasy()
        let ok = try easy.perform(HTTPTransfer(method: "GET", url: url, headers: []))
        #expect(ok.status == 200)
        #expect(ok.body == Data("presigned".utf8))

        var past = try OSSEmulator.configuration(version: version)
        past.clock = { Date().addingTimeInterval(-7200) }
        let expired = try OSSClient(configuration: past).presignedURL(bucket: bucket, key: "dir/a b+c.gz", expires: 60)
        let refused = try easy.perform(HTTPTransfer(method: "GET", url: expired, headers: []))
        #expect(refused.status == 403)
    }

    @Test("stale multipart uploads are listed and aborted")
    func staleUploads() throws {
        let bucket = try OSSEmulator.freshBucket("stale")
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        let a = try client.initiateMultipartUpload(bucket: bucket, key: "nightly/a.gz")
        let b = try client.initiateMultipartUpload(bucket: bucket, key: "nightly/b.gz")
        try client.uploadPart(bucket: bucket, key: "nightly/a.gz", uploadId: a, partNumber: 1, data: testBytes(200_000))
        #expect(try client.listParts(bucket: bucket, key: "nightly/a.gz", uploadId: a).map(\.partNumber) == [1])
        try OSSEmulator.backdateUploads(bucket, seconds: 2 * 86_400)
        let uploads = try client.listMultipartUploads(bucket: bucket, prefix: "nightly/")
        #expect(Set(uploads.map(\.uploadId)) == [a, b])
        #expect(uploads.allSatisfy { ($0.initiated ?? Date()) < Date().addingTimeInterval(-86_400) })
        for upload in uploads { try client.abortMultipartUpload(bucket: bucket, key: upload.key, uploadId: upload.uploadId) }
        #expect(try client.listMultipartUploads(bucket: bucket).isEmpty)
    }

    @Test("the official oss2 SDK works against the emulator (put, ranged get, paginated list, multipart, batch delete)")
    func oss2Interop() throws {
        let bucket = try OSSEmulator.freshBucket("oss2")
        let script = Fixtures.root.appendingPathComponent("oss/oss2_interop.py").path
        let result = try runProcess("python3", [script, bucket])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("oss2 interop: all checks passed"))
        #expect(result.stdout.contains("v4 wrong secret rejected with SignatureDoesNotMatch"))
    }
}

/// Collects retry lines from any thread.
final class RetryLog: @unchecked Sendable {
    // Safety: `storage` is only touched under `lock`.
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ line: String) { lock.withLock { storage.append(line) } }
    var lines: [String] { lock.withLock { storage } }
}
