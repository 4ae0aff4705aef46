/// A statement that `--jobs N` may run on a worker connection, beside others of the same phase.
///
/// Only the expensive, self-contained statements of a dump qualify: loading a table's data, building an
/// index or a primary-key/unique/exclusion/check constraint, and adding a foreign key. Everything else
/// runs in script order on the main connection after the running steps have finished (a barrier).
package struct ParallelStep: Equatable, Sendable {
    /// The steps that may run together: a phase waits for the one before it to finish completely.
    package enum Phase: Equatable, Sendable {
        /// `COPY table FROM stdin`.
        case data
        /// `CREATE [UNIQUE] INDEX … ON table`, `ALTER TABLE table ADD CONSTRAINT … PRIMARY KEY|UNIQUE|EXCLUDE|CHECK`.
        case index
        /// `ALTER TABLE table ADD CONSTRAINT … FOREIGN KEY … REFERENCES other`: needs the other table's key first.
        case foreignKey
    }

    /// What the step belongs to.
    package var phase: Phase
    /// Every table the step locks; two steps sharing a table never run at once (no lock waits, no deadlocks),
    /// and run in script order.
    package var tables: [QualifiedName]

    package init(phase: Phase, tables: [QualifiedName]) {
        self.phase = phase
        self.tables = tables
    }

    /// The step `sql` is, or nil when it must run on the main connection in script order.
    package static func classify(_ sql: String) -> ParallelStep? {
        let head = sql.utf8.prefix(6).map { $0 | 0x20 }
        // Cheap test first: most statements of a dump are neither CREATE nor ALTER nor COPY.
        guard head.starts(with: Array("create".utf8)) || head.starts(with: Array("alter".utf8))
                || head.starts(with: Array("copy".utf8)) else { return nil }
        let t = StatementInfo.tokens(sql)
        func word(_ i: Int) -> String? { i < t.count && t[i].kind == .word ? t[i].text : nil }
        // One action only: a top-level comma means several (ALTER TABLE t ADD …, ADD …) or a column list of COPY.
        let topLevelCommas = t.contains { $0.depth == 0 && $0.isSymbol(",") }
        switch word(0) {
        case "copy":
            if case .copyFromStdin(let table) = StatementInfo.classify(sql) { return ParallelStep(phase: .data, tables: [table]) }
            return nil
        case "create":
            guard !topLevelCommas else { return nil }
            var i = 1
            if word(i) == "unique" { i += 1 }
            guard word(i) == "index" else { return nil }
            i += 1
            if word(i) == "concurrently" { return nil }
            if word(i) == "if", word(i + 1) == "not", word(i + 2) == "exists" { i += 3 }
            // The index name is optional.
            if word(i) != "on", i < t.count, t[i].isIdentifier { i += 1 }
            guard word(i) == "on" else { return nil }
            i += 1
            if word(i) == "only" { i += 1 }
            guard let (table, _) = StatementInfo.qualifiedName(t, at: i) else { return nil }
            return ParallelStep(phase: .index, tables: [table])
        case "alter":
            guard !topLevelCommas, word(1) == "table" else { return nil }
            var i = 2
            if word(i) == "if", word(i + 1) == "exists" { i += 2 }
            if word(i) == "only" { i += 1 }
            guard let (table, after) = StatementInfo.qualifiedName(t, at: i),
                  word(after) == "add", word(after + 1) == "constraint", after + 2 < t.count, t[after + 2].isIdentifier else {
                return nil
            }
            let kind = after + 3
            switch word(kind) {
            case "primary", "unique", "exclude", "check":
                // USING INDEX adopts an index built by an earlier statement: same table, so it runs after it.
                return ParallelStep(phase: .index, tables: [table])
            case "foreign":
                guard let references = t.firstIndex(where: { $0.depth == 0 && $0.isWord("references") }),
                      let (other, _) = StatementInfo.qualifiedName(t, at: references + 1) else { return nil }
                return ParallelStep(phase: .foreignKey, tables: other == table ? [table] : [table, other])
            default:
                return nil
            }
        default:
            return nil
        }
    }
}
