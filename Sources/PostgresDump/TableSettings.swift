import LibPQ

/// Settings pg_dump writes beside objects this dump renders elsewhere, each read with a query of its own:
/// `CLUSTER ON` a key constraint's index, `SET COMPRESSION`, statistics targets of index columns and of
/// extended statistics, and trigger states on partitions that differ from the parent's.
///
/// Every statement is finished (`;` and the blank line the script puts between statements).
struct TableSettings {
    /// `ALTER TABLE … CLUSTER ON` by constraint OID (primary key, unique and exclusion constraints).
    var clusteredConstraints: [UInt32: String] = [:]
    /// `ALTER TABLE ONLY … ALTER COLUMN … SET COMPRESSION` by relation OID.
    var compression: [UInt32: String] = [:]
    /// `ALTER INDEX … ALTER COLUMN n SET STATISTICS` by index OID.
    var indexStatistics: [UInt32: String] = [:]
    /// `ALTER STATISTICS … SET STATISTICS` by extended statistics OID.
    var statisticsTargets: [UInt32: String] = [:]
    /// `ALTER STATISTICS … OWNER TO` by extended statistics OID (the creator, not necessarily the table's owner).
    var statisticsOwners: [UInt32: String] = [:]

    /// Reads the settings of the relations in `relArray` (a `{oid,…}` array literal).
    static func read(_ c: Connection, relArray: String) throws -> TableSettings {
        var settings = TableSettings()
        for row in try c.query(clusteredConstraintsQuery, [relArray]).rows {
            settings.clusteredConstraints[try row.oid("oid")] = try row.string("sql")
        }
        // attcompression appeared in PostgreSQL 14.
        if c.serverVersionNumber >= 140000 {
            for row in try c.query(compressionQuery, [relArray]).rows {
                settings.compression[try row.oid("oid")] = try row.string("sql")
            }
        }
        for row in try c.query(indexStatisticsQuery, [relArray]).rows {
            settings.indexStatistics[try row.oid("oid")] = try row.string("sql")
        }
        for row in try c.query(statisticsTargetQuery, [relArray]).rows {
            if let sql = try row.optionalString("sql") { settings.statisticsTargets[try row.oid("oid")] = sql }
            settings.statisticsOwners[try row.oid("oid")] = try row.string("owner")
        }
        return settings
    }

    static let clusteredConstraintsQuery = """
        SELECT k.oid, 'ALTER TABLE ' || \(CatalogQueries.qualified("n", "c.relname")) || ' CLUSTER ON ' ||
                      pg_catalog.quote_ident(ic.relname) || E';\\n\\n' AS sql
        FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_index i ON i.indexrelid = k.conindid
        JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE k.conrelid = ANY($1::pg_catalog.oid[]) AND k.contype IN ('p', 'u', 'x') AND i.indisclustered
        """

    static let compressionQuery = """
        SELECT a.attrelid AS oid,
               pg_catalog.string_agg('ALTER TABLE ONLY ' || \(CatalogQueries.qualified("n", "c.relname")) || ' ALTER COLUMN ' ||
                                     pg_catalog.quote_ident(a.attname) || ' SET COMPRESSION ' ||
                                     CASE a.attcompression WHEN 'p' THEN 'pglz' ELSE 'lz4' END || E';\\n\\n', '' ORDER BY a.attnum) AS sql
        FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE a.attrelid = ANY($1::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attcompression IN ('p', 'l') AND c.relkind IN ('r', 'p', 'm')
        GROUP BY a.attrelid
        """

    /// Index columns are addressed by number (an expression column has no usable name).
    static let indexStatisticsQuery = """
        SELECT a.attrelid AS oid,
               pg_catalog.string_agg('ALTER INDEX ' || \(CatalogQueries.qualified("n", "ic.relname")) || ' ALTER COLUMN ' ||
                                     a.attnum || ' SET STATISTICS ' || a.attstattarget || E';\\n\\n', '' ORDER BY a.attnum) AS sql
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indexrelid
        JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
        WHERE i.indrelid = ANY($1::pg_catalog.oid[]) AND a.attnum > 0 AND a.attstattarget >= 0
        GROUP BY a.attrelid
        """

    /// `stxstattarget` is -1 (before 17) or NULL (17 on) when not set.
    static let statisticsTargetQuery = """
        SELECT s.oid, CASE WHEN s.stxstattarget >= 0 THEN 'ALTER STATISTICS ' || \(CatalogQueries.qualified("n", "s.stxname")) ||
                      ' SET STATISTICS ' || s.stxstattarget || E';\\n\\n' END AS sql,
               'ALTER STATISTICS ' || \(CatalogQueries.qualified("n", "s.stxname")) || ' OWNER TO ' ||
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(s.stxowner)) || ';' AS owner
        FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
        WHERE s.stxrelid = ANY($1::pg_catalog.oid[])
        """

    /// Triggers cloned onto partitions whose enabled state differs from their parent trigger's, as the
    /// `ALTER TABLE … DISABLE|ENABLE REPLICA|ENABLE ALWAYS TRIGGER` pg_dump writes for them.
    ///
    /// Sorted after every other post-data item, shallow partitions first: the statement recurses into
    /// the partition's own partitions, so a deeper partition's state must be set after its parent's.
    static func partitionTriggerStates(_ c: Connection, relArray: String) throws -> [(SortKey, String)] {
        var items: [(SortKey, String)] = []
        for row in try c.query(partitionTriggerQuery, [relArray]).rows {
            let schema = try row.string("schema"), table = try row.string("table"), qname = try row.string("qname")
            let name = try row.string("name"), depth = try row.optionalInt("depth") ?? 0
            let action: String
            switch try row.string("tgenabled") {
            case "D": action = "DISABLE"
            case "R": action = "ENABLE REPLICA"
            case "A": action = "ENABLE ALWAYS"
            default: action = "ENABLE"
            }
            let sql = SQLText.header(name: "\(table) \(name)", type: "TRIGGER", schema: schema, owner: try row.string("owner"))
                + "ALTER TABLE \(try row.string("table_qname")) \(action) TRIGGER \(qname);\n\n\n"
            items.append((SortKey(priority: 100 + depth, schema: schema, name: table, tiebreak: name), sql))
        }
        return items
    }

    static let partitionTriggerQuery = """
        SELECT n.nspname AS schema, c.relname AS table, \(CatalogQueries.qualified("n", "c.relname")) AS table_qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.relowner)) AS owner,
               t.tgname AS name, pg_catalog.quote_ident(t.tgname) AS qname, t.tgenabled,
               (SELECT pg_catalog.count(*) FROM pg_catalog.pg_partition_ancestors(c.oid))::integer AS depth
        FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_trigger p ON p.oid = t.tgparentid
        JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE t.tgrelid = ANY($1::pg_catalog.oid[]) AND t.tgenabled <> p.tgenabled
        """
}
