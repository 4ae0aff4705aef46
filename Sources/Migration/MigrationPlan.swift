import Foundation

/// A schema object the migration creates (or could not), with the SQL that creates it.
public struct SchemaStep: Sendable, Equatable, Codable {
    /// What kind of object.
    public enum Kind: String, Sendable, Codable {
        case table, primaryKey = "primary key", unique, check, index, generated = "generated column"
        case foreignKey = "foreign key", sequence, view, trigger, collation
    }
    /// The kind.
    public var kind: Kind
    /// The table it belongs to (nil for views and collations).
    public var table: String?
    /// A name for the report.
    public var name: String
    /// The PostgreSQL statement, or nil when the object cannot be translated.
    public var sql: String?
    /// Why it is not translated, or a note on how it is.
    public var note: String?
}

/// One column as it will be created.
public struct PlannedColumn: Sendable, Equatable, Codable {
    /// The SQLite column.
    public var source: SourceColumn
    /// The type chosen from the declared type.
    public var mapping: TypeMapping
    /// The final type once the data is known.
    public var resolved: ResolvedType
    /// Whether it becomes an identity column.
    public var identity: Bool
}

/// Everything planned for one table.
public struct TablePlan: Sendable, Equatable, Codable {
    /// The SQLite table.
    public var source: SourceTable
    /// The columns in order; all are loaded from the CSV (generated columns too, see `postLoad`).
    public var columns: [PlannedColumn]
    /// `CREATE TABLE` for the target.
    public var create: String
    /// Steps after the data is in: generated columns, primary key, UNIQUE, CHECK, indexes, identity sequence.
    public var postLoad: [SchemaStep]
    /// Foreign keys, added once every table is loaded.
    public var foreignKeys: [SchemaStep]
    /// Warnings about the table (types widened, collations dropped, defaults not translated).
    public var warnings: [String]
    /// The qualified target name.
    public var target: String
}

/// The whole migration plan: tables, views, triggers and the types chosen; built by a pure function.
public struct MigrationPlan: Sendable, Equatable, Codable {
    /// The target schema.
    public var schema: String
    /// The tables, in source order.
    public var tables: [TablePlan]
    /// Views (translated when possible) and triggers (never migrated).
    public var views: [SchemaStep]
    /// Triggers, reported only.
    public var triggers: [SchemaStep]
    /// Steps before the tables (schema, collations).
    public var preamble: [SchemaStep]
}

/// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes); longer names are truncated silently.
public let postgresIdentifierLimit = 63

