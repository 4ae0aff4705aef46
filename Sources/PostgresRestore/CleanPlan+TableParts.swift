/// Drops for what hangs on a table: indexes, triggers, policies, rules and extended statistics, in pg_dump's
/// `--clean --if-exists` forms.
///
/// Each would go with its table, but it may depend on something the script made after the table (a function
/// taking the table's row type used in an index, a trigger's function), and dropping newest first reaches that
/// first: it cannot be dropped while the index or trigger stands. Dropping them on their own first, as
/// pg_dump `--clean` does, keeps the order right.
extension CleanPlan {
    /// The drop for `CREATE [UNIQUE] INDEX`, `CREATE [CONSTRAINT] TRIGGER`, `CREATE POLICY`, `CREATE RULE` or
    /// `CREATE STATISTICS`, whose kind word is at `i`; nil for anything else, or for an unnamed index.
    static func tablePartDrop(_ t: [SQLToken], kind i: Int) -> String? {
        func word(_ i: Int) -> String? { i < t.count && t[i].kind == .word ? t[i].text : nil }
        switch word(i) {
        case "unique":
            return word(i + 1) == "index" ? indexDrop(t, at: i + 2) : nil
        case "index":
            return indexDrop(t, at: i + 1)
        case "constraint":
            return word(i + 1) == "trigger" ? onTableDrop("TRIGGER", t, name: i + 2) : nil
        case "trigger":
            return onTableDrop("TRIGGER", t, name: i + 1)
        case "policy":
            return onTableDrop("POLICY", t, name: i + 1)
        case "rule":
            // A view's `_RETURN` rule is the view itself: it goes with it and cannot be dropped alone.
            guard i + 1 < t.count, t[i + 1].isIdentifier, t[i + 1].text != "_RETURN", t[i + 1].text != "_return" else { return nil }
            return onTableDrop("RULE", t, name: i + 1)
        case "statistics":
            var n = i + 1
            if word(n) == "if", word(n + 1) == "not", word(n + 2) == "exists" { n += 3 }
            guard let (name, _) = StatementInfo.qualifiedName(t, at: n) else { return nil }
            return "DROP STATISTICS IF EXISTS \(name.sql);"
        default:
            return nil
        }
    }

    /// `DROP INDEX IF EXISTS schema.name;` for `… INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON [ONLY] schema.table`,
    /// the words after INDEX starting at `i` (an index lives in its table's schema).
    private static func indexDrop(_ t: [SQLToken], at i: Int) -> String? {
        func word(_ i: Int) -> String? { i < t.count && t[i].kind == .word ? t[i].text : nil }
        var i = i
        if word(i) == "concurrently" { i += 1 }
        if word(i) == "if", word(i + 1) == "not", word(i + 2) == "exists" { i += 3 }
        guard word(i) != "on", i + 1 < t.count, t[i].isIdentifier, word(i + 1) == "on" else { return nil }
        var on = i + 2
        if word(on) == "only" { on += 1 }
        guard let (table, _) = StatementInfo.qualifiedName(t, at: on) else { return nil }
        let index = QualifiedName(table.parts.dropLast() + [t[i].text])
        return "DROP INDEX IF EXISTS \(index.sql);"
    }

    /// `DROP what IF EXISTS name ON table;` for `CREATE … name … ON table`, the name at `name` and ON the first
    /// top-level ON after it (a rule's is `AS ON event TO table`).
    private static func onTableDrop(_ what: String, _ t: [SQLToken], name: Int) -> String? {
        guard name < t.count, t[name].isIdentifier else { return nil }
        var on = name + 1
        while on < t.count, !(t[on].depth == 0 && t[on].isWord("on")) { on += 1 }
        var table = on + 1
        if what == "RULE" {
            // ON SELECT|INSERT|UPDATE|DELETE TO table
            guard table + 1 < t.count, t[table + 1].isWord("to") else { return nil }
            table += 2
        }
        if table < t.count, t[table].isWord("only") { table += 1 }
        guard on < t.count, let (relation, _) = StatementInfo.qualifiedName(t, at: table) else { return nil }
        return "DROP \(what) IF EXISTS \(quoteIdentifier(t[name].text)) ON \(relation.sql);"
    }

    /// For `ALTER INDEX parent ATTACH PARTITION child`: the drop of `child`, which from then on goes with `parent`
    /// and cannot be dropped alone.
    static func attachedIndexDrop(_ sql: String) -> String? {
        let head = sql.utf8.prefix(5).map { $0 | 0x20 }
        guard head.elementsEqual("alter".utf8) else { return nil }
        let t = StatementInfo.tokens(sql)
        func word(_ i: Int) -> String? { i < t.count && t[i].kind == .word ? t[i].text : nil }
        guard word(1) == "index" else { return nil }
        var i = 2
        if word(i) == "if", word(i + 1) == "exists" { i += 2 }
        guard let (_, after) = StatementInfo.qualifiedName(t, at: i), word(after) == "attach", word(after + 1) == "partition",
              let (child, _) = StatementInfo.qualifiedName(t, at: after + 2) else { return nil }
        return "DROP INDEX IF EXISTS \(child.sql);"
    }
}
