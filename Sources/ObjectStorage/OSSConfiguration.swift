import Foundation

/// Which signature OSS requests carry.
public enum SignatureVersion: String, Sendable {
    /// `OSS AccessKeyId:Signature`, HMAC-SHA1.
    case v1
    /// `OSS4-HMAC-SHA256`, the default.
    case v4
}

/// How the bucket appears in request URLs.
public enum AddressingStyle: String, Sendable {
    /// Virtual-hosted (`bucket.endpoint`) except for IP-address endpoints, which get path style.
    case automatic
    /// `bucket.endpoint/key`.
    case virtualHosted
    /// `endpoint/bucket/key`.
    case path
}

/// A parsed OSS endpoint: scheme, host and optional port.
public struct OSSEndpoint: Sendable, Equatable {
    public var scheme: String
    public var host: String
    public var port: Int?

    /// Parses `oss-cn-hangzhou.aliyuncs.com`, `https://…` or `http://127.0.0.1:9000`; HTTPS when no scheme is given.
    public init(parsing text: String) throws {
        var rest = text.trimmingCharacters(in: .whitespaces)
        var scheme = "https"
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = String(rest[range.upperBound...])
        }
        guard scheme == "https" || scheme == "http" else {
            throw ObjectStorageError(.invalidURL, "OSS endpoint '\(text)' must use http or https")
        }
        if rest.hasSuffix("/") { rest.removeLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("?"), !rest.contains("@") else {
            throw ObjectStorageError(.invalidURL, "OSS endpoint '\(text)' must be a host name, e.g. oss-cn-hangzhou.aliyuncs.com")
        }
        var host = rest
        var port: Int?
        if rest.hasPrefix("[") {  // [IPv6]:port
            guard let close = rest.firstIndex(of: "]") else {
                throw ObjectStorageError(.invalidURL, "OSS endpoint '\(text)' has an unclosed IPv6 bracket")
            }
            host = String(rest[...close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw ObjectStorageError(.invalidURL, "OSS endpoint '\(text)' has a bad port")
                }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                throw ObjectStorageError(.invalidURL, "OSS endpoint '\(text)' has a bad port")
            }
            host = String(rest[..<colon])
            port = p
        }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
    }

    /// Whether the host is an IPv4 or IPv6 literal (such endpoints cannot carry a bucket sub-domain).
    public var isIPAddress: Bool {
        if host.hasPrefix("[") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The region in an Alibaba Cloud endpoint (`oss-cn-hangzhou-internal.aliyuncs.com` → `cn-hangzhou`), if any.
    public var impliedRegion: String? {
        guard host.hasSuffix(".aliyuncs.com") else { return nil }
        var label = String(host.split(separator: ".").first ?? "")
        guard label.hasPrefix("oss-") else { return nil }
        label.removeFirst(4)
        for suffix in ["-internal"] where label.hasSuffix(suffix) { label.removeLast(suffix.count) }
        return label.isEmpty || label == "accelerate" || label == "accelerate-overseas" ? nil : label
    }

    var authority: String { port.map { "\(host):\($0)" } ?? host }
}

/// Everything an `OSSClient` needs: where, who, how to sign, and how hard to try.
public struct OSSConfiguration: Sendable {
    public var endpoint: OSSEndpoint
    /// The region in V4 signatures (`cn-hangzhou`).
    public var region: String
    /// The fixed credentials; unused when `credentialsProvider` is set.
    public var credentials: OSSCredentials
    /// Credentials that change while the client runs (the ECS RAM role's); asked before every attempt.
    public var credentialsProvider: (any OSSCredentialsProvider)?
    public var signatureVersion: SignatureVersion = .v4
    public var addressing: AddressingStyle = .automatic
    public var retry = RetryPolicy()
    /// Seconds to wait for a TCP/TLS connection.
    public var connectTimeout = 10
    /// Seconds a transfer may make no progress before it counts as timed out (and is retried).
    public var stallTimeout = 60
    /// Files at least this big go up as multipart uploads.
    public var multipartThreshold: Int64 = 32 << 20
    /// Multipart part size (OSS allows 100 KB to 5 GB; raised automatically to stay within 10,000 parts).
    public var partSize: Int64 = 8 << 20
    /// Parts uploaded at once; memory in use is about `parallelism × partSize`.
    public var parallelism = 4
    /// Storage class and server-side encryption of the objects written.
    public var write = ObjectWriteSettings()
    /// Bandwidth limits shared by every transfer of this configuration (and its siblings' parts), or nil.
    public var uploadLimit: BandwidthLimiter?
    public var downloadLimit: BandwidthLimiter?
    /// What a download of an Archive/ColdArchive object that is not restored does.
    public var archivedRead = ArchivedReadPolicy()
    /// The clock that dates signatures; injected by tests.
    public var clock: @Sendable () -> Date = { Date() }

