import ErrorKinds
import Redaction

/// A mirror that cannot start or cannot go on (the folder or the listing is unusable); per-file failures
/// are counted in `MirrorReport` instead.
public struct MirrorError: Error, CustomStringConvertible, Sendable, KindedError {
    public var message: String
    /// True for mistakes in what the user asked (`usage`).
    public var isUsageError: Bool

    public init(_ message: String, usage: Bool = false) {
        self.message = message
        self.isUsageError = usage
    }

    public var description: String { Redacted.text(message) }
    public var failureKind: FailureKind { isUsageError ? .usage : .failure }
}
