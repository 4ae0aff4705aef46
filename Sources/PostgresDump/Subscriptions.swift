import LibPQ

/// Subscriptions of the database, after the publications, as pg_dump writes them (dumpSubscription): not
/// connected (`connect = false`, so a restore neither reaches the publisher nor makes a slot, and the subscription
/// stays disabled), with the source's slot name and the options that differ from the defaults; streaming is always
/// written, since its default changed in 18.
///
/// Only a superuser may read the connection strings: for anyone else the subscriptions stay refused by name
/// (`CatalogQueries.unsupportedObjects`), where pg_dump leaves them out with a warning.
enum Subscriptions {
    static func query(serverVersion v: Int) -> String { """
        SELECT s.subname AS name, pg_catalog.quote_ident(s.subname) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(s.subowner)) AS owner, s.subconninfo, s.subslotname,
               pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_ident(p) FROM pg_catalog.unnest(s.subpublications) AS p), ', ') AS publications,
               \(v >= 140000 ? "s.subbinary" : "false") AS binary,
               \(v >= 160000 ? "s.substream::text" : v >= 140000 ? "CASE WHEN s.substream THEN 't' ELSE 'f' END" : "'f'") AS stream,
               \(v >= 150000 ? "s.subtwophasestate <> 'd'" : "false") AS twophase,
               \(v >= 150000 ? "s.subdisableonerr" : "false") AS disableonerr,
               \(v >= 160000 ? "s.subpasswordrequired" : "true") AS passwordrequired,
               \(v >= 160000 ? "s.subrunasowner" : "false") AS runasowner,
               \(v >= 160000 ? "s.suborigin" : "'any'") AS origin,
               \(v >= 170000 ? "s.subfailover" : "false") AS failover,
               s.subsynccommit, pg_catalog.obj_description(s.oid, 'pg_subscription') AS comment
        FROM pg_catalog.pg_subscription s
        WHERE s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
        """
    }

    /// The `WITH (…)` options of one subscription row, in pg_dump's order.
    static func options(_ row: Row) throws -> String {
        var options = ["connect = false", "slot_name = " + (try row.optionalString("subslotname").map(SQLText.literal) ?? "NONE")]
        if try row.bool("binary") { options.append("binary = true") }
        switch try row.string("stream") {
        case "t": options.append("streaming = on")
        case "p": options.append("streaming = parallel")
        default: options.append("streaming = off")
        }
        if try row.bool("twophase") { options.append("two_phase = on") }
        if try row.bool("disableonerr") { options.append("disable_on_error = true") }
        if try !row.bool("passwordrequired") { options.append("password_required = false") }
        if try row.bool("runasowner") { options.append("run_as_owner = true") }
        if try row.bool("failover") { options.append("failover = true") }
        let syncCommit = try row.string("subsynccommit")
        if syncCommit != "off" { options.append("synchronous_commit = \(syncCommit)") }
        let origin = try row.string("origin")
        if origin != "any" { options.append("origin = \(origin)") }
        return options.joined(separator: ", ")
    }

    static func read(_ context: ReadContext) throws -> KindItems {
        var items = KindItems()
        // Reading subconninfo is refused to anyone else, whatever the rows.
        let superuser = try context.connection.execute("SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER")
        guard try superuser.rows.first?.bool("rolsuper") == true else { return items }
        for row in try context.connection.execute(query(serverVersion: context.serverVersion)).rows {
            let name = try row.string("name"), qname = try row.string("qname"), own = try row.string("owner")
            var sql = SQLText.header(name: name, type: "SUBSCRIPTION", schema: nil, owner: own)
            sql += "CREATE SUBSCRIPTION \(qname) CONNECTION \(SQLText.literal(try row.string("subconninfo")))"
            sql += " PUBLICATION \(try row.string("publications")) WITH (\(try options(row)));\n\n"
            sql += context.owner("ALTER SUBSCRIPTION \(qname) OWNER TO \(own);")
            sql += context.comment("SUBSCRIPTION \(qname)", try row.optionalString("comment"))
            items.post.append((SortKey(priority: 13, schema: "", name: name, tiebreak: ""), sql + "\n"))
        }
        return items
    }
}
