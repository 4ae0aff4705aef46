import LibPQ

/// Text search parsers, templates, dictionaries and configurations (with their token mappings), as pg_dump
/// writes them.
///
/// Functions and dictionaries are named through `regproc`/`regdictionary` with an empty search path, so
/// built-in ones stay unqualified (as in pg_dump's output); templates and parsers are always qualified.
/// Parsers and templates have no owner; dictionaries and configurations do. None has privileges.
enum TextSearch {
    static let parsers = """
        SELECT p.oid, n.nspname AS schema, p.prsname AS name, \(CatalogQueries.qualified("n", "p.prsname")) AS qname,
               p.prsstart::pg_catalog.regproc::text AS start, p.prstoken::pg_catalog.regproc::text AS gettoken,
               p.prsend::pg_catalog.regproc::text AS "end", p.prslextype::pg_catalog.regproc::text AS lextypes,
               CASE WHEN p.prsheadline <> 0 THEN p.prsheadline::pg_catalog.regproc::text END AS headline,
               pg_catalog.obj_description(p.oid, 'pg_ts_parser') AS comment
        FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
        WHERE \(CatalogQueries.userSchema("n")) AND \(CatalogQueries.notExtensionMember("pg_ts_parser", "p.oid"))
        """

    static let templates = """
        SELECT t.oid, n.nspname AS schema, t.tmplname AS name, \(CatalogQueries.qualified("n", "t.tmplname")) AS qname,
               CASE WHEN t.tmplinit <> 0 THEN t.tmplinit::pg_catalog.regproc::text END AS init,
               t.tmpllexize::pg_catalog.regproc::text AS lexize,
               pg_catalog.obj_description(t.oid, 'pg_ts_template') AS comment
        FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
        WHERE \(CatalogQueries.userSchema("n")) AND \(CatalogQueries.notExtensionMember("pg_ts_template", "t.oid"))
        """

    static let dictionaries = """
        SELECT d.oid, n.nspname AS schema, d.dictname AS name, \(CatalogQueries.qualified("n", "d.dictname")) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(d.dictowner)) AS owner,
               (SELECT \(CatalogQueries.qualified("tn", "t.tmplname")) FROM pg_catalog.pg_ts_template t
                JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace WHERE t.oid = d.dicttemplate) AS template,
               d.dictinitoption AS options,
               pg_catalog.obj_description(d.oid, 'pg_ts_dict') AS comment
        FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
        WHERE \(CatalogQueries.userSchema("n")) AND \(CatalogQueries.notExtensionMember("pg_ts_dict", "d.oid"))
        """

    /// Configurations with their mappings, one `ADD MAPPING` per token type (in token order, dictionaries in
    /// mapping order), as pg_dump writes them.
    static let configurations = """
        SELECT c.oid, n.nspname AS schema, c.cfgname AS name, \(CatalogQueries.qualified("n", "c.cfgname")) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.cfgowner)) AS owner,
               (SELECT \(CatalogQueries.qualified("pn", "p.prsname")) FROM pg_catalog.pg_ts_parser p
                JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace WHERE p.oid = c.cfgparser) AS parser,
               (SELECT pg_catalog.string_agg(E'ALTER TEXT SEARCH CONFIGURATION ' || \(CatalogQueries.qualified("n", "c.cfgname")) ||
                                             E'\\n    ADD MAPPING FOR ' || pg_catalog.quote_ident(m.alias) || ' WITH ' || m.dicts || E';\\n',
                                             E'\\n' ORDER BY m.maptokentype)
                FROM (SELECT cm.maptokentype, tt.alias,
                             pg_catalog.string_agg(cm.mapdict::pg_catalog.regdictionary::text, ', ' ORDER BY cm.mapseqno) AS dicts
                      FROM pg_catalog.pg_ts_config_map cm
                      JOIN pg_catalog.ts_token_type(c.cfgparser) tt ON tt.tokid = cm.maptokentype
                      WHERE cm.mapcfg = c.oid
                      GROUP BY cm.maptokentype, tt.alias) m) AS mappings,
               pg_catalog.obj_description(c.oid, 'pg_ts_config') AS comment
        FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
        WHERE \(CatalogQueries.userSchema("n")) AND \(CatalogQueries.notExtensionMember("pg_ts_config", "c.oid"))
        """

