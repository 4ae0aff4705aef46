/// An error from PostgreSQL or libpq, with the server's diagnostic fields and a redacted context.
///
/// `description` never contains a password: the context names the server through
/// `ConnectionInfo.redacted(_:)` and libpq's messages are scrubbed of the password before they are stored.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What failed, so callers can map errors to exit codes and messages without parsing text.
    public enum Kind: String, Sendable, Equatable {
        /// The connection could not be opened (unreachable server, authentication, missing database).
        case connection
        /// The connection broke while in use (terminated backend, server restart, network loss).
        case connectionLost
        /// The server rejected a statement.
        case query
        /// A COPY failed or was aborted.
        case copy
        /// The statement was cancelled on request.
        case cancelled
        /// A lock could not be taken within the lock timeout.
        case lockTimeout
        /// The server answered in a way this code does not expect (a bug here or in the caller's SQL).
        case protocolViolation
        /// The caller asked for something invalid (bad column, bad conversion).
        case usage
    }

    /// What failed.
    public var kind: Kind
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// The primary human-readable message.
    public var message: String
    /// The server's DETAIL field.
    public var detail: String?
    /// The server's HINT field.
    public var hint: String?
    /// Where it happened: the (redacted) server and the step or object being worked on.
    public var context: String

    /// Creates an error; callers should pass text that is already free of secrets.
    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil,
                context: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.context = context
    }

    /// Returns a copy whose context has `step` appended (e.g. "dumping table public.t").
    public func adding(context step: String) -> PostgresError {
        var copy = self
        copy.context = context.isEmpty ? step : "\(context); \(step)"
        return copy
    }

    public var description: String {
        var text = "PostgreSQL \(kind.rawValue) error"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail, !detail.isEmpty { text += "\nDETAIL: \(detail)" }
        if let hint, !hint.isEmpty { text += "\nHINT: \(hint)" }
        if !context.isEmpty { text += "\n(\(context))" }
        return text
    }
}
