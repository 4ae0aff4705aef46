import Foundation
import ObjectStorage
import TestSupport

/// The OSS emulator that `.ci/oss-emulator/start` runs; tests fail loudly without it.
enum Emulator {
    static func env(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw TestSupportError("\(name) is not set: start the OSS emulator with `source .ci/oss-emulator/start` (bash .ci/run does this)")
        }
        return value
    }

    /// Calls the emulator's control API with Python's urllib.
    @discardableResult
    static func control(_ method: String, _ path: String, body: Data = Data()) throws -> Data {
        let script = """
        import sys, urllib.request
        data = sys.stdin.buffer.read() if sys.argv[1] != "GET" else None
        r = urllib.request.urlopen(urllib.request.Request(sys.argv[2], method=sys.argv[1], data=data))
        sys.stdout.buffer.write(r.read())
        """
        let r = try runProcess("python3", ["-c", script, method, try env("VAULTOPS_TEST_OSS_ENDPOINT") + "/__emulator/" + path], stdin: body)
        guard r.status == 0 else { throw TestSupportError("emulator control \(method) \(path) failed: \(r.stderr)") }
        return r.stdoutData
    }

    static func configuration() throws -> OSSConfiguration {
        var config = OSSConfiguration(endpoint: try OSSEndpoint(parsing: try env("VAULTOPS_TEST_OSS_ENDPOINT")),
                                      region: try env("VAULTOPS_TEST_OSS_REGION"),
                                      credentials: OSSCredentials(accessKeyId: try env("VAULTOPS_TEST_OSS_ACCESS_KEY_ID"),
                                                                  accessKeySecret: try env("VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET")))
        config.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.02, maxDelay: 0.1)
        return config
    }

    static func client() throws -> OSSClient { OSSClient(configuration: try configuration()) }

    /// Environment for running the `vaultops` CLI against the emulator (checkpoints in `cache`).
    static func cliEnvironment(cache: String) throws -> [String: String] {
        [
            "OSS_ENDPOINT": try env("VAULTOPS_TEST_OSS_ENDPOINT"),
            "OSS_REGION": try env("VAULTOPS_TEST_OSS_REGION"),
            "OSS_ACCESS_KEY_ID": try env("VAULTOPS_TEST_OSS_ACCESS_KEY_ID"),
            "OSS_ACCESS_KEY_SECRET": try env("VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"),
            "XDG_CACHE_HOME": cache,
        ]
    }

    static func freshBucket(_ label: String) throws -> String {
        let name = "m-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        try control("PUT", "buckets/\(name)")
        return name
    }

    /// Creates `keys` directly (each object's body is its key's UTF-8).
    static func seed(_ bucket: String, keys: [String]) throws {
        try control("POST", "seed?bucket=\(bucket)", body: try JSONSerialization.data(withJSONObject: keys))
    }

    /// One logged request.
    struct LogEntry: Decodable {
        var op: String
        var key: String?
        var part: String?
        var status: Int?

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            op = try c.decode(String.self, forKey: .op)
            key = try c.decodeIfPresent(String.self, forKey: .key)
            part = try c.decodeIfPresent(String.self, forKey: .part)
            status = try? c.decodeIfPresent(Int.self, forKey: .status)  // an HTTP status, or "reset"
        }

        enum CodingKeys: String, CodingKey { case op, key, part, status }

        var ok: Bool { status.map { (200..<300).contains($0) } ?? false }
    }

    /// The requests `bucket` received, in order.
    static func log(_ bucket: String) throws -> [LogEntry] {
        try JSONDecoder().decode([LogEntry].self, from: try control("GET", "log?bucket=\(bucket)"))
    }

    /// Operations that change objects.
    static let writes: Set<String> = ["PutObject", "InitiateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
                                      "DeleteObject", "DeleteMultipleObjects", "AbortMultipartUpload"]
}
