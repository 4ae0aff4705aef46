import ErrorKinds
import LibPQ

/// Why a restore failed, with the script position and the server's diagnostics that let the user act.
///
/// `description` never holds a password: the server's messages come scrubbed from LibPQ, the target
/// is named through `ConnectionInfo.redacted`, and quoted literals on a statement line that mentions
/// a password are masked.
public struct PostgresRestoreError: Error, CustomStringConvertible, Sendable, KindedError {
    /// What failed, so a caller can tell failures apart without parsing text.
    public enum Kind: String, Sendable, Equatable {
        /// The server rejected a statement of the script.
        case statementFailed
        /// The connection broke during the restore.
        case connectionLost
        /// The script ends early: inside a statement, inside COPY data, or without its completion marker.
        case truncated
        /// The script uses a psql meta-command other than `\connect`, `\restrict`, `\unrestrict`.
        case unsupportedMetaCommand
        /// The script cannot be run as given (compressed bytes, transaction control in one transaction, …).
        case invalidScript
        /// The target already holds user tables and neither `clean` nor `force` was given.
        case targetNotEmpty
        /// The target could not be reached or prepared (connect, create, clean).
        case target
        /// Reading the script failed.
        case io
        /// The options do not go together (`jobs` > 1 with `clean` or `force`, …); nothing was read or changed.
        case options
        /// The script would act on a database other than the target (`\connect other`, `DROP DATABASE`, …).
        case outsideTarget
        /// The script holds a statement that reaches beyond the database (`COPY … PROGRAM`, `ALTER SYSTEM`, …)
        /// and `RestoreOptions.trustScript` is off.
        case untrustedStatement
        /// A statement waited longer than `RestoreOptions.lockTimeout` for a lock another session holds.
        case lockTimeout
        /// SIGINT or SIGTERM stopped the restore, which was then undone.
        case interrupted
    }

    /// What failed.
    public var kind: Kind
    /// The human-readable message.
    public var message: String
    /// The script file (or other input name).
    public var file: String?
    /// The 1-based line in the script where the failing statement or meta-command starts.
    public var line: Int?
    /// The failing statement's first line (at most 200 characters).
    public var statement: String?
    /// The server's error, when the server reported one.
    public var underlying: PostgresError?

    /// Creates an error; `statement` is shortened and masked here.
    public init(kind: Kind, message: String, file: String? = nil, line: Int? = nil, statement: String? = nil,
                underlying: PostgresError? = nil) {
        self.kind = kind
        self.message = message
        self.file = file
        self.line = line
        self.statement = statement.map(Self.firstLine)
        self.underlying = underlying
    }

    /// Options that do not go together are the user's mistake; everything else is a failure.
    public var failureKind: FailureKind { kind == .options ? .usage : .failure }

    /// The SQLSTATE of the server's error, when there is one.
    public var sqlState: String? { underlying?.sqlState }

    public var description: String {
        var text = "restore failed"
        if let file {
            text += " at \(file)"
            if let line { text += ":\(line)" }
        } else if let line {
            text += " at line \(line)"
        }
        text += ": \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail = underlying?.detail, !detail.isEmpty { text += "\nDETAIL: \(detail)" }
        if let hint = underlying?.hint, !hint.isEmpty { text += "\nHINT: \(hint)" }
        if let statement { text += "\nstatement: \(statement)" }
        return text
    }

    /// The first non-empty line of `sql`, at most 200 characters, with literals masked when it mentions a password.
    static func firstLine(_ sql: String) -> String {
        let line = sql.split(whereSeparator: { $0.isNewline }).first.map(String.init) ?? sql
        var short = line.count > 200 ? String(line.prefix(200)) + "…" : line
        if short.lowercased().contains("password") { short = maskLiterals(short) }
        return short
    }

    /// Replaces every single-quoted literal with '***'.
    static func maskLiterals(_ text: String) -> String {
        var out = ""
        var inQuote = false
        for ch in text {
            if ch == "'" {
                if !inQuote { out += "'***" }
                else { out += "'" }
                inQuote.toggle()
            } else if !inQuote {
                out.append(ch)
            }
        }
        if inQuote { out += "'" }
        return out
    }
}
