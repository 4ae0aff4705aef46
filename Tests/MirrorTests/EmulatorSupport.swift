import Foundation
import ObjectStorage
import TestSupport

/// What the mirror tests add to TestSupport's `OSSEmulator`.
extension OSSEmulator {
    /// A client configuration for the emulator, with quick retries.
    static func configuration() throws -> OSSConfiguration {
        var config = try OSSConfiguration.fromEnvironment(cliEnvironment())
        config.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.02, maxDelay: 0.1)
        return config
    }

    static func client() throws -> OSSClient { OSSClient(configuration: try configuration()) }

    /// Environment for running the `vaultops` CLI against the emulator (checkpoints in `cache`).
    static func cliEnvironment(cache: String) throws -> [String: String] {
        try cliEnvironment().merging(["XDG_CACHE_HOME": cache]) { $1 }
    }

    /// Operations that change objects.
    static let writes: Set<String> = ["PutObject", "InitiateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
                                      "DeleteObject", "DeleteMultipleObjects", "AbortMultipartUpload"]
}
