import Foundation
import HTTP
@testable import ObjectStorage
import TestSupport

/// The OSS emulator that `.ci/oss-emulator/start` runs for the tests (see its README in emulator.py).
///
/// Tests that need it fail loudly when it is not running; each test works in its own bucket, so faults
/// and logs never cross between tests running in parallel.
enum OSSEmulator {
    static func env(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw TestSupportError("\(name) is not set: start the OSS emulator with `source .ci/oss-emulator/start` (bash .ci/run does this)")
        }
        return value
    }

    static var endpoint: String { get throws { try env("VAULTOPS_TEST_OSS_ENDPOINT") } }

    /// The emulator's endpoint with `localhost` for the host, so buckets go virtual-hosted (`bucket.localhost`).
    static var localhostEndpoint: String {
        get throws { try endpoint.replacingOccurrences(of: "127.0.0.1", with: "localhost") }
    }

    /// A client configuration for the emulator, with quick retries so fault tests stay fast.
    static func configuration(version: SignatureVersion = .v4, virtualHosted: Bool = false, sts: Bool = false,
                              secret: String? = nil) throws -> OSSConfiguration {
        let endpoint = try OSSEndpoint(parsing: virtualHosted ? localhostEndpoint : endpoint)
        let credentials = sts
            ? OSSCredentials(accessKeyId: try env("VAULTOPS_TEST_OSS_STS_ACCESS_KEY_ID"),
                             accessKeySecret: try secret ?? env("VAULTOPS_TEST_OSS_STS_ACCESS_KEY_SECRET"),
                             securityToken: try env("VAULTOPS_TEST_OSS_STS_TOKEN"))
            : OSSCredentials(accessKeyId: try env("VAULTOPS_TEST_OSS_ACCESS_KEY_ID"),
                             accessKeySecret: try secret ?? env("VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"))
        var config = OSSConfiguration(endpoint: endpoint, region: try env("VAULTOPS_TEST_OSS_REGION"), credentials: credentials)
        config.signatureVersion = version
        config.retry = RetryPolicy(maxAttempts: 5, baseDelay: 0.02, maxDelay: 0.2)
        return config
    }

    /// Environment for running the `vaultops` CLI against the emulator.
    static func cliEnvironment() throws -> [String: String] {
        [
            "OSS_ENDPOINT": try endpoint,
            "OSS_REGION": try env("VAULTOPS_TEST_OSS_REGION"),
            "OSS_ACCESS_KEY_ID": try env("VAULTOPS_TEST_OSS_ACCESS_KEY_ID"),
            "OSS_ACCESS_KEY_SECRET": try env("VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"),
        ]
    }

    private static func control(_ method: String, _ path: String, body: Data = Data()) throws -> Data {
        let easy = try CurlEasy()
        let response = try easy.perform(HTTPTransfer(method: method, url: try endpoint + "/__emulator/" + path,
                                                     headers: [("Content-Type", "application/json")], body: .data(body)))
        guard response.status == 200 else {
            throw TestSupportError("emulator control \(method) \(path) answered \(response.status)")
        }
        return response.body
    }

    /// Creates a fresh bucket named after `label`.
    static func freshBucket(_ label: String) throws -> String {
        let clean = label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(20)
        let name = "t-\(clean)-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try control("PUT", "buckets/\(name)")
        return name
    }

    /// Adds a fault rule (see emulator.py): e.g. `["op": "UploadPart", "action": "status", "status": 500, "times": 2]`.
    static func addFault(bucket: String, _ rule: [String: Any]) throws {
        var rule = rule
        rule["bucket"] = bucket
        _ = try control("POST", "faults", body: try JSONSerialization.data(withJSONObject: rule))
    }

    /// One logged request.
    struct LogEntry: Decodable {
        var op: String
        var method: String
        var key: String?
        var part: String?
        var status: StatusValue?

        /// The emulator logs an HTTP status or the word "reset".
        enum StatusValue: Decodable, Equatable {
            case code(Int)
            case other(String)
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let i = try? c.decode(Int.self) { self = .code(i) } else { self = .other(try c.decode(String.self)) }
            }
        }

        var ok: Bool { if case .code(let c) = status { return (200..<300).contains(c) } else { return false } }
    }

    /// The requests `bucket` received, in order.
    static func log(_ bucket: String) throws -> [LogEntry] {
        try JSONDecoder().decode([LogEntry].self, from: try control("GET", "log?bucket=\(bucket)"))
    }

    /// Creates `keys` in `bucket` directly (each body is the key's UTF-8), without one PutObject each.
    static func seed(_ bucket: String, keys: [String]) throws {
        _ = try control("POST", "seed?bucket=\(bucket)", body: try JSONSerialization.data(withJSONObject: keys))
    }

    /// Makes the bucket's open multipart uploads look `seconds` older.
    static func backdateUploads(_ bucket: String, seconds: Int) throws {
        _ = try control("POST", "backdate?bucket=\(bucket)&seconds=\(seconds)")
    }
}

/// Deterministic pseudo-random bytes (xorshift), so tests need no /dev/urandom and fail reproducibly.
func testBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> Data {
    var state = seed
    var data = Data(count: count)
    data.withUnsafeMutableBytes { raw in
        let words = raw.bindMemory(to: UInt8.self)
        var i = 0
        while i < count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            var v = state
            for _ in 0..<8 where i < count {
                words[i] = UInt8(truncatingIfNeeded: v)
                v >>= 8
                i += 1
            }
        }
    }
    return data
}
