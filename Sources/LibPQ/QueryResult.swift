import CLibPQ

/// A query result, owning its `PGresult` and freeing it with `PQclear` when released.
///
/// Named `QueryResult` rather than `Result` so that it never shadows `Swift.Result` in importing files.
///
/// Values are read in text format. See <https://www.postgresql.org/docs/current/libpq-exec.html>.
/// - Important: Not thread-safe; use it on the thread that owns its connection.
public final class QueryResult {
    let handle: OpaquePointer

    /// Takes ownership of `handle`; it is cleared in deinit.
    init(owning handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { PQclear(handle) }

    /// The number of rows.
    public var rowCount: Int { Int(PQntuples(handle)) }

    /// The number of columns.
    public var columnCount: Int { Int(PQnfields(handle)) }

    /// The column names, in order.
    public var columnNames: [String] {
        (0..<columnCount).map { String(cString: PQfname(handle, Int32($0))) }
    }

    /// The number of rows the command affected (`PQcmdTuples`), when the command reports one.
    public var affectedRows: Int64? { Int64(String(cString: PQcmdTuples(handle))) }

    /// The command tag, e.g. `SELECT 3` or `COPY 10`.
    public var commandTag: String { String(cString: PQcmdStatus(handle)) }

    /// The index of the column called `name`.
    public func column(_ name: String) throws -> Int {
        let index = PQfnumber(handle, name)
        guard index >= 0 else {
            throw PostgresError(kind: .usage, message: "no column named \(name) in the result", context: commandTag)
        }
        return Int(index)
    }

    /// Whether the value at (`row`, `column`) is SQL NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// The text of the value at (`row`, `column`), or nil for NULL.
    public subscript(row: Int, column: Int) -> String? {
        precondition(row >= 0 && row < rowCount && column >= 0 && column < columnCount, "result index out of range")
        if isNull(row, column) { return nil }
        return String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    /// The rows, each a `Row` that reads values by column name or index.
    public var rows: [Row] { (0..<rowCount).map { Row(result: self, index: $0) } }
}

@available(*, unavailable)
extension QueryResult: Sendable {}

/// One row of a `QueryResult`, with typed accessors that throw on NULL or a value of the wrong shape.
public struct Row {
    /// The result the row belongs to.
    public let result: QueryResult
    /// The row's index in the result.
    public let index: Int

    /// The text of the named column, or nil for NULL.
    public func optionalString(_ name: String) throws -> String? {
        result[index, try result.column(name)]
    }

    /// The text of the named column; throws on NULL.
    public func string(_ name: String) throws -> String {
        guard let value = try optionalString(name) else { throw nullError(name) }
        return value
    }

    /// The named column as a 64-bit integer; throws on NULL or non-integer text.
    public func int64(_ name: String) throws -> Int64 {
        let text = try string(name)
        guard let value = Int64(text) else { throw conversionError(name, text, "bigint") }
        return value
    }

    /// The named column as an integer, or nil for NULL.
    public func optionalInt(_ name: String) throws -> Int? {
        guard let text = try optionalString(name) else { return nil }
        guard let value = Int(text) else { throw conversionError(name, text, "integer") }
        return value
    }

    /// The named column as an integer; throws on NULL or non-integer text.
    public func int(_ name: String) throws -> Int {
        guard let value = try optionalInt(name) else { throw nullError(name) }
        return value
    }

    /// The named column as a 32-bit unsigned integer (an `oid`); throws on NULL or bad text.
    public func oid(_ name: String) throws -> UInt32 {
        let text = try string(name)
        guard let value = UInt32(text) else { throw conversionError(name, text, "oid") }
        return value
    }

    /// The named boolean column (`t`/`f`); throws on NULL or other text.
    public func bool(_ name: String) throws -> Bool {
        switch try string(name) {
        case "t": return true
        case "f": return false
        case let other: throw conversionError(name, other, "boolean")
        }
    }

    /// The named `text[]`/`name[]` column parsed from PostgreSQL's array text form; NULL gives [].
    public func stringArray(_ name: String) throws -> [String?] {
        guard let text = try optionalString(name) else { return [] }
        guard let values = ArrayLiteral.parse(text) else { throw conversionError(name, text, "array") }
        return values
    }

    private func nullError(_ name: String) -> PostgresError {
        PostgresError(kind: .usage, message: "column \(name) is NULL where a value was expected", context: result.commandTag)
    }

    private func conversionError(_ name: String, _ text: String, _ type: String) -> PostgresError {
        PostgresError(kind: .usage, message: "column \(name) holds \"\(text)\", not a \(type)", context: result.commandTag)
    }
}

/// Parser for the text form of one-dimensional PostgreSQL arrays (`{a,"b c",NULL}`).
public enum ArrayLiteral {
    /// The elements of `text`, with NULL elements as nil; nil when `text` is not a one-dimensional array literal.
    public static func parse(_ text: String) -> [String?]? {
        let chars = Array(text.unicodeScalars)
        guard chars.first == "{", chars.last == "}" else { return nil }
        var result: [String?] = []
        var i = 1
        let end = chars.count - 1
        if end == 1 { return [] }
        while i <= end {
            var value = String.UnicodeScalarView()
            var quoted = false
            if i < end, chars[i] == "\"" {
                quoted = true
                i += 1
                while i < end, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < end { i += 1 }
                    value.append(chars[i])
                    i += 1
                }
                guard i < end else { return nil }
                i += 1 // closing quote
            } else {
                while i < end, chars[i] != "," {
                    if chars[i] == "{" || chars[i] == "\"" { return nil }
                    value.append(chars[i])
                    i += 1
                }
            }
            let string = String(value)
            result.append(!quoted && string == "NULL" ? nil : string)
            if i == end { break }
            guard chars[i] == "," else { return nil }
            i += 1
        }
        return result
    }
}
