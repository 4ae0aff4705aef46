import Foundation
import SQLite

/// One column of a SQLite table, from `PRAGMA table_xinfo` and the `CREATE TABLE` text.
public struct SourceColumn: Sendable, Equatable, Codable {
    /// The column name exactly as SQLite stores it.
    public var name: String
    /// The declared type as written (may be empty).
    public var declaredType: String
    /// Whether the column is declared NOT NULL.
    public var notNull: Bool
    /// The DEFAULT expression text as SQLite stores it, or nil.
    public var defaultSQL: String?
    /// 1-based position in the primary key, 0 when not part of it.
    public var primaryKeyPosition: Int
    /// The COLLATE name, when one is declared.
    public var collation: String?
    /// The generated-column expression, when the column is generated.
    public var generatedExpression: [SQLToken]?
    /// Whether a generated column is STORED (false: VIRTUAL).
    public var generatedStored: Bool

    /// Creates a column description.
    public init(name: String, declaredType: String, notNull: Bool = false, defaultSQL: String? = nil,
                primaryKeyPosition: Int = 0, collation: String? = nil, generatedExpression: [SQLToken]? = nil,
                generatedStored: Bool = false) {
        self.name = name
        self.declaredType = declaredType
        self.notNull = notNull
        self.defaultSQL = defaultSQL
        self.primaryKeyPosition = primaryKeyPosition
        self.collation = collation
        self.generatedExpression = generatedExpression
        self.generatedStored = generatedStored
    }
}

extension SQLToken: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = tokenizeSQL(text).first ?? .symbol(text)
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(renderSQLiteToken(self))
    }
}

/// A foreign key of a SQLite table (`PRAGMA foreign_key_list`).
public struct SourceForeignKey: Sendable, Equatable, Codable {
    /// The referenced table.
    public var table: String
    /// The referencing columns.
    public var from: [String]
    /// The referenced columns (empty: the referenced table's primary key).
    public var to: [String]
    /// `ON UPDATE` action as SQLite reports it.
    public var onUpdate: String
    /// `ON DELETE` action as SQLite reports it.
    public var onDelete: String
}

/// An index created with `CREATE INDEX` (not one SQLite made for a constraint).
public struct SourceIndex: Sendable, Equatable, Codable {
    /// The index name.
    public var name: String
    /// Whether it is UNIQUE.
    public var unique: Bool
    /// The indexed terms (columns or expressions) as tokens, with ASC/DESC/COLLATE.
    public var terms: [SQLToken]
    /// The partial-index predicate, when there is one.
    public var predicate: [SQLToken]?
}

/// A SQLite table with what a translation needs.
public struct SourceTable: Sendable, Equatable, Codable {
    /// The table name.
    public var name: String
    /// The columns, including generated ones, in declaration order.
    public var columns: [SourceColumn]
    /// Whether the table is `WITHOUT ROWID`.
    public var withoutRowid: Bool
    /// Whether the table uses AUTOINCREMENT.
    public var autoincrement: Bool
    /// CHECK expressions (table and column level).
    public var checks: [[SQLToken]]
    /// UNIQUE constraints (column lists) that are not the primary key.
    public var uniques: [[String]]
    /// Foreign keys.
    public var foreignKeys: [SourceForeignKey]
    /// Indexes made with CREATE INDEX.
    public var indexes: [SourceIndex]
    /// The AUTOINCREMENT high-water mark from `sqlite_sequence` (ids never handed out again).
    public var sequenceFloor: Int64? = nil

    /// The primary-key columns in key order.
    public var primaryKey: [String] {
        columns.filter { $0.primaryKeyPosition > 0 }.sorted { $0.primaryKeyPosition < $1.primaryKeyPosition }.map(\.name)
    }

    /// The column that aliases the rowid (`INTEGER PRIMARY KEY` in a rowid table), if any.
    public var rowidAlias: String? {
        guard !withoutRowid, primaryKey.count == 1,
              let column = columns.first(where: { $0.primaryKeyPosition == 1 }),
              column.declaredType.uppercased() == "INTEGER" else { return nil }
        return column.name
    }
}

/// A view, with the SELECT text it is defined by.
public struct SourceView: Sendable, Equatable, Codable {
    /// The view name.
    public var name: String
    /// The defining query's tokens (everything after `AS`).
    public var query: [SQLToken]
}

/// A trigger (never migrated; reported).
public struct SourceTrigger: Sendable, Equatable, Codable {
    /// The trigger name.
    public var name: String
    /// The table it fires on.
    public var table: String
}

/// Everything in a SQLite database's schema that a migration looks at.
public struct SourceSchema: Sendable, Equatable, Codable {
    /// User tables in `sqlite_schema` order.
    public var tables: [SourceTable]
    /// Views.
    public var views: [SourceView]
    /// Triggers.
    public var triggers: [SourceTrigger]

