import Foundation

/// A source of credentials that can change while a client runs (the ECS RAM role's rotating STS keys).
///
/// The client asks before signing each attempt, so every request carries the freshest pair; a provider caches
/// and refreshes on its own schedule. Shared by a client and its siblings (multipart workers), hence thread-safe.
public protocol OSSCredentialsProvider: AnyObject, Sendable {
    /// Where the credentials come from, for messages (`the ECS RAM role 'backup'`).
    var source: String { get }
    /// The credentials to sign with now (cached until shortly before they expire).
    func credentials() throws -> OSSCredentials
    /// OSS rejected the pair `accessKeyId` (expired or unknown): forget it, so the next `credentials()` fetches anew.
    /// Returns whether a fresh fetch can help (false for a pair that cannot change).
    func invalidate(accessKeyId: String?) -> Bool
}

extension OSSClient {
    /// OSS error codes that mean the credentials expired or were replaced, which fresh ones from a rotating
    /// provider fix (OSS answers 403 with one of these when an STS pair runs out mid-transfer).
    static let expiredCredentialCodes: Set<String> = ["InvalidAccessKeyId", "SecurityTokenExpired"]

    /// The credentials for the next attempt: the provider's current ones, or the configuration's fixed pair.
    func signingCredentials(operation: String, bucket: String?, key: String?) throws -> OSSCredentials {
        guard let provider = configuration.credentialsProvider else { return configuration.credentials }
        do {
            return try provider.credentials()
        } catch let error as ObjectStorageError {
            throw error.with(operation: operation, bucket: bucket, key: key)
        }
    }

    /// Whether `error` is OSS refusing rotated-away credentials and the provider fetched (or will fetch) new ones:
    /// then the request is worth repeating at once, without counting as a failed attempt.
    func refreshedAfterRejection(_ error: ObjectStorageError) -> Bool {
        guard error.httpStatus == 403, let code = error.serviceCode, Self.expiredCredentialCodes.contains(code),
              let provider = configuration.credentialsProvider else { return false }
        return provider.invalidate(accessKeyId: error.signedWith)
    }
}
