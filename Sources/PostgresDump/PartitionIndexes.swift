import LibPQ

/// Partitions' own indexes and key constraints, made alone, then attached to their parent's (`ALTER INDEX … ATTACH
/// PARTITION`), as pg_dump makes them.
///
/// A partitioned table's index or key is made ON ONLY it (CatalogReader.indexItems, keyItems), so it makes none on its
/// partitions: each partition's, at every level of the tree, keeps its own name and tablespace, where one made by its
/// parent's would be made anew under a name the server chooses, in the parent's tablespace (common after partitioning
/// existing tables: ADD PRIMARY KEY, then ATTACH PARTITION). The parent's stays invalid until every partition's is
/// attached, which the attachments do before any foreign key needs it.
enum PartitionIndexes {
    /// Partitions' indexes of the relations in `$1` that belong to a parent index and to no constraint.
    static let indexes = """
        SELECT c.oid, i.indrelid, c.relname AS name, \(CatalogQueries.qualified("n", "c.relname")) AS qname,
               pg_catalog.pg_get_indexdef(c.oid) AS def, i.indisclustered, i.indisreplident,
               pg_catalog.obj_description(c.oid, 'pg_class') AS comment
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE i.indrelid = ANY($1::pg_catalog.oid[])
          AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = c.oid)
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = c.oid AND k.contype IN ('p', 'u', 'x'))
        ORDER BY n.nspname, c.relname
        """

    /// Partitions' key constraints (primary key, unique, exclusion) of the relations in `$1` that belong to a parent's.
    static let keys = """
        SELECT k.oid, k.conrelid, k.conindid, k.conname AS name, pg_catalog.quote_ident(k.conname) AS qname,
               pg_catalog.pg_get_constraintdef(k.oid) AS def,
               (SELECT i.indisreplident FROM pg_catalog.pg_index i WHERE i.indexrelid = k.conindid) AS indisreplident,
               (SELECT pg_catalog.quote_ident(ic.relname) FROM pg_catalog.pg_class ic WHERE ic.oid = k.conindid) AS index_name,
               pg_catalog.obj_description(k.oid, 'pg_constraint') AS comment
        FROM pg_catalog.pg_constraint k
        WHERE k.conrelid = ANY($1::pg_catalog.oid[]) AND k.contype IN ('p', 'u', 'x') AND k.conparentid <> 0
        ORDER BY k.conname
        """

    /// Each index (a key constraint's too) of a relation in `$1` that is a partition of an index of a relation in `$1`,
    /// with that index and how deep in its tree it is (deepest attached first, so each level is whole when attached).
    static let attachments = """
        SELECT \(CatalogQueries.qualified("pn", "pc.relname")) AS parent, \(CatalogQueries.qualified("n", "c.relname")) AS child,
               pc.relname AS parent_name, c.relname AS name, n.nspname AS schema,
               (SELECT count(*) FROM pg_catalog.pg_partition_ancestors(i.indrelid)) AS depth
        FROM pg_catalog.pg_inherits h JOIN pg_catalog.pg_index i ON i.indexrelid = h.inhrelid
        JOIN pg_catalog.pg_class c ON c.oid = h.inhrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_class pc ON pc.oid = h.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
        JOIN pg_catalog.pg_index pi ON pi.indexrelid = h.inhparent
        WHERE i.indrelid = ANY($1::pg_catalog.oid[]) AND pi.indrelid = ANY($1::pg_catalog.oid[])
        ORDER BY n.nspname, c.relname
        """
}

extension CatalogReader {
    /// The partitions' indexes and key constraints, each in its own tablespace (sorted before every key constraint and
    /// index of the parents, priority 0), and their attachments to their parents' (after every index, before the
    /// foreign keys that need the parents' valid, priority 4).
    func partitionIndexItems() throws -> [(SortKey, String)] {
        var items: [(SortKey, String)] = []
        for row in try c.query(PartitionIndexes.indexes, [relArray]).rows {
            guard let rel = rels[try row.oid("indrelid")] else { continue }
            let name = try row.string("name")
            var sql = SQLText.header(name: name, type: "INDEX", schema: rel.schema, owner: rel.owner) + (try row.string("def")) + ";\n\n"
            if try row.bool("indisclustered") { sql += "ALTER TABLE \(rel.qname) CLUSTER ON \(pgQuoteIdent(name));\n\n" }
            sql += settings.indexStatistics[try row.oid("oid")] ?? ""
            if try row.bool("indisreplident") {
                sql += "ALTER TABLE ONLY \(rel.qname) REPLICA IDENTITY USING INDEX \(pgQuoteIdent(name));\n\n"
            }
            sql += comment("INDEX \(try row.string("qname"))", try row.optionalString("comment"))
            items.append((SortKey(priority: 0, schema: rel.schema, name: rel.name, tiebreak: "index " + name),
                          Tablespaces.wrap(sql + "\n", tablespace: tablespaces[try row.oid("oid")])))
        }
        for row in try c.query(PartitionIndexes.keys, [relArray]).rows {
            guard let rel = rels[try row.oid("conrelid")] else { continue }
            let name = try row.string("name"), qname = try row.string("qname")
            var sql = SQLText.header(name: "\(rel.name) \(name)", type: "CONSTRAINT", schema: rel.schema, owner: rel.owner)
            sql += "ALTER TABLE ONLY \(rel.qname)\n    ADD CONSTRAINT \(qname) \(try row.string("def"));\n\n"
            if try row.optionalString("indisreplident") == "t", let index = try row.optionalString("index_name") {
                sql += "ALTER TABLE ONLY \(rel.qname) REPLICA IDENTITY USING INDEX \(index);\n\n"
            }
            sql += settings.clusteredConstraints[try row.oid("oid")] ?? ""
            sql += comment("CONSTRAINT \(qname) ON \(rel.qname)", try row.optionalString("comment"))
            items.append((SortKey(priority: 0, schema: rel.schema, name: rel.name, tiebreak: "key " + name),
                          Tablespaces.wrap(sql + "\n", tablespace: tablespaces[try row.oid("conindid")])))
        }
        for row in try c.query(PartitionIndexes.attachments, [relArray]).rows {
            let name = try row.string("name"), depth = Int(try row.string("depth")) ?? 0
            let sql = SQLText.header(name: name, type: "INDEX ATTACH", schema: try row.string("schema"), owner: nil)
                + "ALTER INDEX \(try row.string("parent")) ATTACH PARTITION \(try row.string("child"));\n\n\n"
            items.append((SortKey(priority: 4, schema: "", name: String(format: "%04d", 9999 - depth), tiebreak: name), sql))
        }
        return items
    }
}
