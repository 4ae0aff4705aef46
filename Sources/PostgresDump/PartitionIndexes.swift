import LibPQ

/// Partitions' own indexes and key constraints, made alone before their parent's, which takes each as its partition
/// (CREATE INDEX and ADD CONSTRAINT on a partitioned table attach a matching index or key a partition already has).
///
/// pg_dump makes them alone too, then attaches them (`ALTER INDEX … ATTACH PARTITION`): so they keep their own name
/// and tablespace, where the parent's would make them anew under a name the server chooses, in its own tablespace
/// (common after partitioning existing tables: ADD PRIMARY KEY, then ATTACH PARTITION). Only a leaf partition's are
/// made alone: a partitioned partition's, made alone, would make its own partitions' anew in turn.
enum PartitionIndexes {
    /// Leaf partitions' indexes of the relations in `$1` that belong to a parent index and to no constraint.
    static let indexes = """
        SELECT c.oid, i.indrelid, c.relname AS name, \(CatalogQueries.qualified("n", "c.relname")) AS qname,
               pg_catalog.pg_get_indexdef(c.oid) AS def, i.indisclustered, i.indisreplident,
               pg_catalog.obj_description(c.oid, 'pg_class') AS comment
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE i.indrelid = ANY($1::pg_catalog.oid[]) AND c.relkind = 'i'
          AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = c.oid)
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = c.oid AND k.contype IN ('p', 'u', 'x'))
        ORDER BY n.nspname, c.relname
        """

    /// Leaf partitions' key constraints (primary key, unique, exclusion) of the relations in `$1` that belong to a parent's.
    static let keys = """
        SELECT k.oid, k.conrelid, k.conindid, k.conname AS name, pg_catalog.quote_ident(k.conname) AS qname,
               pg_catalog.pg_get_constraintdef(k.oid) AS def,
               (SELECT i.indisreplident FROM pg_catalog.pg_index i WHERE i.indexrelid = k.conindid) AS indisreplident,
               (SELECT pg_catalog.quote_ident(ic.relname) FROM pg_catalog.pg_class ic WHERE ic.oid = k.conindid) AS index_name,
               pg_catalog.obj_description(k.oid, 'pg_constraint') AS comment
        FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
        WHERE k.conrelid = ANY($1::pg_catalog.oid[]) AND k.contype IN ('p', 'u', 'x') AND k.conparentid <> 0 AND c.relkind = 'r'
        ORDER BY k.conname
        """
}

extension CatalogReader {
    /// The leaf partitions' indexes and key constraints, each in its own tablespace, sorted before every key constraint
    /// and index of the parents (priority 0).
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
        return items
    }
}
