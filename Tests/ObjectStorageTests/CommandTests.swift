import Foundation
import HTTP
@testable import ObjectStorage
import TestSupport
import Testing

@Suite("vaultops upload, download, ls, rm, presign")
struct CommandTests {
    @Test("bad input is a usage error (exit 2) with a clear message", arguments: [
        (["ls", "s3://bucket/x"], "not an OSS location"),
        (["ls", "oss://"], "bucket name is missing"),
        (["ls", "oss://Bad_Bucket/x"], "may only contain lower-case letters"),
        (["download", "oss://bucket-name/"], "needs an object key"),
        (["rm", "oss://bucket-name/prefix/"], "names a bucket or prefix"),
        (["upload", "oss://bucket-name/p/"], "at least one FILE"),
        (["presign", "oss://bucket-name/k", "--expires", "0"], "positive number of seconds"),
        (["presign", "oss://bucket-name/k", "--expires", "700000"], "at most 604800"),
    ])
    func usageErrors(_ args: [String], _ message: String) throws {
        let env = ["OSS_ENDPOINT": "oss-cn-hangzhou.aliyuncs.com", "OSS_ACCESS_KEY_ID": "id", "OSS_ACCESS_KEY_SECRET": "secret"]
        let r = try vaultops(args, environment: env)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test("missing credentials name the variables to set (exit 2)", arguments: [
        ["OSS_ACCESS_KEY_ID": "", "OSS_ACCESS_KEY_SECRET": ""],
        ["OSS_ACCESS_KEY_ID": "id", "OSS_ACCESS_KEY_SECRET": ""],
    ])
    func missingCredentials(_ env: [String: String]) throws {
        var environment = env
        environment["OSS_ENDPOINT"] = "oss-cn-hangzhou.aliyuncs.com"
        let r = try vaultops(["ls", "oss://some-bucket"], environment: environment)
        #expect(r.status == 2)
        #expect(r.stderr.contains("OSS credentials are missing: set"))
        #expect(r.stderr.contains("OSS_ACCESS_KEY_SECRET"))
    }

    @Test func missingRegionForCustomEndpoint() throws {
        let r = try vaultops(["ls", "oss://some-bucket"], environment: [
            "OSS_ENDPOINT": "http://127.0.0.1:9", "OSS_REGION": "", "OSS_ACCESS_KEY_ID": "id", "OSS_ACCESS_KEY_SECRET": "s",
        ])
        #expect(r.status == 2)
        #expect(r.stderr.contains("OSS_REGION is not set"))
    }

    @Test("a missing bucket fails with OSS's answer (exit 1)")
    func missingBucket() throws {
        let r = try vaultops(["ls", "oss://no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())"],
                             environment: try OSSEmulator.cliEnvironment())
        #expect(r.status == 1)
        #expect(r.stderr.contains("HTTP 404 NoSuchBucket"))
        #expect(r.stderr.contains("RequestId: "))
    }

    @Test("a wrong secret says the signature was rejected and never prints the secret")
    func wrongSecret() throws {
        let bucket = try OSSEmulator.freshBucket("cliwrong")
        var env = try OSSEmulator.cliEnvironment()
        env["OSS_ACCESS_KEY_SECRET"] = "wrong-secret-value-123"
        let r = try vaultops(["ls", "oss://\(bucket)"], environment: env)
        #expect(r.status == 1)
        #expect(r.stderr.contains("SignatureDoesNotMatch"))
        #expect(r.stderr.contains("rejected the request signature"))
        #expect(!(r.stderr + r.stdout).contains("wrong-secret-value-123"))
    }

    @Test("upload, ls, download, presign and rm work end to end")
    func endToEnd() throws {
        let bucket = try OSSEmulator.freshBucket("cli")
        let env = try OSSEmulator.cliEnvironment()
        let dir = try TempDirectory()
        let a = dir.url.appendingPathComponent("db_20250101.sql.gz")
        let b = dir.url.appendingPathComponent("uploads 2025.tar.gz")
        try testBytes(123_456, seed: 1).write(to: a)
        try testBytes(654_321, seed: 2).write(to: b)
        var r = try vaultops(["upload", a.path, b.path, "oss://\(bucket)/nightly/"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("-> oss://\(bucket)/nightly/db_20250101.sql.gz"))

        // Uploading again to the same key is refused (backups are never overwritten) unless --force.
        r = try vaultops(["upload", a.path, "oss://\(bucket)/nightly/"], environment: env)
        #expect(r.status == 1)
        #expect(r.stderr.contains("HTTP 409 FileAlreadyExists"), "\(r.stderr)")
        r = try vaultops(["upload", a.path, "oss://\(bucket)/nightly/", "--force"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")

        r = try vaultops(["ls", "oss://\(bucket)/nightly/", "--json"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try JSONSerialization.jsonObject(with: r.stdoutData) as? [[String: Any]] ?? []
        #expect(rows.map { $0["key"] as? String } == ["nightly/db_20250101.sql.gz", "nightly/uploads 2025.tar.gz"])
        #expect(rows.map { $0["size"] as? Int } == [123_456, 654_321])

        let out = dir.url.appendingPathComponent("restored")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        r = try vaultops(["download", "oss://\(bucket)/nightly/uploads 2025.tar.gz", out.path], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Data(contentsOf: out.appendingPathComponent("uploads 2025.tar.gz")) == testBytes(654_321, seed: 2))
        r = try vaultops(["download", "oss://\(bucket)/nightly/uploads 2025.tar.gz", out.path], environment: env)
        #expect(r.status == 2)
        #expect(r.stderr.contains("already exists"))

        r = try vaultops(["presign", "oss://\(bucket)/nightly/db_20250101.sql.gz", "--expires", "120"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let url = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let fetched = try CurlEasy().perform(HTTPTransfer(method: "GET", url: url, headers: []))
        #expect(fetched.status == 200)
        #expect(fetched.body == testBytes(123_456, seed: 1))

        r = try vaultops(["rm", "oss://\(bucket)/nightly/db_20250101.sql.gz", "oss://\(bucket)/nightly/uploads 2025.tar.gz"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        r = try vaultops(["ls", "oss://\(bucket)"], environment: env)
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty)
        // Plain progress lines when not on a terminal (cron), never the secret.
        #expect(!r.stderr.contains(env["OSS_ACCESS_KEY_SECRET"]!))
    }

    @Test("a killed upload resumes and sends only the missing parts")
    func killedUploadResumes() throws {
        let bucket = try OSSEmulator.freshBucket("killed")
        let dir = try TempDirectory()
        let file = dir.url.appendingPathComponent("dump.sql.gz")
        try testBytes(40 << 20, seed: 7).write(to: file)  // 40 MiB: above the threshold, 10 parts of 4 MiB
        let checkpoints = dir.url.appendingPathComponent("cp").path
        // Part 4 hangs until the test kills the process after parts 1-3 are stored (or the client's 60 s stall
        // timeout gives up on it; a hang of a fixed 30 s could end first on a stalled machine).
        try OSSEmulator.addFault(bucket: bucket, ["op": "UploadPart", "part": 4, "action": "slow", "seconds": 300, "times": 1])
        let args = ["upload", file.path, "oss://\(bucket)/nightly/", "--jobs", "1", "--part-size", "4", "--checkpoint-dir", checkpoints]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: vaultopsExecutable)
        process.arguments = args
        process.environment = ProcessInfo.processInfo.environment.merging(try OSSEmulator.cliEnvironment()) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)  // only a backstop
        while try OSSEmulator.log(bucket).filter({ $0.op == "UploadPart" && $0.ok }).count < 3 {
            guard Date() < deadline, process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(try OSSEmulator.log(bucket).filter { $0.op == "UploadPart" && $0.ok }.map(\.part) == ["1", "2", "3"])
        let before = try OSSEmulator.log(bucket).count

        let r = try vaultops(args, environment: try OSSEmulator.cliEnvironment())
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("7 parts sent, 3 resumed"))
        let second = try OSSEmulator.log(bucket).dropFirst(before).filter { $0.op == "UploadPart" }
        #expect(second.compactMap(\.part) == (4...10).map(String.init))
        let client = OSSClient(configuration: try OSSEmulator.configuration())
        #expect(try client.getObject(bucket: bucket, key: "nightly/dump.sql.gz") == testBytes(40 << 20, seed: 7))
    }
}
