/// Drops for the kinds past tables and routines: text search objects, operators with their classes and
/// families, casts, conversions, foreign servers and user mappings, procedural languages, transforms,
/// publications, subscriptions, event triggers and large objects, in pg_dump's
/// `--clean --if-exists` forms.
extension CleanPlan {
    /// The drop for `CREATE TEXT SEARCH …`, `CREATE OPERATOR …`, `CREATE CAST`, `CREATE [DEFAULT] CONVERSION`,
    /// `CREATE PUBLICATION`, `CREATE EVENT TRIGGER` and the rest, whose kind word is at `i`, or what hangs on a
    /// table (`tablePartDrop`); nil for anything else.
    static func kindDrop(_ sql: String, _ t: [SQLToken], kind i: Int) -> String? {
        func word(_ i: Int) -> String? { i < t.count && t[i].kind == .word ? t[i].text : nil }
        func named(_ what: String, at i: Int) -> String? {
            guard let (object, _) = StatementInfo.qualifiedName(t, at: i) else { return nil }
            return "DROP \(what) IF EXISTS \(object.sql);"
        }
        switch word(i) {
        case "text":
            guard word(i + 1) == "search", let kind = word(i + 2),
                  ["configuration", "dictionary", "parser", "template"].contains(kind) else { return nil }
            return named("TEXT SEARCH \(kind.uppercased())", at: i + 3)
        case "conversion": return named("CONVERSION", at: i + 1)
        case "publication": return named("PUBLICATION", at: i + 1)
        case "server": return named("SERVER", at: i + 1)
        case "subscription": return subscriptionDrop(t, at: i + 1)
        case "language": return named("LANGUAGE", at: i + 1)
        case "transform": return transformDrop(sql, t, at: i + 1)
        case "user": return word(i + 1) == "mapping" ? userMappingDrop(t, at: i + 2) : nil
        case "event": return word(i + 1) == "trigger" ? named("EVENT TRIGGER", at: i + 2) : nil
        case "cast":
            guard i + 1 < t.count, t[i + 1].isSymbol("("), let inner = parenthesized(sql, t, open: i + 1) else { return nil }
            return "DROP CAST IF EXISTS (\(inner));"
        case "operator":
            if let kind = word(i + 1), kind == "class" || kind == "family" {
                guard let (object, after) = StatementInfo.qualifiedName(t, at: i + 2) else { return nil }
                var u = after
                while u < t.count, !(t[u].isWord("using") && t[u].depth == 0) { u += 1 }
                guard u + 1 < t.count, t[u + 1].isIdentifier else { return nil }
                return "DROP OPERATOR \(kind.uppercased()) IF EXISTS \(object.sql) USING \(quoteIdentifier(t[u + 1].text));"
            }
            guard let op = operatorDefinition(sql, t, at: i + 1) else { return nil }
            return "DROP OPERATOR IF EXISTS \(operatorSQL(op.name)) (\(op.left ?? "NONE"), \(op.right ?? "NONE"));"
        default:
            return tablePartDrop(t, kind: i)
        }
    }

    /// The drop for a base type `name` (`CREATE TYPE schema.name (INPUT = …)`), run before its I/O functions' drops.
    ///
    /// The type and its I/O functions depend on each other, so neither can be dropped alone; pg_dump `--clean` writes
    /// `DROP TYPE … CASCADE`. Here CASCADE is used only when nothing but those functions depends on the type (everything
    /// the script made on it was dropped before); otherwise a plain DROP TYPE fails, naming what else uses it, and the
    /// restore rolls back. The script's own `CREATE TYPE name;` (the shell) keeps its plain drop, which then finds nothing.
    static func baseTypeDrop(_ name: QualifiedName) -> String? {
        guard name.parts.count == 2, !name.parts.contains(where: { $0.contains("$vaultops_clean$") }) else { return nil }
        func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        let type = "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
        let named = "n.nspname = \(literal(name.parts[0])) AND t.typname = \(literal(name.parts[1]))"
        return "DO $vaultops_clean$BEGIN IF EXISTS (SELECT \(type) WHERE \(named)) THEN "
            + "IF EXISTS (SELECT \(type) JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass "
            + "AND d.refobjid = t.oid AND d.deptype = 'n' WHERE \(named) AND NOT (d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass "
            + "AND d.objid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))) THEN DROP TYPE \(name.sql); END IF; "
            + "DROP TYPE \(name.sql) CASCADE; END IF; END$vaultops_clean$;"
    }