    /// Reads the schema of an open database.
    public static func read(from db: SQLite.Connection) throws -> SourceSchema {
        let master = try db.query(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid")
        var tables: [SourceTable] = []
        var views: [SourceView] = []
        var triggers: [SourceTrigger] = []
        var indexSQL: [String: (table: String, sql: String)] = [:]
        for row in master {
            guard let type = row["type"]?.string, let name = row["name"]?.string else { continue }
            let sql = row["sql"]?.string ?? ""
            switch type {
            case "view":
                let tokens = tokenizeSQL(sql)
                if let asIndex = tokens.firstIndex(where: { $0.keyword == "AS" }) {
                    views.append(SourceView(name: name, query: Array(tokens[(asIndex + 1)...])))
                }
            case "trigger":
                triggers.append(SourceTrigger(name: name, table: row["tbl_name"]?.string ?? ""))
            case "index":
                if !sql.isEmpty { indexSQL[name] = (row["tbl_name"]?.string ?? "", sql) }
            default:
                break
            }
        }
        for row in master where row["type"]?.string == "table" {
            guard let name = row["name"]?.string else { continue }
            let sql = row["sql"]?.string ?? ""
            // Virtual tables (FTS, R-Tree) have no storage of their own to migrate.
            if sql.uppercased().hasPrefix("CREATE VIRTUAL") { continue }
            tables.append(try readTable(name, sql: sql, db: db, indexSQL: indexSQL))
        }
        return SourceSchema(tables: tables, views: views, triggers: triggers)
    }

    static func readTable(_ name: String, sql: String, db: SQLite.Connection,
                          indexSQL: [String: (table: String, sql: String)]) throws -> SourceTable {
        let details = parseCreateTable(sql)
        let quoted = quoteIdentifier(name)
        var columns: [SourceColumn] = []
        for row in try db.query("PRAGMA table_xinfo(\(quoted))") {
            let columnName = row["name"]?.string ?? ""
            let hidden = row["hidden"]?.int64 ?? 0
            // hidden = 1 marks the hidden columns of virtual tables, which are not data.
            if hidden == 1 { continue }
            let generated = details.generated.first { $0.key.caseInsensitiveCompare(columnName) == .orderedSame }?.value
            let collation = details.collations.first { $0.key.caseInsensitiveCompare(columnName) == .orderedSame }?.value
            columns.append(SourceColumn(
                name: columnName, declaredType: row["type"]?.string ?? "",
                notNull: (row["notnull"]?.int64 ?? 0) != 0, defaultSQL: row["dflt_value"]?.string,
                primaryKeyPosition: Int(row["pk"]?.int64 ?? 0), collation: collation,
                generatedExpression: hidden >= 2 ? (generated ?? []) : nil, generatedStored: hidden == 3))
        }
        var uniques: [[String]] = []
        var indexes: [SourceIndex] = []
        for row in try db.query("PRAGMA index_list(\(quoted))") {
            guard let indexName = row["name"]?.string else { continue }
            let origin = row["origin"]?.string ?? "c"
            let unique = (row["unique"]?.int64 ?? 0) != 0
            if origin == "u" {
                let cols = try db.query("PRAGMA index_info(\(quoteIdentifier(indexName)))")
                    .sorted { ($0["seqno"]?.int64 ?? 0) < ($1["seqno"]?.int64 ?? 0) }
                    .compactMap { $0["name"]?.string }
                uniques.append(cols)
            } else if origin == "c", let source = indexSQL[indexName], let parsed = parseCreateIndex(source.sql) {
                indexes.append(SourceIndex(name: indexName, unique: unique, terms: parsed.columns, predicate: parsed.predicate))
            }
        }
        // index_list is newest first; creation order reads better in DDL.
        uniques.reverse()
        indexes.reverse()
        var keys: [Int64: SourceForeignKey] = [:]
        var order: [Int64] = []
        for row in try db.query("PRAGMA foreign_key_list(\(quoted))") {
            let id = row["id"]?.int64 ?? 0
            if keys[id] == nil {
                order.append(id)
                keys[id] = SourceForeignKey(table: row["table"]?.string ?? "", from: [], to: [],
                                            onUpdate: row["on_update"]?.string ?? "NO ACTION",
                                            onDelete: row["on_delete"]?.string ?? "NO ACTION")
            }
            keys[id]?.from.append(row["from"]?.string ?? "")
            if let to = row["to"]?.string { keys[id]?.to.append(to) }
        }
        var floor: Int64?
        if details.autoincrement,
           try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")?.int64 == 1 {
            floor = try db.scalar("SELECT seq FROM sqlite_sequence WHERE name = ?", [.text(name)])?.int64
        }
        return SourceTable(name: name, columns: columns, withoutRowid: details.withoutRowid,
                           autoincrement: details.autoincrement, checks: details.checks, uniques: uniques,
                           foreignKeys: order.reversed().compactMap { keys[$0] }, indexes: indexes,
                           sequenceFloor: floor)
    }
}

/// SQLite text for a token (used to show untranslated expressions).
package func renderSQLiteToken(_ token: SQLToken) -> String {
    switch token {
    case .word(let w): w
    case .quotedIdentifier(let q): quoteIdentifier(q)
    case .string(let s): "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
    case .blob(let b): "X'\(b)'"
    case .number(let n): n
    case .symbol(let s): s
    }
}
