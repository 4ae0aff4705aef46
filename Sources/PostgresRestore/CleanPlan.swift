/// What `--clean` drops: every object the script creates, newest first, each `IF EXISTS`.
///
/// A dump creates objects in dependency order, so dropping in reverse order removes dependents
/// first, as `pg_dump --clean` does: foreign keys and column defaults go before the tables and
/// sequences they point at. No `CASCADE` (but for a base type and its own I/O functions, `baseTypeDrop`): if
/// something outside the dump depends on an object, the drop fails and the whole restore rolls back instead of
/// silently removing it.
package struct CleanPlan: Equatable, Sendable {
    /// Drop statements in the order to run them.
    package private(set) var drops: [String] = []
    private var created: [String] = []
    private var seen: Set<String> = []
    /// A view's first definition, by its drop, to revert to when the script defines the view again.
    private var firstViews: [String: String] = [:]

    package init() {}

    /// Records what `sql` creates, if anything.
    package mutating func add(_ sql: String) {
        if let attached = Self.attachedIndexDrop(sql), let at = created.lastIndex(of: attached) {
            created.remove(at: at)
            drops = created.reversed()
            return
        }
        guard let drop = Self.dropStatement(for: sql) else { return }
        // Made by this CREATE OPERATOR, so dropped after it (newest first). Only operators are read again.
        for shell in drop.hasPrefix("DROP OPERATOR IF EXISTS ") ? Self.shellOperatorDrops(for: sql) : [] where !seen.contains(shell) {
            seen.insert(shell)
            created.append(shell)
        }
        guard !seen.contains(drop) else {
            // pg_dump creates a view that needs a primary key twice: a placeholder with the same columns
            // before the data, the real query (CREATE OR REPLACE) after the key. Dropping newest first must
            // then start by reverting to the placeholder, as pg_dump --clean does, or the key and its table
            // could not be dropped while the view depends on them.
            if let placeholder = firstViews[drop], drop.hasPrefix("DROP VIEW ") {
                created.append(placeholder)
                drops = created.reversed()
            }
            return
        }
        seen.insert(drop)
        created.append(drop)
        if drop.hasPrefix("DROP VIEW "), let replace = Self.orReplace(sql) { firstViews[drop] = replace }
        drops = created.reversed()
    }

    /// `CREATE VIEW …` as `CREATE OR REPLACE VIEW …` (unchanged when it already is one).
    private static func orReplace(_ sql: String) -> String? {
        let t = StatementInfo.tokens(sql, limit: 4)
        guard t.count > 1, t[0].isWord("create") else { return nil }
        if t[1].isWord("or") { return sql }
        let end = sql.utf8.index(sql.utf8.startIndex, offsetBy: t[0].range.upperBound)
        return String(sql[..<end]) + " OR REPLACE" + String(sql[end...])
    }

    /// The statement that drops what `sql` creates, or nil when it creates nothing that needs its own drop
    /// (constraints but foreign keys, and comments go with their table, a partition's attached index with its
    /// parent's, a family's `ALTER … ADD` members and a publication's tables with their family or publication).
    package static func dropStatement(for sql: String) -> String? {
        let t = StatementInfo.tokens(sql)
        func word(_ i: Int) -> String? { i < t.count && t[i].kind == .word ? t[i].text : nil }
        func name(at i: Int) -> (QualifiedName, Int)? {
            var i = i
            if word(i) == "if", word(i + 1) == "not", word(i + 2) == "exists" { i += 3 }
            return StatementInfo.qualifiedName(t, at: i)
        }
        guard let first = word(0) else { return nil }
        if first == "alter" {
            return alterDrop(t)
        }
        if first == "select" {
            return largeObjectDrop(sql, t)
        }
        guard first == "create" else { return nil }
        var i = 1
        if word(i) == "or", word(i + 1) == "replace" { i += 2 }
        while let w = word(i), ["unlogged", "temporary", "temp", "global", "local", "trusted", "procedural", "default"].contains(w) { i += 1 }
        guard let kind = word(i) else { return nil }
        switch kind {
        case "table", "sequence", "view", "schema", "domain", "type", "extension", "collation":
            guard let (object, after) = name(at: i + 1) else { return nil }
            // `CREATE TYPE t (INPUT = …)`: a base type, filling in the shell its I/O functions were made on.
            if kind == "type", after < t.count, t[after].isSymbol("("), let drop = baseTypeDrop(object) { return drop }
            return "DROP \(kind.uppercased()) IF EXISTS \(object.sql);"
        case "materialized":
            guard word(i + 1) == "view", let (object, _) = name(at: i + 2) else { return nil }
            return "DROP MATERIALIZED VIEW IF EXISTS \(object.sql);"
        case "access":
            guard word(i + 1) == "method", let (object, _) = name(at: i + 2) else { return nil }
            return "DROP ACCESS METHOD IF EXISTS \(object.sql);"
        case "foreign":
            if word(i + 1) == "data", word(i + 2) == "wrapper", let (object, _) = name(at: i + 3) {
                return "DROP FOREIGN DATA WRAPPER IF EXISTS \(object.sql);"
            }
            guard word(i + 1) == "table", let (object, _) = name(at: i + 2) else { return nil }
            return "DROP FOREIGN TABLE IF EXISTS \(object.sql);"
        case "function", "procedure", "aggregate":
            guard let (object, after) = name(at: i + 1), after < t.count, t[after].isSymbol("(") else { return nil }
            guard let arguments = identityArguments(sql, t, open: after) else { return nil }
            return "DROP \(kind.uppercased()) IF EXISTS \(object.sql)(\(arguments));"
        default:
            return kindDrop(sql, t, kind: i)
        }
    }

    /// Drops for `ALTER TABLE [ONLY] t ADD CONSTRAINT c FOREIGN KEY …` and `ALTER TABLE [ONLY] t ALTER [COLUMN] c SET DEFAULT …`.
    private static func alterDrop(_ t: [SQLToken]) -> String? {
        func word(_ i: Int) -> String? { i < t.count && t[i].kind == .word ? t[i].text : nil }
        guard word(1) == "table" else { return nil }
        var i = 2
        if word(i) == "if", word(i + 1) == "exists" { i += 2 }
        var only = false
        if word(i) == "only" { only = true; i += 1 }
        guard let (table, after) = StatementInfo.qualifiedName(t, at: i) else { return nil }
        let target = "ALTER TABLE IF EXISTS \(only ? "ONLY " : "")\(table.sql)"
        // Only foreign keys: they tie tables together and would block dropping the referenced table.
        // Other constraints go with their table (and a partition's attached key cannot be dropped alone).
        if word(after) == "add", word(after + 1) == "constraint", after + 2 < t.count, t[after + 2].isIdentifier,
           word(after + 3) == "foreign" {
            return "\(target) DROP CONSTRAINT IF EXISTS \(quoteIdentifier(t[after + 2].text));"
        }
        if word(after) == "alter" {
            var c = after + 1
            if word(c) == "column" { c += 1 }
            if c + 2 < t.count, t[c].isIdentifier, word(c + 1) == "set", word(c + 2) == "default" {
                return "\(target) ALTER COLUMN \(quoteIdentifier(t[c].text)) DROP DEFAULT;"
            }
        }
        return nil
    }

    /// The argument list of a routine for DROP: each argument as written, without its DEFAULT.
    private static func identityArguments(_ sql: String, _ t: [SQLToken], open: Int) -> String? {
        let bytes = Array(sql.utf8)
        let depth = t[open].depth + 1
        var arguments: [String] = []
        var argumentStart: Int?
        var argumentEnd: Int?
        var cut = false
        var i = open + 1
        func flush() {
            if let s = argumentStart, let e = argumentEnd {
                arguments.append(String(decoding: bytes[s..<e], as: UTF8.self))
            }
            argumentStart = nil; argumentEnd = nil; cut = false
        }
        while i < t.count {
            let token = t[i]
            if token.depth == depth - 1 && token.isSymbol(")") { flush(); return arguments.joined(separator: ", ") }
            if token.depth == depth && token.isSymbol(",") { flush(); i += 1; continue }
            if token.depth == depth && (token.isWord("default") || token.isSymbol("=")) { cut = true }
            if !cut {
                if argumentStart == nil { argumentStart = token.range.lowerBound }
                argumentEnd = token.range.upperBound
            }
            i += 1
        }
        return nil
    }
}