    /// The drop for `CREATE USER MAPPING FOR role SERVER name`, `FOR` at `i`: the role as written when it is a
    /// keyword (`CURRENT_USER`, `PUBLIC`, …), quoted otherwise.
    static func userMappingDrop(_ t: [SQLToken], at i: Int) -> String? {
        guard i + 3 < t.count, t[i].isWord("for"), t[i + 1].isIdentifier, t[i + 2].isWord("server"),
              let (server, _) = StatementInfo.qualifiedName(t, at: i + 3), server.parts.count == 1 else { return nil }
        let keywords: Set = ["current_user", "current_role", "session_user", "user"]
        let role = t[i + 1].kind == .word && keywords.contains(t[i + 1].text) ? t[i + 1].text.uppercased() : quoteIdentifier(t[i + 1].text)
        return "DROP USER MAPPING IF EXISTS FOR \(role) SERVER \(server.sql);"
    }

    /// The drop for `CREATE SUBSCRIPTION name …`, name at `i`: the subscription is disabled and detached from its
    /// slot first, so the drop connects nowhere (a dump's slot name is the source's: dropping it on the publisher
    /// would break the source's replication), and runs inside the restore's transaction.
    static func subscriptionDrop(_ t: [SQLToken], at i: Int) -> String? {
        guard let (name, _) = StatementInfo.qualifiedName(t, at: i), name.parts.count == 1,
              !name.parts[0].contains("$vaultops_clean$") else { return nil }
        let literal = "'" + name.parts[0].replacingOccurrences(of: "'", with: "''") + "'"
        return "DO $vaultops_clean$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_subscription s WHERE s.subname = \(literal) "
            + "AND s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())) THEN "
            + "ALTER SUBSCRIPTION \(name.sql) DISABLE; ALTER SUBSCRIPTION \(name.sql) SET (slot_name = NONE); "
            + "DROP SUBSCRIPTION \(name.sql); END IF; END$vaultops_clean$;"
    }

    /// The drop for `CREATE TRANSFORM FOR type LANGUAGE lang (…)`, `FOR` at `i`: the type as written.
    static func transformDrop(_ sql: String, _ t: [SQLToken], at i: Int) -> String? {
        guard i + 1 < t.count, t[i].isWord("for"),
              let language = t[(i + 1)...].firstIndex(where: { $0.isWord("language") && $0.depth == 0 }),
              language > i + 1, language + 1 < t.count, t[language + 1].isIdentifier else { return nil }
        let bytes = Array(sql.utf8)
        let type = String(decoding: bytes[t[i + 1].range.lowerBound..<t[language - 1].range.upperBound], as: UTF8.self)
        return "DROP TRANSFORM IF EXISTS FOR \(type) LANGUAGE \(quoteIdentifier(t[language + 1].text));"
    }

    /// The drop for `SELECT pg_catalog.lo_create('N')` (pg_dump's and the dumper's way to make a large object) or
    /// `lo_from_bytea('N', …)`: `lo_unlink` of that object only when it exists, as pg_dump `--clean` writes it.
    static func largeObjectDrop(_ sql: String, _ t: [SQLToken]) -> String? {
        var i = 1
        if i + 1 < t.count, t[i].isWord("pg_catalog"), t[i + 1].isSymbol(".") { i += 2 }
        guard i + 2 < t.count, t[i].isWord("lo_create") || t[i].isWord("lo_from_bytea"), t[i + 1].isSymbol("("),
              t[i + 2].kind == .string || t[i + 2].kind == .number else { return nil }
        let bytes = Array(sql.utf8)[t[i + 2].range]
        var oid = String(decoding: bytes, as: UTF8.self)
        if t[i + 2].kind == .string {
            guard oid.hasPrefix("'"), oid.hasSuffix("'"), oid.count > 2 else { return nil }
            oid = String(oid.dropFirst().dropLast())
        }
        // 0 asks the server to choose an oid: nothing the script could drop by it.
        guard !oid.isEmpty, oid.allSatisfy(\.isASCII), oid.allSatisfy(\.isNumber), let value = UInt32(oid), value != 0 else { return nil }
        return "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '\(value)';"
    }

    /// A `CREATE OPERATOR` statement's name, argument types and the operators its COMMUTATOR and NEGATOR name.
    struct OperatorDefinition: Equatable {
        var name: QualifiedName
        var left: String?
        var right: String?
        var commutator: QualifiedName?
        var negator: QualifiedName?
    }

