import Foundation
import ObjectStorage
import VaultopsCore

/// Where OSS settings come from, and the backends built from them: the one place commands and jobs get an
/// OSS backend (none constructs an `OSSClient` itself).
///
/// One precedence for every setting (`OSS_ENDPOINT`, `OSS_REGION`, `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET`,
/// `OSS_SESSION_TOKEN`, `OSS_SIGNATURE_VERSION`, `OSS_ADDRESSING`): the config's `oss:` block, then the process
/// environment, then the `.env` beside the config (`Config.ossVariables`). Without a config, the environment.
public struct OSSSettings: Sendable {
    /// The loaded config, when the command has one.
    public var config: Config?
    /// The process environment.
    public var environment: [String: String]
    /// Multipart part size and parts at once, when the command line sets them.
    public var partSize: Int64?
    public var parallelism: Int?
    /// Called with a line for each retry (the CLI writes them to standard error, `run` to its log).
    public var onRetry: (@Sendable (String) -> Void)?

    public init(config: Config? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                onRetry: (@Sendable (String) -> Void)? = nil) {
        self.config = config
        self.environment = environment
        self.onRetry = onRetry
    }

    /// The `OSS_*` settings after the precedence above.
    public var variables: [String: String] {
        config?.ossVariables(environment: environment) ?? environment.filter { $0.key.hasPrefix("OSS_") }
    }

    /// The client configuration; throws `.missingCredentials` or `.invalidConfiguration` naming what to set.
    public func configuration() throws -> OSSConfiguration {
        var configuration = try OSSConfiguration.fromEnvironment(variables)
        if let partSize { configuration.partSize = partSize }
        if let parallelism { configuration.parallelism = max(1, parallelism) }
        return configuration
    }

    /// A backend rooted at `oss://bucket/prefix`.
    public func backend(bucket: String, prefix: String = "") throws -> OSSBackend {
        let client = OSSClient(configuration: try configuration())
        client.onRetry = onRetry
        return OSSBackend(client: client, bucket: bucket, prefix: prefix)
    }

    /// A backend rooted at the whole bucket of `location` (its key is then a name or a name prefix).
    public func bucketBackend(_ location: OSSLocation) throws -> OSSBackend {
        try backend(bucket: location.bucket)
    }
}
