import LibPQ

/// Access methods of the database's own (`CREATE ACCESS METHOD`), and the tables and materialized views
/// that use a table access method other than heap.
///
/// pg_dump writes the access method with its handler, and creates such a relation after
/// `SET default_table_access_method = …` (then sets heap again, which the script's header assumes).
enum AccessMethods {
    /// Access methods not built in and not created by an extension.
    static let query = """
        SELECT a.oid, a.amname AS name, pg_catalog.quote_ident(a.amname) AS qname,
               CASE a.amtype WHEN 't' THEN 'TABLE' ELSE 'INDEX' END AS type,
               a.amhandler::pg_catalog.regproc::text AS handler,
               CASE WHEN a.amhandler::pg_catalog.oid >= 16384 THEN a.amhandler::pg_catalog.oid END AS handler_oid,
               pg_catalog.obj_description(a.oid, 'pg_am') AS comment
        FROM pg_catalog.pg_am a
        WHERE a.oid >= 16384 AND \(CatalogQueries.notExtensionMember("pg_am", "a.oid"))
        ORDER BY a.amname
        """

    /// Access methods as `am:<oid>` keys for the dependency map (a relation depends on its access method).
    static let owners = CatalogQueries.userObjectKeys([("pg_am", "am")])

    /// The table access method of each relation in `relArray` that does not use heap, by relation OID.
    static let relationAccessMethods = """
        SELECT c.oid, pg_catalog.quote_ident(a.amname) AS am
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_am a ON a.oid = c.relam
        WHERE c.oid = ANY($1::pg_catalog.oid[]) AND c.relkind IN ('r', 'p', 'm') AND a.amname <> 'heap'
        """

    /// One `CREATE ACCESS METHOD` item per access method: (key, name, SQL, the handler's key when it is a user function).
    static func read(_ c: Connection) throws -> [(key: String, name: String, sql: String, handler: String?)] {
        var items: [(key: String, name: String, sql: String, handler: String?)] = []
        for row in try c.execute(query).rows {
            let name = try row.string("name"), qname = try row.string("qname")
            var sql = SQLText.header(name: name, type: "ACCESS METHOD", schema: nil, owner: nil)
            sql += "CREATE ACCESS METHOD \(qname) TYPE \(try row.string("type")) HANDLER \(try row.string("handler"));\n\n"
            if let text = try row.optionalString("comment") {
                sql += "COMMENT ON ACCESS METHOD \(qname) IS \(SQLText.literal(text));\n\n"
            }
            items.append((key: "am:\(try row.oid("oid"))", name: name, sql: sql + "\n",
                          handler: try row.optionalString("handler_oid").map { "proc:\($0)" }))
        }
        return items
    }

    /// The access method of every relation in `relArray` that does not use heap.
    static func ofRelations(_ c: Connection, relArray: String) throws -> [UInt32: String] {
        var result: [UInt32: String] = [:]
        for row in try c.query(relationAccessMethods, [relArray]).rows {
            result[try row.oid("oid")] = try row.string("am")
        }
        return result
    }

    /// `sql` (a relation's CREATE and what follows it) run with `am` as the default table access method.
    static func wrap(_ sql: String, accessMethod am: String?) -> String {
        guard let am else { return sql }
        return "SET default_table_access_method = \(am);\n\n" + sql + "SET default_table_access_method = heap;\n\n"
    }
}
