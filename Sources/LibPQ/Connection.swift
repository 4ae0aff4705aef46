import CLibPQ
import Foundation
import Logging

/// A blocking connection to a PostgreSQL server through libpq, owning its `PGconn`.
///
/// The connection string is a URI or keyword/value string; libpq's environment variables
/// (`PGHOST`, `PGPASSWORD`, …) and `~/.pgpass` fill in whatever it leaves out, exactly as in psql.
/// See <https://www.postgresql.org/docs/current/libpq-connect.html>.
/// - Important: libpq connections are not thread-safe; keep each `Connection` on one thread. Use
///   `cancelToken()` to cancel a running statement from another thread.
public final class Connection {
    let handle: OpaquePointer
    /// A printable description of the target without any password.
    public let redactedTarget: String
    private let secrets: [String]
    private let notices: NoticeRouter

    /// Opens a connection; throws a `PostgresError` of kind `.connection` carrying libpq's (scrubbed) message.
    ///
    /// - Parameters:
    ///   - conninfo: a libpq URI or keyword/value string.
    ///   - logger: where server notices and warnings are logged.
    public init(_ conninfo: String, logger: Logger = Logger(label: "vaultops.libpq")) throws {
        redactedTarget = ConnectionInfo.redacted(conninfo)
        // Hidden in this connection's own messages; hiding them process-wide (`Redacted.register(connection:)`)
        // is for the caller, which knows where the string came from, and does it before anything can log it.
        secrets = ConnectionInfo.secrets(in: conninfo)
        // Refused before libpq sees it: libpq would put the password's tail in the host, and into its messages.
        if let problem = ConnectionInfo.rawAtProblem(conninfo) {
            throw PostgresError(kind: .usage, message: problem, context: redactedTarget)
        }
        // expand_dbname = 1 lets `dbname` carry a whole URI or keyword string, so one value covers both forms;
        // fallback_application_name only applies when the user did not choose a name.
        // A connect_timeout given before dbname is only a default: the string's own value (or
        // PGCONNECT_TIMEOUT, when set) wins, so an unreachable host fails instead of hanging forever.
        // TCP keepalives and tcp_user_timeout (defaults too) notice a dead peer or a cut network within about two
        // minutes, where the kernel's defaults take hours and a blocked read would wait forever.
        var keywords = ["keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                        "dbname", "fallback_application_name"]
        var values = ["1", "60", "10", "6", String(Self.tcpUserTimeoutMilliseconds), conninfo, "vaultops"]
        let deadline = ConnectionDeadline.current
        if let deadline {
            // Connecting is bounded by the deadline too: a server that accepts and never answers cannot hold it.
            let seconds = min(deadline.secondsLeft, Int(getenv("PGCONNECT_TIMEOUT").flatMap { Int(String(cString: $0)) }
                ?? Self.defaultConnectTimeoutSeconds))
            keywords.insert("connect_timeout", at: 0)
            values.insert(String(max(1, seconds)), at: 0)
        } else if getenv("PGCONNECT_TIMEOUT") == nil {
            keywords.insert("connect_timeout", at: 0)
            values.insert(String(Self.defaultConnectTimeoutSeconds), at: 0)
        }
        let raw: OpaquePointer? = withCStringArray(keywords) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let raw else {
            throw PostgresError(kind: .connection, message: "libpq could not allocate a connection", context: redactedTarget)
        }
        guard PQstatus(raw) == CONNECTION_OK else {
            // Capture the message while the handle is alive, free it, and only then throw.
            var message = ConnectionInfo.scrub(Self.trimmed(PQerrorMessage(raw)), secrets: secrets)
            PQfinish(raw)
            if let deadline, Date() >= deadline.deadline {
                message = "the timeout of \(deadline.label) passed while connecting (\(message))"
            }
            throw PostgresError(kind: .connection, message: message, context: redactedTarget)
        }
        handle = raw
        notices = NoticeRouter(logger: logger)
        PQsetNoticeReceiver(raw, noticeReceiver, Unmanaged.passUnretained(notices).toOpaque())
        if let deadline, let cancel = PQgetCancel(raw),
           deadline.register(self, token: CancelToken(owning: cancel), socket: PQsocket(raw)) {
            self.deadline = deadline
        }
    }

    /// The deadline this connection is registered with, if any.
    private var deadline: ConnectionDeadline?

    deinit {
        // Unregistered first: the watchdog must never shut down a descriptor that PQfinish has closed.
        deadline?.unregister(self)
        PQfinish(handle)
    }

    /// libpq's `tcp_user_timeout` default: how long sent data may stay unacknowledged before the connection fails.
    public static let tcpUserTimeoutMilliseconds = 120_000

    /// The connect timeout used when neither the connection string nor `PGCONNECT_TIMEOUT` sets one.
    public static let defaultConnectTimeoutSeconds = 30

    /// The server's version number, e.g. 150018 for 15.18.
    public var serverVersionNumber: Int { Int(PQserverVersion(handle)) }

    /// The server's version string as reported by `server_version`, e.g. "15.18 (Debian 15.18-0+deb12u1)".
    public var serverVersion: String {
        guard let value = PQparameterStatus(handle, "server_version") else { return String(serverVersionNumber) }
        return String(cString: value)
    }

    /// Whether the connection is still usable.
    public var isOpen: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The connection's socket (for reading its options; vaultops never reads or writes it directly), -1 if none.
    public var socketDescriptor: Int32 { PQsocket(handle) }

    /// Whether a transaction block is open (or failed and not yet rolled back) on this connection.
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Runs `sql` (one or more statements, no parameters) and returns the last statement's result.
    @discardableResult
    public func execute(_ sql: String) throws -> QueryResult {
        let result = try owned(PQexec(handle, sql), doing: sql)
        try check(result, doing: sql)
        return result
    }

    /// Runs one statement with `$1…$n` parameters sent separately from the SQL text (never interpolated).
    ///
    /// Parameters are text; nil is SQL NULL. The server infers each parameter's type from its use.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?]) throws -> QueryResult {
        let raw: OpaquePointer? = withOptionalCStringArray(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        let result = try owned(raw, doing: sql)
        try check(result, doing: sql)
        return result
    }

    /// A token that cancels the statement running on this connection, usable from any thread.
    public func cancelToken() throws -> CancelToken {
        guard let cancel = PQgetCancel(handle) else {
            throw PostgresError(kind: .usage, message: "the connection cannot be cancelled (not connected)",
                                context: redactedTarget)
        }
        return CancelToken(owning: cancel)
    }

    // MARK: - The error funnel

    /// Wraps a fresh `PGresult` at once, or throws libpq's error when there is none.
    func owned(_ raw: OpaquePointer?, doing sql: String) throws -> QueryResult {
        guard let raw else { throw connectionError(doing: sql) }
        return QueryResult(owning: raw)
    }

    /// Throws when `result` is not a success status (COPY states count as errors here).
    func check(_ result: QueryResult, doing sql: String, allowing extra: [ExecStatusType] = []) throws {
        let status = PQresultStatus(result.handle)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY
            || extra.contains(status) {
            return
        }
        if status == PGRES_COPY_OUT || status == PGRES_COPY_IN || status == PGRES_COPY_BOTH {
            // Leave the connection usable: end the unexpected COPY before reporting it.
            if status == PGRES_COPY_IN {
                _ = PQputCopyEnd(handle, "COPY abandoned by client")
            } else if status == PGRES_COPY_OUT {
                var buffer: UnsafeMutablePointer<CChar>?
                while PQgetCopyData(handle, &buffer, 0) > 0 {
                    if let buffer { PQfreemem(buffer) }
                    buffer = nil
                }
            }
            drainResults()
            throw PostgresError(kind: .usage, message: "statement started a COPY; use copyIn/copyOut for it",
                                context: step(sql))
        }
        throw error(from: result, doing: sql)
    }

    /// The single place that turns a failed `PGresult` into a `PostgresError`.
    func error(from result: QueryResult, doing sql: String, kind: PostgresError.Kind? = nil) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            guard let value = PQresultErrorField(result.handle, Int32(code)) else { return nil }
            return ConnectionInfo.scrub(String(cString: value), secrets: secrets)
        }
        let sqlState = field(UInt8(ascii: "C"))
        var message = field(UInt8(ascii: "M")) ?? ConnectionInfo.scrub(Self.trimmed(PQresultErrorMessage(result.handle)), secrets: secrets)
        if message.isEmpty { message = ConnectionInfo.scrub(Self.trimmed(PQerrorMessage(handle)), secrets: secrets) }
        let resolvedKind: PostgresError.Kind
        if let kind {
            resolvedKind = kind
        } else if PQstatus(handle) != CONNECTION_OK || sqlState?.hasPrefix("08") == true || sqlState == "57P01"
                    || sqlState == "57P02" || sqlState == "57P03" {
            resolvedKind = .connectionLost
        } else if sqlState == "57014" {
            resolvedKind = .cancelled
        } else if sqlState == "55P03" {
            resolvedKind = .lockTimeout
        } else {
            resolvedKind = .query
        }
        return PostgresError(kind: resolvedKind, sqlState: sqlState, message: message,
                             detail: field(UInt8(ascii: "D")), hint: field(UInt8(ascii: "H")), context: step(sql))
    }

    /// An error built from the connection's own message, for calls that returned no result.
    func connectionError(doing sql: String) -> PostgresError {
        let message = ConnectionInfo.scrub(Self.trimmed(PQerrorMessage(handle)), secrets: secrets)
        let kind: PostgresError.Kind = PQstatus(handle) == CONNECTION_OK ? .protocolViolation : .connectionLost
        return PostgresError(kind: kind, message: message.isEmpty ? "no result from server" : message, context: step(sql))
    }

    /// Reads and discards results until libpq reports none are left.
    ///
    /// In a COPY state libpq keeps returning the COPY result, so pending COPY data is read and dropped
    /// (COPY OUT) or the copy is ended with an error (COPY IN) to let the connection reach idle.
    func drainResults() {
        while let raw = PQgetResult(handle) {
            let status = PQresultStatus(raw)
            PQclear(raw)
            if status == PGRES_COPY_OUT {
                var buffer: UnsafeMutablePointer<CChar>?
                while PQgetCopyData(handle, &buffer, 0) > 0 {
                    if let buffer { PQfreemem(buffer) }
                    buffer = nil
                }
            } else if status == PGRES_COPY_IN {
                if PQputCopyEnd(handle, "COPY abandoned by client") != 1 { return }
            } else if status == PGRES_COPY_BOTH || PQstatus(handle) != CONNECTION_OK {
                return
            }
        }
    }

    private func step(_ sql: String) -> String {
        let firstLine = sql.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? sql
        let short = firstLine.count > 120 ? String(firstLine.prefix(120)) + "…" : firstLine
        return "\(redactedTarget); running: \(ConnectionInfo.scrub(short, secrets: secrets))"
    }

    static func trimmed(_ cString: UnsafePointer<CChar>?) -> String {
        guard let cString else { return "" }
        var text = String(cString: cString)
        while text.last == "\n" || text.last == " " { text.removeLast() }
        return text
    }
}