    /// Reads `name (LEFTARG = …, RIGHTARG = …, COMMUTATOR = …, NEGATOR = …, …)` from `at`; types as written.
    static func operatorDefinition(_ sql: String, _ t: [SQLToken], at start: Int) -> OperatorDefinition? {
        guard let (name, open) = operatorName(t, at: start), open < t.count, t[open].isSymbol("(") else { return nil }
        let bytes = Array(sql.utf8)
        let depth = t[open].depth + 1
        var definition = OperatorDefinition(name: name)
        var i = open + 1
        while i < t.count, !(t[i].depth == depth - 1 && t[i].isSymbol(")")) {
            var end = i
            while end < t.count, !(t[end].depth == depth && t[end].isSymbol(",")), !(t[end].depth == depth - 1 && t[end].isSymbol(")")) {
                end += 1
            }
            guard end < t.count else { return nil }
            // `KEY = value`; flags (HASHES, MERGES) have no value.
            if end > i + 2, t[i].kind == .word, t[i + 1].isSymbol("=") {
                let value = String(decoding: bytes[t[i + 2].range.lowerBound..<t[end - 1].range.upperBound], as: UTF8.self)
                var v = i + 2
                if t[v].isWord("operator"), v + 1 < end, t[v + 1].isSymbol("(") { v += 2 }
                switch t[i].text {
                case "leftarg": definition.left = value
                case "rightarg": definition.right = value
                case "commutator": definition.commutator = operatorName(t, at: v)?.0
                case "negator": definition.negator = operatorName(t, at: v)?.0
                default: break
                }
            }
            i = t[end].isSymbol(",") && t[end].depth == depth ? end + 1 : end
        }
        return definition.right == nil && definition.left == nil ? nil : definition
    }

    /// An operator's `[schema.]symbols` name at `start` (the symbols as one part); returns it and the index after it.
    static func operatorName(_ t: [SQLToken], at start: Int) -> (QualifiedName, Int)? {
        var i = start
        var parts: [String] = []
        if i + 1 < t.count, t[i].isIdentifier, t[i + 1].isSymbol(".") { parts.append(t[i].text); i += 2 }
        let symbols = Set("+-*/<>=~!@#%^&|`?")
        var op = ""
        var last: Int?
        while i < t.count, t[i].kind == .symbol, let c = t[i].text.first, symbols.contains(c) {
            // One operator name is one run of symbol characters with nothing between them.
            if let last, t[i].range.lowerBound != last { break }
            op.append(c); last = t[i].range.upperBound; i += 1
        }
        guard !op.isEmpty else { return nil }
        return (QualifiedName(parts + [op]), i)
    }

    /// An operator's name as SQL: the schema quoted, the symbols as they are (they cannot be quoted).
    static func operatorSQL(_ name: QualifiedName) -> String {
        (name.parts.dropLast().map(quoteIdentifier) + [name.parts.last ?? ""]).joined(separator: ".")
    }

    /// The drops of the shell operators that `CREATE OPERATOR` made for the COMMUTATOR and NEGATOR it names and
    /// the script does not define: neither dumper writes shells, so one left behind would keep its schema from
    /// being dropped. Each drops the operator only while it is still a shell (`oprcode = 0`): a defined operator is
    /// dropped by its own `CREATE OPERATOR`'s drop, or belongs to someone else.
    static func shellOperatorDrops(for sql: String) -> [String] {
        let t = StatementInfo.tokens(sql)
        guard t.count > 2, t[0].isWord("create"), t[1].isWord("operator"),
              let op = operatorDefinition(sql, t, at: 2) else { return [] }
        var shells: [(QualifiedName, String?, String?)] = []
        if let commutator = op.commutator { shells.append((commutator, op.right, op.left)) }
        if let negator = op.negator { shells.append((negator, op.left, op.right)) }
        return shells.compactMap { name, left, right in
            // An unqualified name is made in the creation schema of the time: not known here.
            guard name.parts.count == 2, name != op.name || left != op.left || right != op.right else { return nil }
            func literal(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
            func argument(_ type: String?) -> String {
                type.map { "pg_catalog.to_regtype(\(literal($0)))" } ?? "0"
            }
            let text = "DO $vaultops_clean$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_operator o "
                + "JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace WHERE n.nspname = \(literal(name.parts[0])) "
                + "AND o.oprname = \(literal(name.parts[1])) AND o.oprcode = 0 AND o.oprleft = \(argument(left)) "
                + "AND o.oprright = \(argument(right))) THEN DROP OPERATOR \(quoteIdentifier(name.parts[0])).\(name.parts[1]) "
                + "(\(left ?? "NONE"), \(right ?? "NONE")); END IF; END$vaultops_clean$;"
            return [left, right].contains { $0?.contains("$vaultops_clean$") == true } ? nil : text
        }
    }

    /// The text between the parenthesis at `open` and its match, trimmed.
    static func parenthesized(_ sql: String, _ t: [SQLToken], open: Int) -> String? {
        let depth = t[open].depth
        guard let close = t[(open + 1)...].firstIndex(where: { $0.depth == depth && $0.isSymbol(")") }), close > open + 1 else { return nil }
        let bytes = Array(sql.utf8)
        return String(decoding: bytes[t[open + 1].range.lowerBound..<t[close - 1].range.upperBound], as: UTF8.self)
    }
}
