import LibPQ

/// Foreign-data wrappers and foreign servers not made by an extension, with the user mappings of every server,
/// as pg_dump writes them (dumpForeignDataWrapper, dumpForeignServer, dumpUserMappings); foreign tables are
/// written with the other tables (Catalog), from the `server` and `ftoptions` of `CatalogQueries.relations`.
///
/// User mappings come from `pg_user_mappings`, as pg_dump reads them: their options (passwords among them) are
/// part of what the database holds, and visible to a superuser or the server's owner, as to pg_dump.
enum ForeignData {
    /// `options` (a `text[]` of `name=value`) as pg_dump lists generic options: `name 'value'`, by name, one a line.
    static func options(_ options: String) -> String {
        """
        pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_ident(o.option_name) || ' ' || pg_catalog.quote_literal(o.option_value)
                                         FROM pg_catalog.pg_options_to_table(\(options)) AS o ORDER BY o.option_name), E',\\n    ')
        """
    }

    /// ` OPTIONS (…)` as pg_dump appends it, or nothing for no options.
    static func clause(_ options: String?, separator: String = " ") -> String {
        guard let options, !options.isEmpty else { return "" }
        return "\(separator)OPTIONS (\n    \(options)\n)"
    }

    static let wrappers = """
        SELECT w.oid, w.fdwname AS name, pg_catalog.quote_ident(w.fdwname) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(w.fdwowner)) AS owner,
               CASE WHEN w.fdwhandler <> 0 THEN w.fdwhandler::pg_catalog.regproc::text END AS handler,
               CASE WHEN w.fdwvalidator <> 0 THEN w.fdwvalidator::pg_catalog.regproc::text END AS validator,
               \(options("w.fdwoptions")) AS options,
               pg_catalog.obj_description(w.oid, 'pg_foreign_data_wrapper') AS comment,
               \(CatalogQueries.aclStatements(acl: "w.fdwacl", owner: "w.fdwowner", kind: "FOREIGN DATA WRAPPER",
                                              target: "pg_catalog.quote_ident(w.fdwname)")) AS acl
        FROM pg_catalog.pg_foreign_data_wrapper w
        WHERE \(CatalogQueries.notExtensionMember("pg_foreign_data_wrapper", "w.oid"))
        """

    static let servers = """
        SELECT s.oid, s.srvname AS name, pg_catalog.quote_ident(s.srvname) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(s.srvowner)) AS owner, pg_catalog.quote_ident(w.fdwname) AS wrapper,
               s.srvtype, s.srvversion, \(options("s.srvoptions")) AS options,
               pg_catalog.obj_description(s.oid, 'pg_foreign_server') AS comment,
               \(CatalogQueries.aclStatements(acl: "s.srvacl", owner: "s.srvowner", kind: "FOREIGN SERVER",
                                              target: "pg_catalog.quote_ident(s.srvname)")) AS acl
        FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
        WHERE \(CatalogQueries.notExtensionMember("pg_foreign_server", "s.oid"))
        """

    /// User mappings of the servers above, by server and user name (`public` for PUBLIC), as pg_dump orders them.
    static let userMappings = """
        SELECT u.srvid, u.usename, pg_catalog.quote_ident(u.usename) AS quser, \(options("u.umoptions")) AS options
        FROM pg_catalog.pg_user_mappings u
        WHERE \(CatalogQueries.notExtensionMember("pg_foreign_server", "u.srvid"))
        ORDER BY u.srvid, u.usename
        """

    /// Wrappers and servers as `fdw:<oid>` and `srv:<oid>` keys for the dependency map (a server depends on its
    /// wrapper, a foreign table on its server, a wrapper on its handler and validator).
    static let dependencyKeys = CatalogQueries.userObjectKeys([("pg_foreign_data_wrapper", "fdw"), ("pg_foreign_server", "srv")])

    static func read(_ context: ReadContext) throws -> KindItems {
        var items = KindItems()
        let c = context.connection
        for row in try c.execute(wrappers).rows {
            let name = try row.string("name"), qname = try row.string("qname"), own = try row.string("owner")
            var sql = SQLText.header(name: name, type: "FOREIGN DATA WRAPPER", schema: nil, owner: own)
            sql += "CREATE FOREIGN DATA WRAPPER \(qname)"
            if let handler = try row.optionalString("handler") { sql += " HANDLER \(handler)" }
            if let validator = try row.optionalString("validator") { sql += " VALIDATOR \(validator)" }
            sql += clause(try row.optionalString("options")) + ";\n\n"
            sql += context.owner("ALTER FOREIGN DATA WRAPPER \(qname) OWNER TO \(own);")
            sql += context.comment("FOREIGN DATA WRAPPER \(qname)", try row.optionalString("comment"))
            let key = SortKey(priority: 5, schema: "", name: name, tiebreak: "fdw")
            items.pre.append(PreItem(key: "fdw:\(try row.oid("oid"))", sortKey: key, sql: sql + "\n"))
            items.privileges += context.privileges(key, name: "FOREIGN DATA WRAPPER \(name)", schema: nil, owner: own,
                                                   statements: try row.optionalString("acl"))
        }
        var mappings: [UInt32: [(user: String, quser: String, options: String?)]] = [:]
        for row in try c.execute(userMappings).rows {
            mappings[try row.oid("srvid"), default: []].append((try row.string("usename"), try row.string("quser"),
                                                                try row.optionalString("options")))
        }
        for row in try c.execute(servers).rows {
            let oid = try row.oid("oid")
            let name = try row.string("name"), qname = try row.string("qname"), own = try row.string("owner")
            var sql = SQLText.header(name: name, type: "SERVER", schema: nil, owner: own)
            sql += "CREATE SERVER \(qname)"
            if let type = try row.optionalString("srvtype"), !type.isEmpty { sql += " TYPE \(SQLText.literal(type))" }
            if let version = try row.optionalString("srvversion"), !version.isEmpty { sql += " VERSION \(SQLText.literal(version))" }
            sql += " FOREIGN DATA WRAPPER \(try row.string("wrapper"))" + clause(try row.optionalString("options")) + ";\n\n"
            sql += context.owner("ALTER SERVER \(qname) OWNER TO \(own);")
            sql += context.comment("SERVER \(qname)", try row.optionalString("comment")) + "\n"
            // pg_dump writes each mapping as its own entry, right after its server's.
            for mapping in mappings[oid] ?? [] {
                sql += SQLText.header(name: "USER MAPPING \(mapping.user) SERVER \(name)", type: "USER MAPPING", schema: nil, owner: own)
                sql += "CREATE USER MAPPING FOR \(mapping.quser) SERVER \(qname)\(clause(mapping.options));\n\n\n"
            }
            let key = SortKey(priority: 5, schema: "", name: name, tiebreak: "srv")
            items.pre.append(PreItem(key: "srv:\(oid)", sortKey: key, sql: sql))
            items.privileges += context.privileges(key, name: "FOREIGN SERVER \(name)", schema: nil, owner: own,
                                                   statements: try row.optionalString("acl"))
        }
        return items
    }
}