@available(*, unavailable)
extension Connection: Sendable {}

/// Cancels the statement running on a connection; safe to use from any thread.
///
/// Wraps `PGcancel` (see <https://www.postgresql.org/docs/current/libpq-cancel.html>).
public final class CancelToken: @unchecked Sendable {
    // Safety: libpq documents PQcancel as thread-safe on a PGcancel object, which is immutable after
    // PQgetCancel; the pointer is freed only in deinit, when no other reference can exist.
    private let handle: OpaquePointer

    init(owning handle: OpaquePointer) { self.handle = handle }

    deinit { PQfreeCancel(handle) }

    /// Asks the server to cancel the current statement; returns whether the request was sent.
    ///
    /// Success here does not mean the statement stopped: the statement's own call reports a
    /// `PostgresError` of kind `.cancelled` if it did.
    @discardableResult
    public func cancel() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(handle, &buffer, Int32(buffer.count)) == 1
    }
}

/// Routes server notices (NOTICE, WARNING, INFO, …) to a `Logger`.
final class NoticeRouter {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }

    func route(_ result: OpaquePointer) {
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        let severity = field(UInt8(ascii: "V")) ?? field(UInt8(ascii: "S")) ?? "NOTICE"
        let message = field(UInt8(ascii: "M")) ?? Connection.trimmed(PQresultErrorMessage(result))
        var metadata: Logger.Metadata = ["severity": .string(severity)]
        if let code = field(UInt8(ascii: "C")) { metadata["sqlstate"] = .string(code) }
        if let detail = field(UInt8(ascii: "D")) { metadata["detail"] = .string(detail) }
        if let hint = field(UInt8(ascii: "H")) { metadata["hint"] = .string(hint) }
        logger.log(level: Self.level(forSeverity: severity), "server: \(message)", metadata: metadata)
    }

    /// The log level for a PostgreSQL notice severity.
    static func level(forSeverity severity: String) -> Logger.Level {
        switch severity {
        case "WARNING": return .warning
        case "NOTICE": return .notice
        case "INFO", "LOG": return .info
        default: return .debug
        }
    }
}

private func noticeReceiver(_ arg: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let arg, let result else { return }
    Unmanaged<NoticeRouter>.fromOpaque(arg).takeUnretainedValue().route(result)
}

/// Calls `body` with a NULL-terminated array of C strings that live for the duration of the call.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStringArray(strings.map { Optional($0) }, body)
}

/// Like `withCStringArray`, with nil elements passed as NULL pointers.
func withOptionalCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
