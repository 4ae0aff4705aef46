import Foundation

/// The OSS emulator that `.ci/oss-emulator/start` runs for the tests (see emulator.py): its settings and its
/// control API (buckets, seeded objects, faults, the request log).
///
/// Tests that need it fail loudly when it is not running; each test works in a bucket of its own, so faults
/// and logs never cross between tests running in parallel.
public enum OSSEmulator {
    /// The environment variable `name`, or an error saying how to start the emulator.
    public static func env(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw TestSupportError("\(name) is not set: start the OSS emulator with `source .ci/oss-emulator/start` (bash .ci/run does this)")
        }
        return value
    }

    /// The emulator's endpoint, such as `http://127.0.0.1:9000`.
    public static var endpoint: String { get throws { try env("VAULTOPS_TEST_OSS_ENDPOINT") } }

    /// The `OSS_*` variables for the `vaultops` CLI (and for a config's `${…}`) against the emulator.
    public static func cliEnvironment() throws -> [String: String] {
        [
            "OSS_ENDPOINT": try endpoint,
            "OSS_REGION": try env("VAULTOPS_TEST_OSS_REGION"),
            "OSS_ACCESS_KEY_ID": try env("VAULTOPS_TEST_OSS_ACCESS_KEY_ID"),
            "OSS_ACCESS_KEY_SECRET": try env("VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"),
        ]
    }

    /// Calls the control API (unsigned, loopback only) with Python's urllib; returns the body.
    @discardableResult
    public static func control(_ method: String, _ path: String, body: Data = Data()) throws -> Data {
        let script = """
        import sys, urllib.request
        data = sys.stdin.buffer.read() if sys.argv[1] != "GET" else None
        r = urllib.request.urlopen(urllib.request.Request(sys.argv[2], method=sys.argv[1], data=data))
        sys.stdout.buffer.write(r.read())
        """
        let r = try runProcess("python3", ["-c", script, method, try endpoint + "/__emulator/" + path], stdin: body)
        guard r.status == 0 else { throw TestSupportError("emulator control \(method) \(path) failed: \(r.stderr)") }
        return r.stdoutData
    }

    /// Creates a fresh bucket named after `label`.
    public static func freshBucket(_ label: String) throws -> String {
        let clean = label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(20)
        let name = "t-\(clean)-\(UUID().uuidString.prefix(8).lowercased())"
        try control("PUT", "buckets/\(name)")
        return name
    }

    /// Creates `keys` in `bucket` directly (each body is the key's UTF-8), without one PutObject each.
    public static func seed(_ bucket: String, keys: [String]) throws {
        try control("POST", "seed?bucket=\(bucket)", body: try JSONSerialization.data(withJSONObject: keys))
    }

    /// Adds a fault rule (see emulator.py): e.g. `["op": "UploadPart", "action": "status", "status": 500, "times": 2]`.
    public static func addFault(bucket: String, _ rule: [String: Any]) throws {
        var rule = rule
        rule["bucket"] = bucket
        try control("POST", "faults", body: try JSONSerialization.data(withJSONObject: rule))
    }

    /// Ends the waits of the bucket's requests held by "slow" faults now.
    public static func release(_ bucket: String) throws {
        try control("POST", "release?bucket=\(bucket)")
    }

    /// How many requests the bucket has in progress now.
    public static func activeRequests(_ bucket: String) throws -> Int {
        let json = try JSONSerialization.jsonObject(with: try control("GET", "concurrency?bucket=\(bucket)")) as? [String: Any]
        guard let active = json?["active"] as? Int else { throw TestSupportError("the emulator reported no active count") }
        return active
    }

    /// Makes the bucket's open multipart uploads look `seconds` older.
    public static func backdateUploads(_ bucket: String, seconds: Int) throws {
        try control("POST", "backdate?bucket=\(bucket)&seconds=\(seconds)")
    }

    /// One logged request.
    public struct LogEntry: Decodable, Sendable {
        public var op: String
        public var method: String?
        public var key: String?
        public var part: String?
        public var status: StatusValue?
        /// OSS's error Code when the answer was an error.
        public var code: String?

        /// The emulator logs an HTTP status or the word "reset".
        public enum StatusValue: Decodable, Equatable, Sendable {
            case code(Int)
            case other(String)
            public init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let i = try? c.decode(Int.self) { self = .code(i) } else { self = .other(try c.decode(String.self)) }
            }
        }

        /// Whether the request was answered with a 2xx status.
        public var ok: Bool { if case .code(let c) = status { return (200..<300).contains(c) } else { return false } }
    }

    /// Starts a mock ECS metadata service (`.ci/oss-emulator/ecs_metadata.py`) of its own, whose rotating STS
    /// credentials the emulator accepts until they expire; returns its base URL (for `VAULTOPS_ECS_METADATA_ENDPOINT`).
    /// - Parameters:
    ///   - roles: role name → lifetime in seconds of the credentials issued for it.
    ///   - mode: `both` (IMDSv2 and v1), `v2-only` (v1 refused) or `v1-only` (no token endpoint).
    public static func startMetadataService(roles: [String: Double], attached: String?, mode: String = "both") throws -> String {
        var spec: [String: Any] = ["roles": roles, "mode": mode]
        if let attached { spec["attached"] = attached }
        let answer = try control("POST", "metadata", body: try JSONSerialization.data(withJSONObject: spec))
        guard let json = try JSONSerialization.jsonObject(with: answer) as? [String: Any], let endpoint = json["endpoint"] as? String else {
            throw TestSupportError("the emulator did not start a metadata service: \(String(decoding: answer, as: UTF8.self))")
        }
        return endpoint
    }

    /// One request a mock metadata service received.
    public struct MetadataRequest: Decodable, Sendable {
        public var method: String
        public var path: String
        /// Whether it carried `X-aliyun-ecs-metadata-token`.
        public var token: Bool
    }

    /// The requests the metadata service at `endpoint` received, in order.
    public static func metadataLog(_ endpoint: String) throws -> [MetadataRequest] {
        let r = try runProcess("python3", ["-c", "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())",
                                           endpoint + "/__metadata/log"])
        guard r.status == 0 else { throw TestSupportError("metadata log failed: \(r.stderr)") }
        return try JSONDecoder().decode([MetadataRequest].self, from: r.stdoutData)
    }

    /// The requests `bucket` received, in order.
    public static func log(_ bucket: String) throws -> [LogEntry] {
        try JSONDecoder().decode([LogEntry].self, from: try control("GET", "log?bucket=\(bucket)"))
    }
}
