import LibPQ

/// Procedural languages and transforms not made by an extension (nor built in), as pg_dump writes them
/// (dumpProcLang, dumpTransform): a language with its handler, inline handler and validator, owner, comment and
/// grants; a transform with its FROM SQL and TO SQL functions and comment.
enum Languages {
    static let languages = """
        SELECT l.oid, l.lanname AS name, pg_catalog.quote_ident(l.lanname) AS qname, l.lanpltrusted,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(l.lanowner)) AS owner,
               l.lanplcallfoid::pg_catalog.regproc::text AS handler,
               CASE WHEN l.laninline <> 0 THEN l.laninline::pg_catalog.regproc::text END AS inline,
               CASE WHEN l.lanvalidator <> 0 THEN l.lanvalidator::pg_catalog.regproc::text END AS validator,
               pg_catalog.obj_description(l.oid, 'pg_language') AS comment,
               \(CatalogQueries.aclStatements(acl: "l.lanacl", owner: "l.lanowner", kind: "LANGUAGE",
                                              target: "pg_catalog.quote_ident(l.lanname)")) AS acl
        FROM pg_catalog.pg_language l
        WHERE l.oid >= 16384 AND \(CatalogQueries.notImplicit("pg_language", "l.oid"))
        """

    static let transforms = """
        SELECT t.oid, pg_catalog.format_type(t.trftype, NULL) AS type, l.lanname AS language,
               pg_catalog.quote_ident(l.lanname) AS qlanguage,
               CASE WHEN t.trffromsql <> 0 THEN t.trffromsql::pg_catalog.regprocedure::text END AS fromsql,
               CASE WHEN t.trftosql <> 0 THEN t.trftosql::pg_catalog.regprocedure::text END AS tosql,
               pg_catalog.obj_description(t.oid, 'pg_transform') AS comment
        FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang
        WHERE \(CatalogQueries.notImplicit("pg_transform", "t.oid"))
        """

    /// Languages and transforms as `lang:<oid>` and `trf:<oid>` keys for the dependency map (a language after its
    /// handler, the functions written in it after the language, a transform after its type, language and functions).
    static let dependencyKeys = CatalogQueries.userObjectKeys([("pg_language", "lang"), ("pg_transform", "trf")])

    static func read(_ context: ReadContext) throws -> KindItems {
        var items = KindItems()
        let c = context.connection
        for row in try c.execute(languages).rows {
            let name = try row.string("name"), qname = try row.string("qname"), own = try row.string("owner")
            var sql = SQLText.header(name: name, type: "PROCEDURAL LANGUAGE", schema: nil, owner: own)
            sql += "CREATE \(try row.bool("lanpltrusted") ? "TRUSTED " : "")PROCEDURAL LANGUAGE \(qname) HANDLER \(try row.string("handler"))"
            if let inline = try row.optionalString("inline") { sql += " INLINE \(inline)" }
            if let validator = try row.optionalString("validator") { sql += " VALIDATOR \(validator)" }
            sql += ";\n\n"
            sql += context.owner("ALTER PROCEDURAL LANGUAGE \(qname) OWNER TO \(own);")
            sql += context.comment("LANGUAGE \(qname)", try row.optionalString("comment"))
            let key = SortKey(priority: 4, schema: "", name: name, tiebreak: "language")
            items.pre.append(PreItem(key: "lang:\(try row.oid("oid"))", sortKey: key, sql: sql + "\n"))
            items.privileges += context.privileges(key, name: "LANGUAGE \(name)", schema: nil, owner: own,
                                                   statements: try row.optionalString("acl"))
        }
        for row in try c.execute(transforms).rows {
            let type = try row.string("type"), language = try row.string("language")
            let target = "TRANSFORM FOR \(type) LANGUAGE \(try row.string("qlanguage"))"
            var sql = SQLText.header(name: "FOR \(type) LANGUAGE \(language)", type: "TRANSFORM", schema: nil, owner: nil)
            let functions = [try row.optionalString("fromsql").map { "FROM SQL WITH FUNCTION \($0)" },
                             try row.optionalString("tosql").map { "TO SQL WITH FUNCTION \($0)" }].compactMap { $0 }
            sql += "CREATE \(target) (\(functions.joined(separator: ", ")));\n\n"
            sql += context.comment(target, try row.optionalString("comment"))
            let key = SortKey(priority: 5, schema: "", name: type, tiebreak: "transform " + language)
            items.pre.append(PreItem(key: "trf:\(try row.oid("oid"))", sortKey: key, sql: sql + "\n"))
        }
        return items
    }
}
