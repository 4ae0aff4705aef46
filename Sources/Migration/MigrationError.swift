import ErrorKinds
import Redaction

/// An error that stops a migration, with what the user needs to act on it.
public struct MigrationError: Error, CustomStringConvertible, KindedError, Sendable {
    /// What went wrong, broadly.
    public enum Code: String, Sendable {
        /// Bad input: unknown table, a name PostgreSQL would truncate, a bad option.
        case usage
        /// A target table already has rows and `--replace` was not given.
        case targetNotEmpty
        /// `--replace` would drop objects that depend on the replaced tables; `--replace-cascade` was not given.
        case targetHasDependents
        /// Reading or writing a local file failed.
        case io
        /// The SQLite source could not be read.
        case source
        /// The PostgreSQL target failed.
        case target
        /// Rows could not be migrated (row errors) or the data did not verify.
        case incomplete
        /// Source and target differ after loading.
        case verificationFailed
    }

    /// The code.
    public let code: Code
    /// A human message naming the table, file or row concerned.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { Redacted.text(message) }

    public var failureKind: FailureKind {
        switch code {
        case .usage: .usage
        case .verificationFailed: .verification
        default: .failure
        }
    }
}