/// Builds the migration plan; a pure function of the source schema and the column profiles.
///
/// - Parameters:
///   - schema: the SQLite schema.
///   - profiles: per table, one profile per column (nil: declared types only).
///   - targetSchema: the PostgreSQL schema that receives everything.
public func planMigration(_ schema: SourceSchema, profiles: [String: [ColumnProfile]]?, targetSchema: String) -> MigrationPlan {
    let qualifiedSchema = pgIdentifier(targetSchema)
    var preamble = [SchemaStep(kind: .table, table: nil, name: targetSchema,
                               sql: "CREATE SCHEMA IF NOT EXISTS \(qualifiedSchema)", note: nil)]
    let usesNocase = schema.tables.contains { table in
        table.columns.contains { $0.collation?.uppercased() == "NOCASE" }
            || table.indexes.contains { index in
                zip(index.terms, index.terms.dropFirst()).contains { $0.keyword == "COLLATE" && $1.identifier?.uppercased() == "NOCASE" }
            }
    }
    let nocase = "\(qualifiedSchema).\"nocase\""
    if usesNocase {
        // SQLite's NOCASE folds ASCII case; an ICU collation at strength 2 compares case-insensitively
        // (and also folds non-ASCII case, which SQLite does not).
        preamble.append(SchemaStep(kind: .collation, table: nil, name: "nocase",
                                   sql: "CREATE COLLATION IF NOT EXISTS \(nocase) (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                                   note: "COLLATE NOCASE → case-insensitive ICU collation"))
    }
    var tables: [TablePlan] = []
    for table in schema.tables {
        let target = "\(qualifiedSchema).\(pgIdentifier(table.name))"
        let profile = profiles?[table.name]
        var warnings: [String] = []
        var columns: [PlannedColumn] = []
        let alias = table.rowidAlias
        for (index, column) in table.columns.enumerated() {
            let mapping = mapDeclaredType(column.declaredType, isRowidAlias: column.name == alias)
            let resolved = resolveType(mapping, profile: profile.flatMap { index < $0.count ? $0[index] : nil })
            if let warning = resolved.warning { warnings.append("column \(column.name): \(warning)") }
            columns.append(PlannedColumn(source: column, mapping: mapping, resolved: resolved, identity: column.name == alias))
        }
        let names = Dictionary(table.columns.map { ($0.name.lowercased(), $0.name) }, uniquingKeysWith: { a, _ in a })
        let kinds = Dictionary(columns.map { ($0.source.name, $0.mapping.kind) }, uniquingKeysWith: { a, _ in a })
        let translator = ExpressionTranslator(columns: names, kinds: kinds, nocaseCollation: usesNocase ? nocase : nil)
        var definitions: [String] = []
        var postLoad: [SchemaStep] = []
        for column in columns {
            var line = "\(pgIdentifier(column.source.name)) \(column.resolved.postgresType)"
            if let collation = column.source.collation?.uppercased(), column.mapping.kind == .text || column.resolved.postgresType == "text" {
                switch collation {
                case "BINARY": break
                case "NOCASE": line += " COLLATE \(nocase)"
                default: warnings.append("column \(column.source.name): COLLATE \(collation) has no PostgreSQL equivalent; default collation used")
                }
            }
            if column.identity {
                line += " GENERATED BY DEFAULT AS IDENTITY"
            } else if let sqliteDefault = column.source.defaultSQL, column.source.generatedExpression == nil {
                switch translateDefault(sqliteDefault, postgresType: column.resolved.postgresType, kind: column.mapping.kind) {
                case .success(let expression): line += " DEFAULT \(expression)"
                case .failure(let problem):
                    postLoad.append(SchemaStep(kind: .check, table: table.name, name: "default of \(column.source.name)",
                                               sql: nil, note: problem.reason))
                }
            }
            if column.source.notNull || column.identity { line += " NOT NULL" }
            definitions.append(line)
        }
        let create = "CREATE TABLE \(target) (\n    " + definitions.joined(separator: ",\n    ") + "\n)"
        // Generated columns are loaded with SQLite's values, then replaced by a PostgreSQL generated column
        // when the expression translates; verification then proves PostgreSQL computes the same values.
        for column in columns {
            guard let expression = column.source.generatedExpression else { continue }
            let name = pgIdentifier(column.source.name)
            switch translator.translate(expression) {
            case .success(let sql):
                postLoad.append(SchemaStep(
                    kind: .generated, table: table.name, name: column.source.name,
                    sql: "ALTER TABLE \(target) DROP COLUMN \(name); ALTER TABLE \(target) ADD COLUMN \(name) \(column.resolved.postgresType) GENERATED ALWAYS AS (\(sql)) STORED",
                    note: column.source.generatedStored ? nil : "VIRTUAL in SQLite; STORED in PostgreSQL"))
            case .failure(let problem):
                postLoad.append(SchemaStep(kind: .generated, table: table.name, name: column.source.name, sql: nil,
                                           note: "kept as a plain column with SQLite's values: \(problem.reason)"))
            }
        }
        let primaryKey = table.primaryKey
        if !primaryKey.isEmpty {
            postLoad.append(SchemaStep(kind: .primaryKey, table: table.name, name: primaryKey.joined(separator: ", "),
                                       sql: "ALTER TABLE \(target) ADD PRIMARY KEY (\(primaryKey.map(pgIdentifier).joined(separator: ", ")))",
                                       note: nil))
        }
        for unique in table.uniques {
            postLoad.append(SchemaStep(kind: .unique, table: table.name, name: unique.joined(separator: ", "),
                                       sql: "ALTER TABLE \(target) ADD UNIQUE (\(unique.map(pgIdentifier).joined(separator: ", ")))",
                                       note: nil))
        }
        for check in table.checks {
            let text = check.map(renderSQLiteToken).joined(separator: " ")
            if translator.isBooleanDomainCheck(check) {
                postLoad.append(SchemaStep(kind: .check, table: table.name, name: text, sql: nil,
                                           note: "enforced by the boolean type"))
                continue
            }
            switch translator.translateCheck(check) {
            case .success(let sql):
                postLoad.append(SchemaStep(kind: .check, table: table.name, name: text,
                                           sql: "ALTER TABLE \(target) ADD CHECK (\(sql))", note: nil))
            case .failure(let problem):
                postLoad.append(SchemaStep(kind: .check, table: table.name, name: text, sql: nil, note: problem.reason))
            }
        }
        for index in table.indexes {
            var sql: String?
            var note: String?
            switch translator.translate(index.terms) {
            case .success(let terms):
                sql = "CREATE \(index.unique ? "UNIQUE " : "")INDEX \(pgIdentifier(index.name)) ON \(target) (\(terms))"
                if let predicate = index.predicate {
                    switch translator.translateCheck(predicate) {
                    case .success(let whereSQL): sql! += " WHERE \(whereSQL)"
                    case .failure(let problem): sql = nil; note = "partial-index predicate: \(problem.reason)"
                    }
                }
            case .failure(let problem):
                note = problem.reason
            }
            postLoad.append(SchemaStep(kind: .index, table: table.name, name: index.name, sql: sql, note: note))
        }
        if let alias {
            let restart = "(SELECT COALESCE(max(\(pgIdentifier(alias))), 0) FROM \(target))"
            let floor = table.sequenceFloor.map { "GREATEST(\(restart), \($0))" } ?? restart
            postLoad.append(SchemaStep(
                kind: .sequence, table: table.name, name: alias,
                sql: "SELECT setval(pg_get_serial_sequence(\(pgLiteral(target)), \(pgLiteral(alias))), \(floor) + 1, false)",
                note: table.autoincrement ? "AUTOINCREMENT: never below sqlite_sequence" : nil))
        }
        var foreignKeys: [SchemaStep] = []
        for key in table.foreignKeys {
            let referenced = "\(qualifiedSchema).\(pgIdentifier(key.table))"
            let toColumns = key.to.isEmpty ? "" : " (\(key.to.map(pgIdentifier).joined(separator: ", ")))"
            var sql = "ALTER TABLE \(target) ADD FOREIGN KEY (\(key.from.map(pgIdentifier).joined(separator: ", "))) REFERENCES \(referenced)\(toColumns)"
            for (clause, action) in [("ON UPDATE", key.onUpdate), ("ON DELETE", key.onDelete)] where action.uppercased() != "NO ACTION" {
                sql += " \(clause) \(action.uppercased())"
            }
            let name = "(\(key.from.joined(separator: ", "))) → \(key.table)"
            if !schema.tables.contains(where: { $0.name == key.table }) {
                foreignKeys.append(SchemaStep(kind: .foreignKey, table: table.name, name: name, sql: nil,
                                              note: "references \(key.table), which is not migrated"))
            } else {
                foreignKeys.append(SchemaStep(kind: .foreignKey, table: table.name, name: name, sql: sql, note: nil))
            }
        }
        tables.append(TablePlan(source: table, columns: columns, create: create, postLoad: postLoad,
                                foreignKeys: foreignKeys, warnings: warnings, target: target))
    }
    let views = schema.views.map { view -> SchemaStep in
        let translator = ExpressionTranslator(columns: [:])
        switch translator.translate(view.query, strict: false) {
        case .success(let sql):
            return SchemaStep(kind: .view, table: nil, name: view.name,
                              sql: "CREATE VIEW \(qualifiedSchema).\(pgIdentifier(view.name)) AS \(sql)",
                              note: "tried on the server; kept only if PostgreSQL accepts it")
        case .failure(let problem):
            return SchemaStep(kind: .view, table: nil, name: view.name, sql: nil, note: problem.reason)
        }
    }
    let triggers = schema.triggers.map {
        SchemaStep(kind: .trigger, table: $0.table, name: $0.name, sql: nil,
                   note: "triggers are not migrated; recreate it as a PL/pgSQL trigger")
    }
    return MigrationPlan(schema: targetSchema, tables: tables, views: views, triggers: triggers, preamble: preamble)
}

/// Names PostgreSQL would truncate (over 63 bytes), which therefore cannot be migrated faithfully.
public func overlongIdentifiers(_ schema: SourceSchema) -> [String] {
    var names: [String] = []
    for table in schema.tables {
        names.append(table.name)
        names.append(contentsOf: table.columns.map(\.name))
        names.append(contentsOf: table.indexes.map(\.name))
    }
    names.append(contentsOf: schema.views.map(\.name))
    return names.filter { $0.utf8.count > postgresIdentifierLimit }
}
