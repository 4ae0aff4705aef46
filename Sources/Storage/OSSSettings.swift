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
    /// Reading an Archive/ColdArchive object: wait for its restore (`--wait`), and where to say what happens.
    public var waitForRestore = false
    public var onRestoreStatus: (@Sendable (String) -> Void)?
    /// Seconds between restore polls while waiting.
    public var restorePollInterval: TimeInterval = 30
    /// `--limit-upload`/`--limit-download` (`2MiB`, `512KiB`), over the config's `limit_upload`/`limit_download`.
    public var limitUpload: String?
    public var limitDownload: String?
    /// `--storage-class` and `--server-side-encryption`/`--kms-key-id`, over the config's.
    public var storageClass: String?
    public var serverSideEncryption: String?
    public var kmsKeyID: String?

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
    ///
    /// Credentials come from the first of (the documented chain, with the official SDKs' names): an AccessKey in
    /// the config or `OSS_ACCESS_KEY_ID`/`OSS_ACCESS_KEY_SECRET`/`OSS_SESSION_TOKEN` (environment, then `.env`); the
    /// ECS RAM role (`ram_role: NAME|auto`, else `ALIBABA_CLOUD_ECS_METADATA=NAME`; off with
    /// `ALIBABA_CLOUD_ECS_METADATA_DISABLED`, IMDSv2 required with `ALIBABA_CLOUD_IMDSV1_DISABLED`); then
    /// `~/.ossutilconfig`, whose endpoint and region also fill in unset ones.
    public func configuration() throws -> OSSConfiguration {
        var configuration = try credentialChain()
        configuration.write = try writeSettings()
        (configuration.uploadLimit, configuration.downloadLimit) = try bandwidthLimits()
        configuration.archivedRead.wait = waitForRestore
        configuration.archivedRead.onStatus = onRestoreStatus
        configuration.archivedRead.pollInterval = restorePollInterval
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

    /// The upload and download limiters (one each per configuration: every part of the run shares them).
    func bandwidthLimits() throws -> (BandwidthLimiter?, BandwidthLimiter?) {
        var window: DailyWindow?
        if let text = config?.oss?.limitWindow {
            guard let parsed = DailyWindow(parsing: text, timeZone: config?.timeZone ?? .current) else {
                throw ObjectStorageError(.invalidConfiguration, "limit_window must be HH:MM-HH:MM (e.g. 09:00-22:00), not '\(text)'")
            }
            window = parsed
        }
        func limiter(_ text: String?, _ name: String) throws -> BandwidthLimiter? {
            guard let text else { return nil }
            guard let rate = BandwidthLimiter.parseRate(text) else {
                throw ObjectStorageError(.invalidConfiguration, "\(name) must be a rate such as 512KiB or 2MiB (per second), not '\(text)'")
            }
            return BandwidthLimiter(bytesPerSecond: rate, window: window)
        }
        return (try limiter(limitUpload ?? config?.oss?.limitUpload, "the upload limit"),
                try limiter(limitDownload ?? config?.oss?.limitDownload, "the download limit"))
    }

    /// The config's `storage_class`, `server_side_encryption` and `kms_key_id`.
    func writeSettings() throws -> ObjectWriteSettings {
        let oss = config?.oss
        var settings = ObjectWriteSettings()
        if let text = storageClass ?? oss?.storageClass {
            guard let storageClass = StorageClass(parsing: text) else {
                throw ObjectStorageError(.invalidConfiguration, "storage_class must be Standard, IA, Archive or ColdArchive, not '\(text)'")
            }
            settings.storageClass = storageClass
        }
        if let text = serverSideEncryption ?? oss?.serverSideEncryption {
            settings.encryption = try ServerSideEncryption(parsing: text, kmsKeyID: kmsKeyID ?? oss?.kmsKeyID)
        } else if kmsKeyID != nil {
            throw ObjectStorageError(.invalidConfiguration, "--kms-key-id needs --server-side-encryption KMS")
        }
        return settings
    }

    /// `VAULTOPS_ECS_METADATA_ENDPOINT` (tests: a mock metadata service) replaces ECS's `http://100.100.100.200`.
    static let metadataEndpointVariable = "VAULTOPS_ECS_METADATA_ENDPOINT"

    private func credentialChain() throws -> OSSConfiguration {
        var variables = self.variables
        func isSet(_ name: String) -> Bool { !(variables[name]?.trimmingCharacters(in: .whitespaces).isEmpty ?? true) }
        if isSet("OSS_ACCESS_KEY_ID") || isSet("OSS_ACCESS_KEY_SECRET") {
            return try OSSConfiguration.fromEnvironment(variables)
        }
        if let provider = try ramRoleProvider() {
            return try OSSConfiguration.fromEnvironment(variables, credentials: OSSCredentials(accessKeyId: "", accessKeySecret: ""),
                                                        provider: provider)
        }
        if let home = environment["HOME"], !home.isEmpty,
           let file = try OssutilConfig.load(path: OssutilConfig.defaultPath(home: home)),
           file.credentials != nil || file.ecsRoleName != nil {
            if !isSet("OSS_ENDPOINT"), let endpoint = file.endpoint { variables["OSS_ENDPOINT"] = endpoint }
            if !isSet("OSS_REGION"), let region = file.region { variables["OSS_REGION"] = region }
            if let credentials = file.credentials {
                return try OSSConfiguration.fromEnvironment(variables, credentials: credentials, provider: nil)
            }
            // ossutil set up with the instance's RAM role ([AkService] ecsAk, or mode = EcsRamRole).
            if alibabaSwitch("ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
                throw ObjectStorageError(.invalidConfiguration, """
                    ~/.ossutilconfig uses the ECS RAM role '\(file.ecsRoleName!)' but ALIBABA_CLOUD_ECS_METADATA_DISABLED \
                    turns the metadata service off: unset it, or give OSS keys another way
                    """)
            }
            return try OSSConfiguration.fromEnvironment(variables, credentials: OSSCredentials(accessKeyId: "", accessKeySecret: ""),
                                                        provider: ecsProvider(role: file.ecsRoleName!))
        }
        throw ObjectStorageError(.missingCredentials, """
            OSS credentials are missing: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN for STS), \
            or on ECS the instance's RAM role (ram_role: NAME or auto in the config's oss: block, or \
            ALIBABA_CLOUD_ECS_METADATA=NAME), or write them in ~/.ossutilconfig (ossutil config)
            """)
    }

    /// An Alibaba Cloud tools' setting: the process environment, then the `.env` beside the config.
    private func alibabaSetting(_ name: String) -> String? {
        let value = environment[name] ?? config?.dotEnv[name]
        return value.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
    }

    /// `1` and `true` (any case) count as true, as the Alibaba Cloud tools read their switches.
    private func alibabaSwitch(_ name: String) -> Bool {
        guard let value = alibabaSetting(name)?.lowercased() else { return false }
        return value == "true" || value == "1"
    }

    /// The ECS RAM role provider when a role is configured (`ram_role`, else `ALIBABA_CLOUD_ECS_METADATA`).
    private func ramRoleProvider() throws -> ECSRAMRoleCredentials? {
        let fromConfig = config?.oss?.ramRole
        guard let role = fromConfig ?? alibabaSetting("ALIBABA_CLOUD_ECS_METADATA") else { return nil }
        if alibabaSwitch("ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
            throw ObjectStorageError(.invalidConfiguration, """
                the ECS RAM role '\(role)' is configured (\(fromConfig != nil ? "ram_role" : "ALIBABA_CLOUD_ECS_METADATA")) but \
                ALIBABA_CLOUD_ECS_METADATA_DISABLED turns the metadata service off: unset one of them
                """)
        }
        return ecsProvider(role: role)
    }

    /// The ECS RAM role provider for `role` (`auto`: the attached one), at `VAULTOPS_ECS_METADATA_ENDPOINT` or ECS's address.
    private func ecsProvider(role: String) -> ECSRAMRoleCredentials {
        let endpoint = environment[Self.metadataEndpointVariable].flatMap { $0.isEmpty ? nil : $0 } ?? ECSRAMRoleCredentials.defaultEndpoint
        return ECSRAMRoleCredentials(endpoint: endpoint, roleName: role.lowercased() == "auto" ? nil : role,
                                     imdsV1Disabled: alibabaSwitch("ALIBABA_CLOUD_IMDSV1_DISABLED"))
    }
}
