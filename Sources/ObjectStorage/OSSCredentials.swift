import Foundation
import VaultopsCore

/// The access key pair (and optional STS token) that signs OSS requests.
///
/// - Important: `description` and `debugDescription` never show the secret or the token, so a
///   credentials value can be logged or put in an error without leaking them.
public struct OSSCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The AccessKey ID (not secret: OSS puts it in every signed request).
    public let accessKeyId: String
    /// The AccessKey secret; only the signer reads it.
    package let accessKeySecret: String
    /// The STS security token, when the keys are temporary.
    package let securityToken: String?
    /// When temporary credentials stop working, when their issuer says (the ECS RAM role's `Expiration`).
    public let expiration: Date?

    /// Creates credentials; an empty token counts as none.
    public init(accessKeyId: String, accessKeySecret: String, securityToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.expiration = expiration
        self.accessKeySecret = accessKeySecret
        self.securityToken = (securityToken?.isEmpty ?? true) ? nil : securityToken
        // Registered with the one redaction helper, so logs and errors hide them wherever they leak to.
        // The registry is process-wide and masks every occurrence: a value as short as a test's "s" would
        // mask letters all over unrelated text, and real secrets and tokens are far longer than 8.
        if accessKeySecret.count >= 8 { Redacted.register(secret: accessKeySecret) }
        if let token = self.securityToken, token.count >= 8 { Redacted.register(secret: token) }
    }

    public var description: String {
        "OSSCredentials(accessKeyId: \(accessKeyId), secret: <redacted>\(securityToken == nil ? "" : ", token: <redacted>"))"
    }

    public var debugDescription: String { description }
}
