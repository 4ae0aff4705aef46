import LibPQ

/// Tables, materialized views and indexes (constraints' too) in a tablespace other than the database's default, and
/// partitions outside their parent's (partitions' indexes: PartitionIndexes).
///
/// pg_dump creates such an object after `SET default_tablespace = x;` and sets `''` (the database's default) again
/// for the next one; it never creates the tablespace itself (pg_dumpall does), so restoring needs the tablespace
/// to exist on the target server, as pg_dump's script does.
enum Tablespaces {
    /// The tablespace of each relation in `$1`, and of each index on one, that is not in the database's default.
    static let query = """
        SELECT c.oid, pg_catalog.quote_ident(s.spcname) AS tablespace
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_tablespace s ON s.oid = c.reltablespace
        WHERE c.reltablespace <> 0 AND c.relkind IN ('r', 'p', 'm', 'i', 'I')
          AND (c.oid = ANY($1::pg_catalog.oid[])
               OR c.oid IN (SELECT i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid = ANY($1::pg_catalog.oid[])))
        """

    /// Whether the partition `c` (a pg_class row) is outside its parent's tablespace while the parent has one: PARTITION OF
    /// would put it in the parent's whatever default_tablespace says, so it is created alone and attached, as pg_dump does.
    static let ownTablespace = """
        COALESCE((SELECT pc.reltablespace <> 0 AND pc.reltablespace <> c.reltablespace
                  FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
                  WHERE i.inhrelid = c.oid AND c.relispartition AND c.relkind IN ('r', 'p')), false)
        """

    /// The tablespace (quoted) of every relation in `relArray` and index on one that is not in the database's default.
    static func ofRelations(_ c: Connection, relArray: String) throws -> [UInt32: String] {
        var result: [UInt32: String] = [:]
        for row in try c.query(query, [relArray]).rows {
            result[try row.oid("oid")] = try row.string("tablespace")
        }
        return result
    }

    /// `sql` (an object's CREATE and what follows it) run with `tablespace` as the default tablespace.
    static func wrap(_ sql: String, tablespace: String?) -> String {
        guard let tablespace else { return sql }
        return "SET default_tablespace = \(tablespace);\n\n" + sql + "SET default_tablespace = '';\n\n"
    }
}
