import Foundation

/// A table of a dump, by schema and name.
public struct TableName: Hashable, Sendable, CustomStringConvertible {
    public var schema: String
    public var name: String

    public init(schema: String, name: String) {
        self.schema = schema
        self.name = name
    }

    /// Parses `schema.name`, `name` (schema `public`) or double-quoted parts (`"My Schema"."T"`).
    public init?(parsing text: String) {
        var parts: [String] = []
        var part = ""
        var quoted = false
        var chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" { part.append("\""); i += 1 } else { quoted = false }
                } else { part.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "." {
                parts.append(part)
                part = ""
            } else {
                part.append(c)
            }
            i += 1
        }
        chars = []
        parts.append(part)
        guard !quoted, (1...2).contains(parts.count), !parts.contains(where: \.isEmpty) else { return nil }
        self.init(schema: parts.count == 2 ? parts[0] : "public", name: parts.last!)
    }

    public var description: String { "\(schema).\(name)" }
}

/// What a partial restore of a dump restores, and where.
public struct PartialRestoreRequest: Sendable, Equatable {
    /// Tables to restore (`--table`).
    public var tables: [TableName] = []
    /// Schemas whose tables are all restored (`--schema`).
    public var schemas: [String] = []
    /// Restore the one table under this name, beside the live one (`--rename-to`).
    public var renameTo: String?
    /// Restore the tables into this schema, beside the live ones (`--into-schema`).
    public var intoSchema: String?

    public init(tables: [TableName] = [], schemas: [String] = [], renameTo: String? = nil, intoSchema: String? = nil) {
        self.tables = tables
        self.schemas = schemas
        self.renameTo = renameTo
        self.intoSchema = intoSchema
    }

    /// Why the request cannot be honoured as given, or nil.
    public var conflict: String? {
        if tables.isEmpty && schemas.isEmpty { return "say which tables to restore (--table or --schema)" }
        if renameTo != nil && intoSchema != nil { return "--rename-to and --into-schema do not go together: choose one" }
        if renameTo != nil && (tables.count != 1 || !schemas.isEmpty) { return "--rename-to renames one table: give exactly one --table" }
        return nil
    }
}

/// A piece of the script a partial restore runs: text, or a table's contents read from the dump.
package enum PartialPiece: Equatable, Sendable {
    case text(String)
    /// The contents of `entry` (its range in the decompressed dump); `renames` rewrite its COPY statement.
    case data(DumpEntry, renames: PartialRenames)
}

/// The script of a partial restore, and what it restores.
package struct PartialPlan: Equatable, Sendable {
    package var pieces: [PartialPiece]
    /// The tables restored, as the dump names them.
    package var tables: [TableName]
    /// Where each table goes (itself unless renamed or moved).
    package var destinations: [TableName]
    /// Objects the tables need that the target lacked and the restore creates (`TYPE public.mood`, …).
    package var createdDependencies: [String]
    /// Statements of the dump's prelude the plan leaves out (their first lines): all but session settings.
    package var leftOutOfPrelude: [String] = []
    /// The data ranges the restore reads from the dump.
    package var dataRanges: [Range<UInt64>] {
        pieces.compactMap { if case .data(let entry, _) = $0 { entry.range } else { nil } }
    }
}

