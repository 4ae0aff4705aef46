import ErrorKinds

/// Why replicating or restoring a replica failed.
public struct ReplicationError: Error, CustomStringConvertible, Sendable, Equatable, KindedError {
    /// What went wrong.
    public enum Kind: String, Sendable {
        /// The database is not in WAL mode (or not a database): it cannot be replicated.
        case notWAL
        /// A WAL file does not follow SQLite's format.
        case walFormat
        /// A stored segment is damaged (format, hash) or does not fit its place in the chain.
        case segmentFormat
        /// No generation holds the point asked for.
        case noRestorePoint
        /// The restored file failed `PRAGMA integrity_check`.
        case integrity
        /// Reading or writing a file failed.
        case io
        /// Another replicator of the same source holds its lock.
        case locked
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    public var failureKind: FailureKind {
        switch kind {
        case .notWAL, .noRestorePoint: .usage
        case .segmentFormat, .integrity, .walFormat: .verification
        case .io: .failure
        case .locked: .locked
        }
    }
}
