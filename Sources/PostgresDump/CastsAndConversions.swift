import LibPQ

/// Casts and conversions of the database's own, as pg_dump writes them.
///
/// A cast belongs to no schema and has no owner: pg_dump dumps every cast made after initdb (OID of a
/// user object) that no extension owns and that was not made implicitly with another object (a range
/// type's multirange casts). Its function is named by schema, name and argument types.
enum CastsAndConversions {
    static let casts = """
        SELECT c.oid, pg_catalog.format_type(c.castsource, NULL) AS source, pg_catalog.format_type(c.casttarget, NULL) AS target,
               c.castmethod, c.castcontext,
               (SELECT pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(p.proname) || '(' ||
                       COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format_type(a.t, NULL), ', ' ORDER BY a.ord)
                                 FROM pg_catalog.unnest(p.proargtypes) WITH ORDINALITY AS a(t, ord)), '') || ')'
                FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace WHERE p.oid = c.castfunc) AS function,
               pg_catalog.obj_description(c.oid, 'pg_cast') AS comment
        FROM pg_catalog.pg_cast c
        WHERE c.oid >= 16384 AND \(CatalogQueries.notImplicit("pg_cast", "c.oid"))
        """

    static let conversions = """
        SELECT c.oid, n.nspname AS schema, c.conname AS name, \(CatalogQueries.qualified("n", "c.conname")) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.conowner)) AS owner,
               pg_catalog.pg_encoding_to_char(c.conforencoding) AS source, pg_catalog.pg_encoding_to_char(c.contoencoding) AS target,
               c.conproc::pg_catalog.regproc::text AS function, c.condefault,
               pg_catalog.obj_description(c.oid, 'pg_conversion') AS comment
        FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
        WHERE \(CatalogQueries.userSchema("n")) AND \(CatalogQueries.notExtensionMember("pg_conversion", "c.oid"))
        """

    static let dependencyKeys = CatalogQueries.userObjectKeys([("pg_cast", "cast"), ("pg_conversion", "conversion")])

    static func read(_ context: ReadContext) throws -> KindItems {
        var items = KindItems()
        let c = context.connection
        for row in try c.execute(casts).rows {
            let name = "CAST (\(try row.string("source")) AS \(try row.string("target")))"
            var sql = SQLText.header(name: name, type: "CAST", schema: nil, owner: nil)
            sql += "CREATE \(name) "
            switch try row.string("castmethod") {
            case "b": sql += "WITHOUT FUNCTION"
            case "i": sql += "WITH INOUT"
            default: sql += "WITH FUNCTION \(try row.string("function"))"
            }
            switch try row.string("castcontext") {
            case "a": sql += " AS ASSIGNMENT"
            case "i": sql += " AS IMPLICIT"
            default: break
            }
            sql += ";\n\n"
            sql += context.comment(name, try row.optionalString("comment"))
            items.pre.append(PreItem(key: "cast:\(try row.oid("oid"))", sortKey: SortKey(priority: 4, schema: "", name: name, tiebreak: "cast"),
                                     sql: sql + "\n"))
        }
        for row in try c.execute(conversions).rows {
            let qname = try row.string("qname"), own = try row.string("owner")
            var sql = SQLText.header(name: try row.string("name"), type: "CONVERSION", schema: try row.string("schema"), owner: own)
            sql += "CREATE \(try row.bool("condefault") ? "DEFAULT " : "")CONVERSION \(qname) FOR \(SQLText.literal(try row.string("source")))"
            sql += " TO \(SQLText.literal(try row.string("target"))) FROM \(try row.string("function"));\n\n"
            sql += context.owner("ALTER CONVERSION \(qname) OWNER TO \(own);")
            sql += context.comment("CONVERSION \(qname)", try row.optionalString("comment"))
            items.pre.append(PreItem(key: "conversion:\(try row.oid("oid"))",
                                     sortKey: SortKey(priority: 5, schema: try row.string("schema"), name: try row.string("name"), tiebreak: "conv"),
                                     sql: sql + "\n"))
        }
        return items
    }
}