/// Chooses the entries of a dump that restore some tables (pure: the dump's contents in, a script plan out).
///
/// A table comes with its definition, contents, defaults, constraints, indexes, triggers, policies, rules,
/// grants and comments, and the sequences it owns (serial and identity). It also needs what its definitions
/// name: types, domains, other sequences, functions, collations and its schema; those are created only when
/// the target lacks them (`existing` lists the ones it has, see `dependencyCandidates`), found again in what
/// they name in turn.
package enum PartialSelection {
    /// Entries named after their table: `t` or `t something`.
    static let tableNamedKinds: Set<String> = ["TABLE", "TABLE DATA", "DEFAULT", "CONSTRAINT", "FK CONSTRAINT",
                                               "CHECK CONSTRAINT", "TRIGGER", "POLICY", "ROW SECURITY", "RULE",
                                               "TABLE ATTACH"]
    /// Entries that say something about another object, named `KIND object` (`TABLE t`, `COLUMN t.c`).
    static let aboutKinds: Set<String> = ["ACL", "COMMENT", "SECURITY LABEL"]
    /// Kinds of the objects a table may need.
    static let dependencyKinds: Set<String> = ["SCHEMA", "TYPE", "DOMAIN", "SEQUENCE", "FUNCTION", "PROCEDURE", "COLLATION"]

    /// The tables `request` names in `contents`; throws when one is not there.
    package static func tables(_ contents: DumpContents, request: PartialRestoreRequest) throws -> [TableName] {
        let all = contents.entries.filter { $0.kind == "TABLE" }.compactMap { e in e.schema.map { TableName(schema: $0, name: e.name) } }
        var chosen: [TableName] = []
        for table in request.tables {
            guard all.contains(table) else {
                throw PostgresRestoreError(kind: .options, message: "the dump has no table \(table) (restore --list shows what it has)")
            }
            if !chosen.contains(table) { chosen.append(table) }
        }
        for schema in request.schemas {
            let inSchema = all.filter { $0.schema == schema }
            guard !inSchema.isEmpty else {
                throw PostgresRestoreError(kind: .options, message: "the dump has no table in schema \(schema) (restore --list shows what it has)")
            }
            for table in inSchema where !chosen.contains(table) { chosen.append(table) }
        }
        return chosen
    }

    /// The entries that belong to `tables` (their own objects and owned sequences).
    static func owned(_ contents: DumpContents, tables: [TableName]) -> (entries: Set<Int>, sequences: [TableName], indexes: [TableName], constraints: [String]) {
        var chosen = Set<Int>()
        var sequences: [TableName] = []
        var indexes: [TableName] = []
        var constraints: [String] = []
        var keyIndexes = Set<TableName>()
        let entries = contents.entries
        for table in tables {
            let forms = NameForms.qualified(table.schema, table.name)
            for (i, e) in entries.enumerated() where e.schema == table.schema {
                let text = e.text ?? ""
                if tableNamedKinds.contains(e.kind), e.name == table.name || e.name.hasPrefix(table.name + " ") {
                    chosen.insert(i)
                    if e.kind.hasSuffix("CONSTRAINT") {
                        constraints.append(String(e.name.dropFirst(table.name.count + 1)))
                        keyIndexes.insert(TableName(schema: table.schema, name: constraints[constraints.count - 1]))
                    }
                } else if e.kind == "INDEX", forms.contains(where: { text.contains(" ON \($0) ") || text.contains(" ON ONLY \($0) ") }) {
                    chosen.insert(i)
                    indexes.append(TableName(schema: table.schema, name: e.name))
                } else if ownsSequence(e, forms: forms) {
                    sequences.append(TableName(schema: table.schema, name: e.name))
                }
            }
        }
        // A partition's index is attached to its parent's only when both come (a key's index is named as the key).
        keyIndexes.formUnion(indexes)
        for (i, e) in entries.enumerated() where e.kind == "INDEX ATTACH" {
            if let (parent, child) = attachedIndexes(e.text ?? ""), keyIndexes.contains(parent), keyIndexes.contains(child) {
                chosen.insert(i)
            }
        }
        // An identity column written inside CREATE TABLE (as vaultops' dumper does) names its sequence there.
        for i in chosen where !entries[i].isData {
            for sequence in identitySequences(in: entries[i].text ?? "") where !sequences.contains(sequence) {
                sequences.append(sequence)
            }
        }
        for (i, e) in entries.enumerated() {
            guard let schema = e.schema else { continue }
            if ["SEQUENCE", "SEQUENCE OWNED BY", "SEQUENCE SET"].contains(e.kind), sequences.contains(TableName(schema: schema, name: e.name)) {
                chosen.insert(i)
            }
        }
        for (i, e) in entries.enumerated() where aboutKinds.contains(e.kind) {
            guard let schema = e.schema else { continue }
            // pg_dump names the object with its kind (`TABLE t`); vaultops' dumper names an ACL by the object alone.
            let about = e.name
            let bare = e.kind == "ACL" ? about : nil
            for table in tables where table.schema == schema {
                if about == "TABLE \(table.name)" || about.hasPrefix("COLUMN \(table.name).") || about.hasSuffix(" ON \(table.name)")
                    || bare == table.name {
                    chosen.insert(i)
                }
            }
            if sequences.contains(where: { $0.schema == schema && (about == "SEQUENCE \($0.name)" || bare == $0.name) })
                || indexes.contains(where: { $0.schema == schema && about == "INDEX \($0.name)" }) {
                chosen.insert(i)
            }
        }
        return (chosen, sequences, indexes, constraints)
    }

    /// The parent and the partition `ALTER INDEX parent ATTACH PARTITION partition` names in `text`.
    static func attachedIndexes(_ text: String) -> (TableName, TableName)? {
        let t = StatementInfo.tokens(text)
        guard t.count > 2, t[0].isWord("alter"), t[1].isWord("index"), let (parent, after) = StatementInfo.qualifiedName(t, at: 2),
              after + 2 < t.count, t[after].isWord("attach"), t[after + 1].isWord("partition"),
              let (child, _) = StatementInfo.qualifiedName(t, at: after + 2),
              parent.parts.count == 2, child.parts.count == 2 else { return nil }
        return (TableName(schema: parent.parts[0], name: parent.parts[1]), TableName(schema: child.parts[0], name: child.parts[1]))
    }

    /// The sequences `SEQUENCE NAME s.n` names in `text` (identity columns; one option per line, as dumps write).
    static func identitySequences(in text: String) -> [TableName] {
        guard text.contains("SEQUENCE NAME ") else { return [] }
        var found: [TableName] = []
        for line in text.split(separator: "\n") {
            guard let label = line.range(of: "SEQUENCE NAME ") else { continue }
            var name = line[label.upperBound...].trimmingCharacters(in: .whitespaces)
            while name.hasSuffix(")") || name.hasSuffix(",") { name.removeLast() }
            if let sequence = TableName(parsing: name), name.contains(".") { found.append(sequence) }
        }
        return found
    }

    /// Whether `entry` makes a sequence belong to the table spelled `forms`: `OWNED BY` (serial) or an identity.
    static func ownsSequence(_ entry: DumpEntry, forms: [String]) -> Bool {
        let text = entry.text ?? ""
        switch entry.kind {
        case "SEQUENCE OWNED BY": return forms.contains { text.contains("OWNED BY \($0).") }
        case "SEQUENCE": return forms.contains { text.contains("ALTER TABLE \($0) ") || text.contains("ALTER TABLE ONLY \($0) ") }
        default: return false
        }
    }

    /// The settings pg_dump changes between entries (`SET default_tablespace`, `SET default_table_access_method`)
    /// in `text`, the last of each.
    static func sessionSettings(in text: String) -> [String: String] {
        var found: [String: String] = [:]
        guard text.contains("SET default_table") else { return found }
        for line in text.split(separator: "\n") {
            for key in ["SET default_tablespace = ", "SET default_table_access_method = "] where line.hasPrefix(key) {
                found[key] = String(line)
            }
        }
        return found
    }

    /// The objects `tables` need that the dump defines, with the entries that say more about them (grants,
    /// comments, a sequence's value); the target may have them already.
    package static func dependencyCandidates(_ contents: DumpContents, tables: [TableName]) -> [DumpEntry] {
        let own = owned(contents, tables: tables).entries
        var needed = Set<Int>()
        var texts = own.compactMap { contents.entries[$0].isData ? nil : contents.entries[$0].text }
        var schemas = Set(tables.map(\.schema))
        while !texts.isEmpty {
            let text = texts.joined(separator: "\n")
            texts = []
            for (i, e) in contents.entries.enumerated() where dependencyKinds.contains(e.kind) && !own.contains(i) && !needed.contains(i) {
                if refers(text, to: e) || (e.kind == "SCHEMA" && schemas.contains(e.name)) {
                    needed.insert(i)
                    if let schema = e.schema { schemas.insert(schema) }
                    if let t = e.text { texts.append(t) }
                }
            }
        }
        return needed.sorted().map { contents.entries[$0] }
    }

    /// Whether `text` names the object of `entry` (schema-qualified, as dumps write every name).
    static func refers(_ text: String, to entry: DumpEntry) -> Bool {
        guard let schema = entry.schema else { return false }
        var name = objectName(entry)
        if let paren = name.firstIndex(of: "(") { name = String(name[..<paren]) }
        return NameForms.qualified(schema, name).contains { NameForms.occurs($0, in: text) }
    }

    /// The entry's name without the schema vaultops' dumper puts before a function's signature (`public.f()`).
    static func objectName(_ entry: DumpEntry) -> String {
        guard let schema = entry.schema, ["FUNCTION", "PROCEDURE", "AGGREGATE"].contains(entry.kind) else { return entry.name }
        for prefix in [schema + ".", quoteIdentifier(schema) + "."] where entry.name.hasPrefix(prefix) {
            return String(entry.name.dropFirst(prefix.count))
        }
        return entry.name
    }

    /// The key `existing` uses for a dependency: `KIND schema.name`.
    package static func key(_ entry: DumpEntry) -> String {
        "\(entry.kind) \(entry.schema.map { $0 + "." } ?? "")\(objectName(entry))"
    }

    /// An SQL expression that is true when the target has `entry`'s object.
    package static func existenceCheck(_ entry: DumpEntry) -> String {
        func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        let schema = entry.schema.map(quoteIdentifier) ?? ""
        switch entry.kind {
        case "SCHEMA": return "EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = \(literal(entry.name)))"
        case "TYPE", "DOMAIN": return "pg_catalog.to_regtype(\(literal(schema + "." + quoteIdentifier(entry.name)))) IS NOT NULL"
        case "SEQUENCE": return "pg_catalog.to_regclass(\(literal(schema + "." + quoteIdentifier(entry.name)))) IS NOT NULL"
        case "COLLATION": return "pg_catalog.to_regcollation(\(literal(schema + "." + quoteIdentifier(entry.name)))) IS NOT NULL"
        default:
            // pg_dump's header has the argument types (`f(integer)`), vaultops' dumper the identity arguments with
            // their names (`f(v integer)`): compared as text, since regprocedure cannot read the second.
            let name = objectName(entry)
            let paren = name.firstIndex(of: "(") ?? name.endIndex
            var arguments = String(name[paren...].dropFirst())
            if arguments.hasSuffix(")") { arguments.removeLast() }
            return "EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                + "WHERE n.nspname = \(literal(entry.schema ?? "")) AND p.proname = \(literal(String(name[..<paren]))) "
                + "AND \(literal(arguments)) IN (pg_catalog.oidvectortypes(p.proargtypes), pg_catalog.pg_get_function_identity_arguments(p.oid)))"
        }
    }

    /// The plan that restores the tables `request` names from `contents` (whose entries hold their text), given
    /// the dependencies the target already has (`existing`, keys from `key`).
    package static func plan(_ contents: DumpContents, request: PartialRestoreRequest, existing: Set<String>) throws -> PartialPlan {
        let tables = try tables(contents, request: request)
        let own = owned(contents, tables: tables)
        let renames = PartialRenames.make(request: request, tables: tables, sequences: own.sequences, indexes: own.indexes,
                                          constraints: own.constraints)
        var chosen = own.entries
        let candidates = dependencyCandidates(contents, tables: tables)
        let missing = candidates.filter { !existing.contains(key($0)) }
        for (i, e) in contents.entries.enumerated() {
            for dependency in missing where dependency.schema == e.schema {
                let about = "\(dependency.kind) \(objectName(dependency))"
                if e == dependency || (aboutKinds.contains(e.kind) && (e.name == about || (e.kind == "ACL" && e.name == dependency.name)))
                    || (dependency.kind == "SEQUENCE" && e.kind == "SEQUENCE SET" && e.name == dependency.name) {
                    chosen.insert(i)
                }
            }
        }
        let created = missing.map(key)
        // pg_dump -c writes every DROP before the first header: of the prelude, only the session settings run.
        let prelude = sessionPrelude(contents.prelude.text ?? "")
        var pieces: [PartialPiece] = [.text(prelude.kept)]
        if let schema = request.intoSchema {
            pieces.append(.text("\nCREATE SCHEMA IF NOT EXISTS \(quoteIdentifier(schema));\n"))
        } else if request.renameTo == nil {
            // Replacing: the live table goes first (without CASCADE: what depends on it stops the restore).
            pieces.append(.text("\n" + tables.map { "DROP TABLE IF EXISTS \(quoteIdentifier($0.schema)).\(quoteIdentifier($0.name));\n" }.joined()))
        }
        // pg_dump sets the tablespace and table access method for an entry before its header, so the statements
        // end up in the entry before it: each chosen entry gets the settings the script had in force there.
        var inForce: [String: String] = [:]
        var sent: [String: String] = [:]
        for (i, entry) in contents.entries.enumerated() {
            let settings = sessionSettings(in: entry.text ?? "")
            guard chosen.contains(i) else {
                inForce.merge(settings) { $1 }
                continue
            }
            for (key, line) in inForce.sorted(by: { $0.key < $1.key }) where sent[key] != line {
                pieces.append(.text("\n" + line + "\n"))
                sent[key] = line
            }
            let ownedEntry = own.entries.contains(i)
            if entry.isData {
                pieces.append(.data(entry, renames: ownedEntry ? renames : PartialRenames()))
            } else {
                let text = entry.text ?? ""
                pieces.append(.text(ownedEntry ? try renames.apply(text, entry: entry.qualifiedName) : text))
            }
            inForce.merge(settings) { $1 }
            sent.merge(settings) { $1 }
        }
        pieces.append(.text(contents.footer?.text ?? ""))
        return PartialPlan(pieces: pieces, tables: tables, destinations: tables.map(renames.destination), createdDependencies: created,
                           leftOutOfPrelude: prelude.leftOut)
    }

    /// The session settings of a dump's prelude (`SET …`, `SELECT pg_catalog.set_config(…)`, psql meta-commands,
    /// comments), and the first lines of the other statements, which a partial restore leaves out.
    package static func sessionPrelude(_ text: String) -> (kept: String, leftOut: [String]) {
        var kept = ""
        var leftOut: [String] = []
        var inStatement = false
        var keeping = true
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !inStatement {
                if trimmed.isEmpty || trimmed.hasPrefix("--") {
                    kept += line + "\n"
                    continue
                }
                keeping = trimmed.hasPrefix("SET ") || trimmed.hasPrefix("SELECT pg_catalog.set_config(") || trimmed.hasPrefix("\\")
                if !keeping { leftOut.append(String(trimmed)) }
                inStatement = !trimmed.hasPrefix("\\") && !trimmed.hasSuffix(";")
            } else if trimmed.hasSuffix(";") {
                inStatement = false
            }
            if keeping { kept += line + "\n" }
        }
        if !text.hasSuffix("\n"), kept.hasSuffix("\n") { kept.removeLast() }
        return (kept, leftOut)
    }
}
