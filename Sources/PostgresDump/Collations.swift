import LibPQ

/// Collations of the database's own schemas (`CREATE COLLATION`), written as pg_dump writes them.
///
/// pg_dump's rules: the provider by name; `deterministic = false` when it is not; a builtin or ICU
/// collation by its locale (and ICU rules from 16); a libc one by `locale` when its LC_COLLATE and
/// LC_CTYPE agree, else by both. The version is left out (the restoring server records its own).
enum Collations {
    /// The locale columns of pg_collation by server version: 15–16 keep the ICU locale in colliculocale,
    /// 17 renamed it colllocale (builtin collations use it too); rules came in 16.
    static func query(serverVersion: Int) -> String {
        let locale = serverVersion >= 170000 ? "o.colllocale" : serverVersion >= 150000 ? "o.colliculocale"
            : "CASE WHEN o.collprovider = 'i' THEN o.collcollate END"
        let rules = serverVersion >= 160000 ? "o.collicurules" : "NULL::text"
        return """
            SELECT o.oid, n.nspname AS schema, o.collname AS name, \(CatalogQueries.qualified("n", "o.collname")) AS qname,
                   pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(o.collowner)) AS owner,
                   o.collprovider AS provider, o.collisdeterministic AS deterministic,
                   o.collcollate AS lc_collate, o.collctype AS lc_ctype, \(locale) AS locale, \(rules) AS rules,
                   pg_catalog.obj_description(o.oid, 'pg_collation') AS comment
            FROM pg_catalog.pg_collation o JOIN pg_catalog.pg_namespace n ON n.oid = o.collnamespace
            WHERE \(CatalogQueries.userSchema("n")) AND \(CatalogQueries.notExtensionMember("pg_collation", "o.oid"))
            ORDER BY n.nspname, o.collname
            """
    }

    static let dependencyKeys = CatalogQueries.userObjectKeys([("pg_collation", "coll")])

    /// The parenthesized options of `CREATE COLLATION` for one pg_collation row (pure, for the table-driven test).
    static func options(provider: String, deterministic: Bool, lcCollate: String?, lcCtype: String?,
                        locale: String?, rules: String?) throws -> String {
        var text = "provider = "
        switch provider {
        case "b": text += "builtin"
        case "c": text += "libc"
        case "i": text += "icu"
        default:
            throw PostgresError(kind: .usage, message: "a collation has provider '\(provider)', which no CREATE COLLATION can recreate",
                                context: "reading collations")
        }
        if !deterministic { text += ", deterministic = false" }
        switch provider {
        case "c":
            if let lcCollate, lcCollate == lcCtype {
                text += ", locale = \(SQLText.literal(lcCollate))"
            } else {
                text += ", lc_collate = \(SQLText.literal(lcCollate ?? "")), lc_ctype = \(SQLText.literal(lcCtype ?? ""))"
            }
        default:
            text += ", locale = \(SQLText.literal(locale ?? ""))"
            if let rules { text += ", rules = \(SQLText.literal(rules))" }
        }
        return text
    }

    /// One pre-data item per collation (owner and comment with it; collations have no privileges).
    static func read(_ context: ReadContext) throws -> KindItems {
        var items = KindItems()
        for row in try context.connection.execute(query(serverVersion: context.serverVersion)).rows {
            let schema = try row.string("schema"), name = try row.string("name"), qname = try row.string("qname")
            let own = try row.string("owner")
            let options = try Self.options(provider: row.string("provider"), deterministic: row.bool("deterministic"),
                                           lcCollate: row.optionalString("lc_collate"), lcCtype: row.optionalString("lc_ctype"),
                                           locale: row.optionalString("locale"), rules: row.optionalString("rules"))
            var sql = SQLText.header(name: name, type: "COLLATION", schema: schema, owner: own)
            sql += "CREATE COLLATION \(qname) (\(options));\n\n"
            sql += context.owner("ALTER COLLATION \(qname) OWNER TO \(own);")
            sql += context.comment("COLLATION \(qname)", try row.optionalString("comment"))
            items.pre.append(PreItem(key: "coll:\(try row.oid("oid"))",
                                     sortKey: SortKey(priority: 2, schema: schema, name: name, tiebreak: "collation"), sql: sql + "\n"))
        }
        return items
    }
}
