import CSQLite
import Foundation

/// A compiled SQL statement, owning its `sqlite3_stmt*` and finalizing it in `deinit`.
///
/// Follows https://www.sqlite.org/c3ref/stmt.html. Parameters are 1-based as in SQLite; result columns
/// are 0-based. Text and blobs are bound with `SQLITE_TRANSIENT`, so SQLite keeps its own copy.
///
/// - Important: Not thread-safe and not `Sendable`; use it on the thread that uses its connection.
public final class Statement {
    /// The connection this statement belongs to; kept alive while the statement lives.
    public let connection: Connection
    /// The SQL text the statement was compiled from.
    public let sql: String
    @usableFromInline let handle: OpaquePointer

    init(connection: Connection, sql: String) throws {
        self.connection = connection
        self.sql = sql
        var stmt: OpaquePointer?
        var hasTrailingStatement = false
        let rc = sql.withCString { cSQL in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v2(connection.handle, cSQL, -1, &stmt, &tail)
            // The tail points into this temporary C string, so inspect it here: only blanks and
            // semicolons may follow the one statement.
            if rc == SQLITE_OK, let tail {
                let rest = String(cString: tail).trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";")))
                hasTrailingStatement = !rest.isEmpty && !rest.hasPrefix("--")
            }
            return rc
        }
        guard rc == SQLITE_OK else {
            let error = connection.makeError(rc, sql: sql)
            sqlite3_finalize(stmt)
            throw error
        }
        guard let stmt else {
            // An empty string or a comment compiles to no statement at all.
            throw SQLiteError(extendedCode: SQLITE_MISUSE, message: "the SQL contains no statement", sql: sql,
                              path: connection.path)
        }
        if hasTrailingStatement {
            sqlite3_finalize(stmt)
            throw SQLiteError(extendedCode: SQLITE_MISUSE,
                              message: "prepare takes one statement; use execute() for several", sql: sql,
                              path: connection.path)
        }
        handle = stmt
    }

    deinit { sqlite3_finalize(handle) }

    /// The number of `?` parameters.
    public var parameterCount: Int32 { sqlite3_bind_parameter_count(handle) }

    /// Binds `value` to the 1-based parameter `index`.
    public func bind(_ value: SQLiteValue, at index: Int32) throws {
        let transient = vaultops_sqlite_transient()
        let rc: Int32
        switch value {
        case .integer(let v):
            rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v):
            rc = sqlite3_bind_double(handle, index, v)
        case .null:
            rc = sqlite3_bind_null(handle, index)
        case .text(let v):
            var text = v
            rc = text.withUTF8 { bytes in
                // A nil pointer would bind NULL; an empty string must stay an empty text.
                guard let base = bytes.baseAddress, bytes.count > 0 else {
                    return sqlite3_bind_text(handle, index, "", 0, transient)
                }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text64(handle, index, $0, sqlite3_uint64(bytes.count), transient, UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let v):
            rc = v.withUnsafeBytes { bytes in
                // Likewise a nil pointer would bind NULL; a zero-length blob is bound explicitly.
                guard let base = bytes.baseAddress, bytes.count > 0 else {
                    return sqlite3_bind_zeroblob(handle, index, 0)
                }
                return sqlite3_bind_blob64(handle, index, base, sqlite3_uint64(bytes.count), transient)
            }
        }
        try connection.check(rc, sql: sql)
    }

    /// Binds an integer to the 1-based parameter `index`.
    public func bind(_ value: Int64, at index: Int32) throws { try bind(.integer(value), at: index) }
    /// Binds a real to the 1-based parameter `index`.
    public func bind(_ value: Double, at index: Int32) throws { try bind(.real(value), at: index) }
    /// Binds text to the 1-based parameter `index`.
    public func bind(_ value: String, at index: Int32) throws { try bind(.text(value), at: index) }
    /// Binds a blob to the 1-based parameter `index`.
    public func bind(_ value: Data, at index: Int32) throws { try bind(.blob(value), at: index) }
    /// Binds NULL to the 1-based parameter `index`.
    public func bindNull(at index: Int32) throws { try bind(.null, at: index) }

    /// Binds `values` to parameters 1, 2, …; their count must match the statement's parameters.
    public func bind(_ values: [SQLiteValue]) throws {
        guard values.count == Int(parameterCount) else {
            throw SQLiteError(extendedCode: SQLITE_RANGE,
                              message: "the statement has \(parameterCount) parameters but \(values.count) values were given",
                              sql: sql, path: connection.path)
        }
        for (offset, value) in values.enumerated() { try bind(value, at: Int32(offset + 1)) }
    }

    /// Advances to the next row: true when a row is available, false when the statement is done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.makeError(rc, sql: sql)
        }
    }

    /// Runs the statement to completion, ignoring rows.
    public func run() throws {
        while try step() {}
    }

    /// Resets the statement so it can run again; bindings are kept.
    public func reset() throws {
        // sqlite3_reset repeats the last step's error; that error was already thrown by step().
        sqlite3_reset(handle)
    }

    /// Sets every parameter back to NULL.
    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    /// The number of result columns.
    public var columnCount: Int32 { sqlite3_column_count(handle) }

    /// The name of the 0-based result column `index`.
    public func columnName(_ index: Int32) -> String {
        sqlite3_column_name(handle, index).map { String(cString: $0) } ?? ""
    }

    /// The names of all result columns.
    public var columnNames: [String] { (0..<columnCount).map(columnName) }

    /// The storage class of the 0-based column `index` in the current row.
    @inlinable
    public func columnType(_ index: Int32) -> SQLiteColumnType {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: .integer
        case SQLITE_FLOAT: .real
        case SQLITE_TEXT: .text
        case SQLITE_BLOB: .blob
        default: .null
        }
    }

    // Zero-copy reads for hot loops (the migration export reads every value of every row through them):
    // inlinable, so a call costs what the C call costs.

    /// The 0-based column `index` of the current row as an integer (SQLite converts other storage classes).
    @inlinable
    public func int64(at index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// The 0-based column `index` of the current row as a double (SQLite converts other storage classes).
    @inlinable
    public func double(at index: Int32) -> Double { sqlite3_column_double(handle, index) }

    /// The size in bytes of the TEXT or BLOB in column `index`, without reading it (`sqlite3_column_bytes`).
    @inlinable
    public func byteCount(at index: Int32) -> Int { Int(sqlite3_column_bytes(handle, index)) }

    /// The bytes of the TEXT or BLOB in column `index` as SQLite holds them (text as its UTF-8, unconverted,
    /// NUL bytes included); empty for an empty value.
    /// - Important: the buffer is SQLite's: valid until the next `step`, `reset` or the statement's end.
    @inlinable
    public func bytes(at index: Int32) -> UnsafeRawBufferPointer {
        // Pointer first, then the byte count: the order SQLite documents.
        let pointer = sqlite3_column_blob(handle, index)
        return UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : Int(sqlite3_column_bytes(handle, index)))
    }

    /// The value of the 0-based column `index` in the current row.
    public func column(_ index: Int32) -> SQLiteValue {
        switch columnType(index) {
        case .integer:
            return .integer(sqlite3_column_int64(handle, index))
        case .real:
            return .real(sqlite3_column_double(handle, index))
        case .text:
            // Pointer first, then byte count (the order the SQLite docs require); the count keeps embedded NULs.
            guard let text = sqlite3_column_text(handle, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case .blob:
            guard let blob = sqlite3_column_blob(handle, index) else { return .blob(Data()) }
            let count = Int(sqlite3_column_bytes(handle, index))
            return .blob(Data(bytes: blob, count: count))
        case .null:
            return .null
        }
    }

    /// All values of the current row.
    public func values() -> [SQLiteValue] { (0..<columnCount).map(column) }
}

@available(*, unavailable)
extension Statement: Sendable {}
