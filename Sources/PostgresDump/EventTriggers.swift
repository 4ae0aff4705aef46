import LibPQ

/// Event triggers, written after the privileges (as pg_dump does: created earlier, they would fire on the
/// restore's own DDL), with their enabled state, owner and comment.
enum EventTriggers {
    static let query = """
        SELECT t.oid, t.evtname AS name, pg_catalog.quote_ident(t.evtname) AS qname, pg_catalog.quote_ident(t.evtevent) AS event,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(t.evtowner)) AS owner, t.evtenabled,
               pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_literal(g.tag) FROM pg_catalog.unnest(t.evttags) AS g(tag)), ', ') AS tags,
               t.evtfoid::pg_catalog.regproc::text AS function,
               pg_catalog.obj_description(t.oid, 'pg_event_trigger') AS comment
        FROM pg_catalog.pg_event_trigger t
        WHERE \(CatalogQueries.notExtensionMember("pg_event_trigger", "t.oid"))
        ORDER BY t.evtname
        """

    static func read(_ context: ReadContext) throws -> KindItems {
        var items = KindItems()
        for row in try context.connection.execute(query).rows {
            let name = try row.string("name"), qname = try row.string("qname"), own = try row.string("owner")
            var sql = SQLText.header(name: name, type: "EVENT TRIGGER", schema: nil, owner: own)
            sql += "CREATE EVENT TRIGGER \(qname) ON \(try row.string("event"))"
            let tags = try row.string("tags")
            if !tags.isEmpty { sql += "\n         WHEN TAG IN (\(tags))" }
            sql += "\n   EXECUTE FUNCTION \(try row.string("function"))();\n\n"
            switch try row.string("evtenabled") {
            case "D": sql += "ALTER EVENT TRIGGER \(qname) DISABLE;\n\n"
            case "A": sql += "ALTER EVENT TRIGGER \(qname) ENABLE ALWAYS;\n\n"
            case "R": sql += "ALTER EVENT TRIGGER \(qname) ENABLE REPLICA;\n\n"
            default: break
            }
            sql += context.owner("ALTER EVENT TRIGGER \(qname) OWNER TO \(own);")
            sql += context.comment("EVENT TRIGGER \(qname)", try row.optionalString("comment"))
            items.afterPrivileges.append((SortKey(priority: 0, schema: "", name: name, tiebreak: ""), sql + "\n"))
        }
        return items
    }
}
