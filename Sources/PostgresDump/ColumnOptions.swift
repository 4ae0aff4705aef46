/// The column options (`attoptions`) a dump writes back with `ALTER TABLE … ALTER COLUMN … SET (…)`.
///
/// PostgreSQL 13–18 accept two attribute options, and pg_dump writes those. A server may keep entries of
/// its own there: Debian's PostgreSQL 15 build stores `pg_attver=…` in every column, which its pg_dump
/// leaves out and which any other server rejects, so only the known options are written.
enum ColumnOptions {
    /// The attribute options `ALTER TABLE … ALTER COLUMN … SET (…)` takes.
    static let known: Set<String> = ["n_distinct", "n_distinct_inherited"]

    /// The `SET (…)` list for `options` (`name=value` entries): the known options, values quoted.
    static func dumpable(_ options: [String?]) -> String {
        SQLText.reloptions(options.filter { option in
            guard let option, let eq = option.firstIndex(of: "=") else { return false }
            return known.contains(String(option[..<eq]))
        })
    }
}

extension DataTable {
    /// The column list of the table's COPY statements: `(a, b)`, or nothing for a table without columns,
    /// whose rows are empty lines (pg_dump writes `COPY t  FROM stdin;` for it; `COPY t ()` is an error).
    var copyColumns: String {
        columns.isEmpty ? "" : "(" + columns.joined(separator: ", ") + ")"
    }
}
