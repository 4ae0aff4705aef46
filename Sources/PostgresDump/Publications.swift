import LibPQ

/// Publications, their tables (column lists and row filters from 15) and their schemas (`TABLES IN SCHEMA`,
/// from 15), after the tables' indexes, triggers and policies, as pg_dump writes them.
///
/// Only tables the dump writes are added to a publication (`relationArray`); the publish options are
/// written in full, so a newer server's defaults do not change them.
enum Publications {
    static func publications(serverVersion: Int) -> String { """
        SELECT p.oid, p.pubname AS name, pg_catalog.quote_ident(p.pubname) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(p.pubowner)) AS owner, p.puballtables,
               p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate,
               \(serverVersion >= 130000 ? "p.pubviaroot" : "false") AS pubviaroot,
               \(serverVersion >= 180000 ? "p.pubgencols::text" : "'n'") AS pubgencols,
               pg_catalog.obj_description(p.oid, 'pg_publication') AS comment
        FROM pg_catalog.pg_publication p
        ORDER BY p.pubname
        """
    }

    /// Each published table with its column list and row filter (15+), `$1` the dumped relations.
    static func tables(serverVersion: Int) -> String { """
        SELECT p.pubname AS publication, pg_catalog.quote_ident(p.pubname) AS qpublication,
               n.nspname AS schema, c.relname AS name, \(CatalogQueries.qualified("n", "c.relname")) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(p.pubowner)) AS owner,
               \(serverVersion >= 150000 ? """
               (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord)
                FROM pg_catalog.unnest(r.prattrs) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_catalog.pg_attribute a ON a.attrelid = r.prrelid AND a.attnum = k.attnum) AS columns,
               pg_catalog.pg_get_expr(r.prqual, r.prrelid) AS filter
               """ : "NULL::text AS columns, NULL::text AS filter")
        FROM pg_catalog.pg_publication_rel r JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid
        JOIN pg_catalog.pg_class c ON c.oid = r.prrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE r.prrelid = ANY($1::pg_catalog.oid[])
        """
    }

    static let schemas = """
        SELECT p.pubname AS publication, pg_catalog.quote_ident(p.pubname) AS qpublication, n.nspname AS schema,
               pg_catalog.quote_ident(n.nspname) AS qschema, pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(p.pubowner)) AS owner
        FROM pg_catalog.pg_publication_namespace pn JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
        JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
        WHERE \(CatalogQueries.userSchema("n"))
        """

    /// `publish = '…'` and the other options of a publication row, as pg_dump lists them.
    static func options(_ row: Row) throws -> String {
        var publish: [String] = []
        if try row.bool("pubinsert") { publish.append("insert") }
        if try row.bool("pubupdate") { publish.append("update") }
        if try row.bool("pubdelete") { publish.append("delete") }
        if try row.bool("pubtruncate") { publish.append("truncate") }
        var text = "publish = '\(publish.joined(separator: ", "))'"
        if try row.bool("pubviaroot") { text += ", publish_via_partition_root = true" }
        if try row.string("pubgencols") == "s" { text += ", publish_generated_columns = stored" }
        return text
    }

    static func read(_ context: ReadContext) throws -> KindItems {
        var items = KindItems()
        let c = context.connection
        for row in try c.execute(publications(serverVersion: context.serverVersion)).rows {
            let name = try row.string("name"), qname = try row.string("qname"), own = try row.string("owner")
            var sql = SQLText.header(name: name, type: "PUBLICATION", schema: nil, owner: own)
            sql += "CREATE PUBLICATION \(qname)\(try row.bool("puballtables") ? " FOR ALL TABLES" : "") WITH (\(try options(row)));\n\n"
            sql += context.owner("ALTER PUBLICATION \(qname) OWNER TO \(own);")
            sql += context.comment("PUBLICATION \(qname)", try row.optionalString("comment"))
            items.post.append((SortKey(priority: 10, schema: "", name: name, tiebreak: ""), sql + "\n"))
        }
        for row in try c.query(tables(serverVersion: context.serverVersion), [context.relationArray]).rows {
            let publication = try row.string("publication"), schema = try row.string("schema"), name = try row.string("name")
            var sql = SQLText.header(name: "\(publication) \(name)", type: "PUBLICATION TABLE", schema: schema, owner: try row.string("owner"))
            sql += "ALTER PUBLICATION \(try row.string("qpublication")) ADD TABLE ONLY \(try row.string("qname"))"
            if let columns = try row.optionalString("columns") { sql += " (\(columns))" }
            if let filter = try row.optionalString("filter") { sql += " WHERE (\(filter))" }
            items.post.append((SortKey(priority: 11, schema: schema, name: name, tiebreak: publication), sql + ";\n\n\n"))
        }
        guard context.serverVersion >= 150000 else { return items }
        for row in try c.execute(schemas).rows {
            let publication = try row.string("publication"), schema = try row.string("schema")
            var sql = SQLText.header(name: "\(publication) \(schema)", type: "PUBLICATION TABLES IN SCHEMA", schema: schema,
                                     owner: try row.string("owner"))
            sql += "ALTER PUBLICATION \(try row.string("qpublication")) ADD TABLES IN SCHEMA \(try row.string("qschema"));\n\n\n"
            items.post.append((SortKey(priority: 12, schema: schema, name: publication, tiebreak: ""), sql))
        }
        return items
    }
}
