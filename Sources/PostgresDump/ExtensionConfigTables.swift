import LibPQ

/// The configuration tables and sequences of extensions (`pg_extension_config_dump`), whose contents pg_dump writes
/// though CREATE EXTENSION makes the objects: a table's rows that its condition selects (`COPY (SELECT … FROM ONLY t
/// WHERE …)`, generated columns left out), a sequence's position. The extensions pg_dump leaves out (plpgsql) keep
/// theirs, as `CatalogQueries.extensions` does.
enum ExtensionConfigTables {
    static let query = """
        SELECT c.oid, c.relkind, n.nspname AS schema, c.relname AS name, \(CatalogQueries.qualified("n", "c.relname")) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.relowner)) AS owner, x.condition,
               ARRAY(SELECT pg_catalog.quote_ident(a.attname) FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                     ORDER BY a.attnum) AS columns
        FROM pg_catalog.pg_extension e
        CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(e.extconfig), pg_catalog.unnest(e.extcondition)) AS x(reloid, condition)
        JOIN pg_catalog.pg_class c ON c.oid = x.reloid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE e.extname <> 'plpgsql' AND c.relkind IN ('r', 'S')
        ORDER BY n.nspname, c.relname
        """
}

extension CatalogReader {
    /// Adds the extensions' configuration tables (locked, as the dumped tables are) and sequences to the data.
    mutating func readExtensionConfigTables() throws {
        for row in try c.execute(ExtensionConfigTables.query).rows {
            let schema = try row.string("schema"), name = try row.string("name"), qname = try row.string("qname")
            let own = try row.string("owner")
            guard try row.string("relkind") == "r" else {
                catalog.sequences.append(SequenceState(schema: schema, name: name, qname: qname, owner: own))
                continue
            }
            try c.execute("LOCK TABLE \(qname) IN ACCESS SHARE MODE")
            let condition = try row.optionalString("condition") ?? ""
            catalog.dataTables.append(DataTable(schema: schema, name: name, qname: qname, owner: own,
                                                columns: try row.stringArray("columns").compactMap { $0 },
                                                condition: condition.isEmpty ? nil : condition, onlyThisTable: true))
        }
    }
}