    static let dependencyKeys = CatalogQueries.userObjectKeys([
        ("pg_ts_parser", "tsparser"), ("pg_ts_template", "tstemplate"), ("pg_ts_dict", "tsdict"), ("pg_ts_config", "tsconfig"),
    ])

    /// The four kinds, each a pre-data item ordered by its dependencies (a configuration after its parser
    /// and dictionaries, a dictionary after its template).
    static func read(_ context: ReadContext) throws -> KindItems {
        var items = KindItems()
        let c = context.connection
        for row in try c.execute(parsers).rows {
            let qname = try row.string("qname")
            var body = ["START = \(try row.string("start"))", "GETTOKEN = \(try row.string("gettoken"))", "END = \(try row.string("end"))"]
            if let headline = try row.optionalString("headline") { body.append("HEADLINE = \(headline)") }
            body.append("LEXTYPES = \(try row.string("lextypes"))")
            var sql = SQLText.header(name: try row.string("name"), type: "TEXT SEARCH PARSER", schema: try row.string("schema"), owner: nil)
            sql += "CREATE TEXT SEARCH PARSER \(qname) (\n    \(body.joined(separator: ",\n    ")) );\n\n"
            sql += context.comment("TEXT SEARCH PARSER \(qname)", try row.optionalString("comment"))
            items.pre.append(try PreItem.schemaObject(row, key: "tsparser", order: "ts1", sql: sql))
        }
        for row in try c.execute(templates).rows {
            let qname = try row.string("qname")
            var body: [String] = []
            if let initFunction = try row.optionalString("init") { body.append("INIT = \(initFunction)") }
            body.append("LEXIZE = \(try row.string("lexize"))")
            var sql = SQLText.header(name: try row.string("name"), type: "TEXT SEARCH TEMPLATE", schema: try row.string("schema"), owner: nil)
            sql += "CREATE TEXT SEARCH TEMPLATE \(qname) (\n    \(body.joined(separator: ",\n    ")) );\n\n"
            sql += context.comment("TEXT SEARCH TEMPLATE \(qname)", try row.optionalString("comment"))
            items.pre.append(try PreItem.schemaObject(row, key: "tstemplate", order: "ts2", sql: sql))
        }
        for row in try c.execute(dictionaries).rows {
            let qname = try row.string("qname"), own = try row.string("owner")
            var sql = SQLText.header(name: try row.string("name"), type: "TEXT SEARCH DICTIONARY", schema: try row.string("schema"), owner: own)
            sql += "CREATE TEXT SEARCH DICTIONARY \(qname) (\n    TEMPLATE = \(try row.string("template"))"
            if let options = try row.optionalString("options") { sql += ",\n    \(options)" }
            sql += " );\n\n"
            sql += context.owner("ALTER TEXT SEARCH DICTIONARY \(qname) OWNER TO \(own);")
            sql += context.comment("TEXT SEARCH DICTIONARY \(qname)", try row.optionalString("comment"))
            items.pre.append(try PreItem.schemaObject(row, key: "tsdict", order: "ts3", sql: sql))
        }
        for row in try c.execute(configurations).rows {
            let qname = try row.string("qname"), own = try row.string("owner")
            var sql = SQLText.header(name: try row.string("name"), type: "TEXT SEARCH CONFIGURATION", schema: try row.string("schema"), owner: own)
            sql += "CREATE TEXT SEARCH CONFIGURATION \(qname) (\n    PARSER = \(try row.string("parser")) );\n\n"
            if let mappings = try row.optionalString("mappings") { sql += mappings + "\n" }
            sql += context.owner("ALTER TEXT SEARCH CONFIGURATION \(qname) OWNER TO \(own);")
            sql += context.comment("TEXT SEARCH CONFIGURATION \(qname)", try row.optionalString("comment"))
            items.pre.append(try PreItem.schemaObject(row, key: "tsconfig", order: "ts4", sql: sql))
        }
        return items
    }
}
