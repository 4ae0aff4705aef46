import Foundation
import SQLite

/// Why a snapshot, a check or a restore of a SQLite database failed, with the file it concerns.
public struct SQLiteSnapshotError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for callers that react differently (exit codes, retries).
    public enum Code: String, Sendable, Equatable {
        /// The database file (or the candidate) does not exist.
        case noSuchFile
        /// The file exists but is not a SQLite database.
        case notADatabase
        /// The snapshot destination already exists; snapshots never overwrite.
        case destinationExists
        /// The folder that should hold the file does not exist.
        case folderMissing
        /// `PRAGMA integrity_check` reported problems, or the file is too damaged to check.
        case integrityCheckFailed
        /// Another process holds the database, so it cannot be replaced now.
        case databaseInUse
        /// A file-system operation (rename, copy, fsync) failed.
        case io
        /// SQLite reported an error not covered above.
        case sqlite
    }

    /// What went wrong.
    public let code: Code
    /// The file the error is about.
    public let path: String
    /// What happened and, where possible, what to do about it.
    public let message: String
    /// The lines of `PRAGMA integrity_check` when it found problems.
    public let integrityReport: [String]
    /// The SQLite error underneath, when there is one.
    public let underlying: SQLiteError?

    /// Creates an error.
    public init(_ code: Code, path: String, message: String, integrityReport: [String] = [], underlying: SQLiteError? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.integrityReport = integrityReport
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(path): \(message)"
        if !integrityReport.isEmpty {
            let shown = integrityReport.prefix(10)
            text += "\n  " + shown.joined(separator: "\n  ")
            if integrityReport.count > shown.count { text += "\n  … \(integrityReport.count - shown.count) more" }
        }
        if let underlying { text += " (\(underlying.codeName): \(underlying.message))" }
        return text
    }

    /// Wraps an `SQLiteError` raised while working on `path`, picking the closest code.
    static func wrapping(_ error: SQLiteError, path: String, doing what: String) -> SQLiteSnapshotError {
        if error.isNotADatabase {
            SQLiteSnapshotError(.notADatabase, path: path, message: "not a SQLite database", underlying: error)
        } else if error.isCorrupt {
            SQLiteSnapshotError(.integrityCheckFailed, path: path, message: "the database is damaged (\(what))",
                                underlying: error)
        } else if error.isBusy {
            SQLiteSnapshotError(.databaseInUse, path: path,
                                message: "the database is locked by another connection (\(what)); try again when it is idle",
                                underlying: error)
        } else if error.isReadOnlyRollback {
            SQLiteSnapshotError(.sqlite, path: path,
                                message: "a writer crashed mid-transaction and left a hot journal (\(what)); let the application (or `sqlite3 \(path) 'PRAGMA quick_check'`) open it once to roll it back, then retry",
                                underlying: error)
        } else {
            SQLiteSnapshotError(.sqlite, path: path, message: "\(what) failed", underlying: error)
        }
    }
}