    public init(endpoint: OSSEndpoint, region: String, credentials: OSSCredentials) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
    }

    /// A configuration whose credentials come from `provider` before every request.
    public init(endpoint: OSSEndpoint, region: String, provider: any OSSCredentialsProvider) {
        self.init(endpoint: endpoint, region: region, credentials: OSSCredentials(accessKeyId: "", accessKeySecret: ""))
        credentialsProvider = provider
    }

    /// Reads `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET`, `OSS_SESSION_TOKEN`, `OSS_ENDPOINT`, `OSS_REGION`
    /// (and optionally `OSS_SIGNATURE_VERSION`=v1|v4, `OSS_ADDRESSING`=path|virtual).
    ///
    /// Throws `.missingCredentials` or `.invalidConfiguration` naming the variable to set.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> OSSConfiguration {
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            return v
        }
        let missing = ["OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"].filter { value($0) == nil }
        if !missing.isEmpty {
            throw ObjectStorageError(.missingCredentials,
                                     "OSS credentials are missing: set \(missing.joined(separator: " and ")) (and OSS_SESSION_TOKEN for STS)")
        }
        let credentials = OSSCredentials(accessKeyId: value("OSS_ACCESS_KEY_ID")!, accessKeySecret: value("OSS_ACCESS_KEY_SECRET")!,
                                         securityToken: value("OSS_SESSION_TOKEN"))
        return try fromEnvironment(env, credentials: credentials, provider: nil)
    }

    /// Endpoint, region and options from `env` as `fromEnvironment(_:)` reads them, with the credentials given:
    /// a fixed pair, or a provider asked before every request (then `credentials` is unused).
    public static func fromEnvironment(_ env: [String: String], credentials: OSSCredentials,
                                       provider: (any OSSCredentialsProvider)?) throws -> OSSConfiguration {
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            return v
        }
        guard let endpointText = value("OSS_ENDPOINT") else {
            throw ObjectStorageError(.invalidConfiguration, "OSS_ENDPOINT is not set (e.g. oss-cn-hangzhou.aliyuncs.com)")
        }
        let endpoint = try OSSEndpoint(parsing: endpointText)
        guard let region = value("OSS_REGION") ?? endpoint.impliedRegion else {
            throw ObjectStorageError(.invalidConfiguration,
                                     "OSS_REGION is not set and cannot be read from the endpoint '\(endpointText)' (e.g. cn-hangzhou)")
        }
        var config = OSSConfiguration(endpoint: endpoint, region: region, credentials: credentials)
        config.credentialsProvider = provider
        if let v = value("OSS_SIGNATURE_VERSION") {
            guard let version = SignatureVersion(rawValue: v.lowercased()) else {
                throw ObjectStorageError(.invalidConfiguration, "OSS_SIGNATURE_VERSION must be v1 or v4, not '\(v)'")
            }
            config.signatureVersion = version
        }
        if let v = value("OSS_ADDRESSING") {
            switch v.lowercased() {
            case "path": config.addressing = .path
            case "virtual", "virtual-hosted": config.addressing = .virtualHosted
            case "auto", "automatic": config.addressing = .automatic
            default: throw ObjectStorageError(.invalidConfiguration, "OSS_ADDRESSING must be path, virtual or auto, not '\(v)'")
            }
        }
        return config
    }

    /// The URL for `request`: virtual-hosted or path style, key and query percent-encoded.
    public func url(for request: OSSRequest) -> String {
        let pathStyle = addressing == .path || (addressing == .automatic && endpoint.isIPAddress)
        var authority = endpoint.authority
        var path = "/"
        if let bucket = request.bucket {
            if pathStyle {
                path += bucket + "/"
            } else {
                authority = bucket + "." + authority
            }
        }
        path += OSSPercentEncoding.encode(request.key ?? "", keepSlash: true)
        let query = request.encodedQuery
        return "\(endpoint.scheme)://\(authority)\(path)\(query.isEmpty ? "" : "?" + query)"
    }
}
