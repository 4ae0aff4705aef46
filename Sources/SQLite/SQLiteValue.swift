import Foundation

/// One SQLite value, as stored in a column or bound to a parameter.
///
/// The cases follow SQLite's five storage classes (https://www.sqlite.org/datatype3.html).
public enum SQLiteValue: Sendable, Hashable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case null

    /// The storage class of this value.
    public var type: SQLiteColumnType {
        switch self {
        case .integer: .integer
        case .real: .real
        case .text: .text
        case .blob: .blob
        case .null: .null
        }
    }

    /// The value as an `Int64` when it is an integer, otherwise nil.
    public var int64: Int64? { if case .integer(let v) = self { v } else { nil } }
    /// The value as a `Double` when it is a real or an integer, otherwise nil.
    public var double: Double? {
        switch self {
        case .real(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }
    /// The value as a `String` when it is text, otherwise nil.
    public var string: String? { if case .text(let v) = self { v } else { nil } }
    /// The value as `Data` when it is a blob, otherwise nil.
    public var data: Data? { if case .blob(let v) = self { v } else { nil } }
    /// Whether the value is SQL NULL.
    public var isNull: Bool { if case .null = self { true } else { false } }
}

/// The storage class of a column value (`sqlite3_column_type`).
public enum SQLiteColumnType: Sendable, Hashable {
    case integer, real, text, blob, null
}

/// One result row: column names and values in the order of the statement's result columns.
public struct SQLiteRow: Sendable, Hashable {
    /// The result column names (`sqlite3_column_name`).
    public let columns: [String]
    /// The values, one per column.
    public let values: [SQLiteValue]

    /// Creates a row from column names and values of equal count.
    public init(columns: [String], values: [SQLiteValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value at a 0-based column index.
    public subscript(index: Int) -> SQLiteValue { values[index] }

    /// The value of the first column with this name, or nil when there is no such column.
    public subscript(name: String) -> SQLiteValue? {
        columns.firstIndex(of: name).map { values[$0] }
    }
}

/// Quotes an SQL identifier (table or column name) so any name, including quotes, spaces or Unicode, is safe.
///
/// Follows SQLite's rule: wrap in double quotes and double every embedded double quote.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
