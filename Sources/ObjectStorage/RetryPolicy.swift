import Foundation

/// When and how long to wait before trying a failed request again.
///
/// Capped exponential backoff with full jitter: attempt n waits a random time in
/// `[0, min(maxDelay, baseDelay · 2^(n-1))]`, so many clients failing together do not retry in step.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in total, the first included.
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval

    public init(maxAttempts: Int = 6, baseDelay: TimeInterval = 0.3, maxDelay: TimeInterval = 20) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before attempt `attempt` (2 is the first retry), given `random` in [0, 1).
    public func delay(beforeAttempt attempt: Int, random: Double) -> TimeInterval {
        let exponent = Double(max(0, attempt - 2))
        let cap = min(maxDelay, baseDelay * pow(2, exponent))
        return cap * min(max(random, 0), 1)
    }

    // curl errors that a retry cannot fix: bad URL, unsupported protocol, TLS trust and local problems.
    private static let permanentCurlCodes: Set<Int> = [1, 2, 3, 4, 27, 43, 48, 58, 60, 77, 83, 90, 91]

    /// Whether `error` is worth another attempt: 5xx, 429, timeouts, resets and `RequestTimeTooSkewed`.
    public static func isRetryable(_ error: ObjectStorageError) -> Bool {
        switch error.kind {
        case .transport:
            return !permanentCurlCodes.contains(error.curlCode ?? 0)
        case .service:
            guard let status = error.httpStatus else { return false }
            if status >= 500 || status == 429 { return true }
            return error.serviceCode == "RequestTimeTooSkewed"
        default:
            return false
        }
    }
}
