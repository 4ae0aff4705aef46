import CLibPQ

extension Connection {
    /// Runs a `COPY … TO STDOUT` statement and hands each chunk of data to `body`; returns the row count.
    ///
    /// A chunk is one row in text and CSV formats; the buffer is only valid during the call. When
    /// `body` throws, the statement is cancelled, the connection is drained so it stays usable, and
    /// the error is rethrown. See <https://www.postgresql.org/docs/current/libpq-copy.html>.
    @discardableResult
    public func copyOut(_ sql: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        let start = try owned(PQexec(handle, sql), doing: sql)
        guard PQresultStatus(start.handle) == PGRES_COPY_OUT else {
            try check(start, doing: sql)
            throw PostgresError(kind: .usage, message: "statement is not a COPY … TO STDOUT", context: redactedTarget)
        }
        var failure: Error?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &buffer, 0)
            if length > 0, let buffer {
                defer { PQfreemem(buffer) }
                if failure == nil {
                    do {
                        try body(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
                    } catch {
                        failure = error
                        // Stop the server from sending the rest; what is still in flight is read and dropped below.
                        _ = try? cancelToken().cancel()
                    }
                }
                continue
            }
            if length == -1 { break } // COPY finished; the final status follows as a result
            // -2: the connection failed mid-copy.
            let error = connectionError(doing: sql)
            drainResults()
            throw failure ?? PostgresError(kind: error.kind == .protocolViolation ? .copy : error.kind,
                                           message: error.message, context: error.context)
        }
        return try finishCopy(sql, failure: failure, serverErrorKind: nil)
    }

    /// Runs a `COPY … FROM STDIN` statement, letting `body` write the data; returns the row count.
    ///
    /// The copy ends normally when `body` returns. When `body` throws, the copy is ended with
    /// `PQputCopyEnd` and an error reason, so the server rolls the statement back and nothing of a
    /// failed load is committed; then the error is rethrown.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (CopyInWriter) throws -> Void) throws -> Int64 {
        let start = try owned(PQexec(handle, sql), doing: sql)
        guard PQresultStatus(start.handle) == PGRES_COPY_IN else {
            try check(start, doing: sql)
            throw PostgresError(kind: .usage, message: "statement is not a COPY … FROM STDIN", context: redactedTarget)
        }
        let writer = CopyInWriter(connection: self, sql: sql)
        var failure: Error?
        do {
            try body(writer)
        } catch {
            failure = error
        }
        // The reason ends up in the server log, so it names the error's type only, never its text.
        let reason = failure.map { "COPY aborted by the client (\(type(of: $0)))" }
        if PQputCopyEnd(handle, reason) != 1 {
            let error = connectionError(doing: sql)
            drainResults()
            throw failure ?? error
        }
        return try finishCopy(sql, failure: failure, serverErrorKind: failure == nil ? nil : .copy)
    }

    /// Reads a COPY's closing results: the row count, or the client's own failure first, else the server's error.
    private func finishCopy(_ sql: String, failure: (any Error)?, serverErrorKind: PostgresError.Kind?) throws -> Int64 {
        var rows: Int64 = 0
        var serverError: PostgresError?
        while let raw = PQgetResult(handle) {
            let result = QueryResult(owning: raw)
            if PQresultStatus(result.handle) == PGRES_COMMAND_OK {
                rows = result.affectedRows ?? 0
            } else if serverError == nil {
                serverError = error(from: result, doing: sql, kind: serverErrorKind)
            }
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
        return rows
    }
}

/// Sends data for a `COPY … FROM STDIN` in progress; only valid inside `Connection.copyIn`'s closure.
public final class CopyInWriter {
    private unowned let connection: Connection
    private let sql: String

    init(connection: Connection, sql: String) {
        self.connection = connection
        self.sql = sql
    }

    /// Sends `bytes` (any split of the COPY data stream; rows need not align with calls).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let status = PQputCopyData(connection.handle, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        guard status == 1 else { throw connection.connectionError(doing: sql) }
    }

    /// Sends the UTF-8 bytes of `text`.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
}

@available(*, unavailable)
extension CopyInWriter: Sendable {}
