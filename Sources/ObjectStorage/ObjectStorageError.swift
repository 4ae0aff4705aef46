import Foundation
import ErrorKinds
import HTTP
import Redaction

/// Everything that can go wrong talking to OSS, with the context a user needs to act on it.
///
/// `description` names the operation and the `oss://` location, OSS's error Code, Message and RequestId,
/// and a hint for the common causes; it never contains the AccessKey secret or an STS token.
public struct ObjectStorageError: Error, CustomStringConvertible, Sendable, KindedError {
    /// What kind of failure this is; decides retries and the `failureKind`.
    public enum Kind: String, Sendable, Equatable {
        /// A malformed `oss://` URL or endpoint.
        case invalidURL
        /// No usable credentials in the environment or config.
        case missingCredentials
        /// Other bad configuration (region, part size, …).
        case invalidConfiguration
        /// libcurl could not complete the exchange (connect, timeout, reset, TLS).
        case transport
        /// OSS answered with an error status.
        case service
        /// The data OSS holds is not the data we sent or read (CRC-64 or MD5 mismatch).
        case checksumMismatch
        /// OSS answered something we cannot understand.
        case invalidResponse
        /// A local file could not be read or written.
        case localFile
        /// An Archive/ColdArchive object is being restored and cannot be read yet.
        case pendingRestore
    }

    public var kind: Kind
    /// What happened, for humans.
    public var message: String
    /// The OSS API (`PutObject`, `UploadPart`, …) or client step that failed.
    public var operation: String?
    public var bucket: String?
    public var key: String?
    /// The HTTP status OSS answered with.
    public var httpStatus: Int?
    /// OSS's error `Code`, e.g. `SignatureDoesNotMatch`.
    public var serviceCode: String?
    /// OSS's `RequestId`, for Alibaba Cloud support.
    public var requestId: String?
    /// The libcurl `CURLcode`, for transport errors.
    public var curlCode: Int?
    /// The server's clock from a `RequestTimeTooSkewed` answer, used to correct ours.
    package var serverTime: Date?
    /// The AccessKey ID the failed request was signed with (not secret), so a rotating provider forgets only that pair.
    package var signedWith: String?

    public init(_ kind: Kind, _ message: String, operation: String? = nil, bucket: String? = nil, key: String? = nil,
                httpStatus: Int? = nil, serviceCode: String? = nil, requestId: String? = nil, curlCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.httpStatus = httpStatus
        self.serviceCode = serviceCode
        self.requestId = requestId
        self.curlCode = curlCode
    }

    /// True for mistakes in what the user typed or configured, not failures of the work.
    public var isUsageError: Bool {
        [.invalidURL, .missingCredentials, .invalidConfiguration].contains(kind)
    }

    /// Usage and configuration mistakes are `usage`, everything else a `failure`.
    public var failureKind: FailureKind { kind == .pendingRestore ? .pendingRestore : isUsageError ? .usage : .failure }

    /// True when the signature was rejected (wrong secret, wrong region, clock).
    public var isSignatureRejected: Bool {
        serviceCode == "SignatureDoesNotMatch" || serviceCode == "InvalidAccessKeyId" || serviceCode == "InvalidSecurityToken"
    }

    public var description: String {
        var text = ""
        if let operation { text += operation }
        if let bucket {
            text += (text.isEmpty ? "" : " ") + "oss://\(bucket)/\(key ?? "")"
        }
        if !text.isEmpty { text += ": " }
        if let httpStatus {
            text += "HTTP \(httpStatus)"
            if let serviceCode { text += " \(serviceCode)" }
            text += ": "
        }
        text += message
        if let requestId { text += " (RequestId: \(requestId))" }
        if let hint { text += ". " + hint }
        // Nothing above should hold a secret; the redactor makes sure even a server echo cannot leak one.
        return Redacted.text(text)
    }

    private var hint: String? {
        switch serviceCode {
        case "SignatureDoesNotMatch":
            return "OSS rejected the request signature: check OSS_ACCESS_KEY_SECRET (and OSS_REGION for V4 signing)"
        case "InvalidAccessKeyId":
            return "OSS does not know this AccessKey ID: check OSS_ACCESS_KEY_ID"
        case "InvalidSecurityToken", "SecurityTokenExpired":
            return "the STS token was rejected or has expired: refresh OSS_SESSION_TOKEN"
        case "FileAlreadyExists":
            return "an object with this key exists and uploads never overwrite one unless told to (vaultops upload --force)"
        case "NoSuchBucket":
            return "check the bucket name and that OSS_ENDPOINT is the bucket's region"
        case "RequestTimeTooSkewed":
            return "this host's clock differs from OSS's by more than 15 minutes: fix NTP"
        case "AccessDenied":
            return "the credentials lack permission for this bucket or object"
        default:
            return nil
        }
    }
}

extension ObjectStorageError {
    /// Returns a copy with operation, bucket and key filled in where still empty.
    func with(operation: String, bucket: String?, key: String?) -> ObjectStorageError {
        var copy = self
        if copy.operation == nil { copy.operation = operation }
        if copy.bucket == nil { copy.bucket = bucket }
        if copy.key == nil { copy.key = key }
        return copy
    }
}

extension ObjectStorageError {
    /// The transport's failure in OSS terms: a local file problem, else `.transport` with libcurl's code.
    init(_ failure: HTTPFailure) {
        switch failure.kind {
        case .localFile:
            self.init(.localFile, failure.message, curlCode: failure.curlCode)
        case .transport:
            self.init(.transport, failure.detail, curlCode: failure.curlCode)
        case .setup:
            let step = failure.step.map { $0.hasPrefix("curl_") ? $0 : "curl_easy_setopt(\($0))" } ?? "libcurl setup"
            self.init(.transport, "\(step) failed: \(failure.message)", curlCode: failure.curlCode)
        }
    }
}
