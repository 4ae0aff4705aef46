import Foundation
@testable import ObjectStorage
import TestSupport

/// What the ObjectStorage tests add to TestSupport's `OSSEmulator`: client configurations of every kind.
extension OSSEmulator {
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
