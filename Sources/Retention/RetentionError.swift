import ErrorKinds

/// Why a retention step failed, with the object or setting it concerns.
public struct RetentionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Equatable {
        /// The policy is empty or has a negative count.
        case invalidPolicy
        /// The location could not be listed.
        case listFailed
        /// An object could not be read (a manifest).
        case readFailed
        /// An object could not be removed.
        case removeFailed
        /// The storage refuses to remove the object on purpose (no delete permission, or a retention policy): kept,
        /// and not a failure.
        case protected
        /// The location is not something prune can work on.
        case invalidLocation
    }

    /// What kind of failure this is.
    public let code: Code
    /// A message for humans that says what to fix.
    public let message: String
    /// The file, key or folder concerned, when there is one.
    public let object: String?
    /// The operating system's message, when there is one (errno text).
    public let underlying: String?

    /// Creates an error with its context.
    public init(_ code: Code, _ message: String, object: String? = nil, underlying: String? = nil) {
        self.code = code
        self.message = message
        self.object = object
        self.underlying = underlying
    }

    public var description: String {
        var text = message
        if let object { text += " (\(object))" }
        if let underlying { text += ": \(underlying)" }
        return text
    }
}

extension RetentionError: KindedError {
    /// A bad policy or location is the user's input (`usage`); anything else is a `failure`.
    public var failureKind: FailureKind {
        switch code {
        case .invalidPolicy, .invalidLocation: .usage
        case .listFailed, .readFailed, .removeFailed, .protected: .failure
        }
    }
}
