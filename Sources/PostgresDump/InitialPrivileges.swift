/// Privileges changed on objects the dump does not create because initdb or an extension makes them: the
/// built-in languages, pg_catalog and its functions, types, tables and sequences, and extensions' members.
///
/// pg_dump writes GRANT/REVOKE for these where the privileges differ from the initial ones (pg_init_privs),
/// e.g. `REVOKE ALL ON LANGUAGE plpgsql FROM PUBLIC` or `GRANT ALL ON FUNCTION pg_catalog.pg_ls_dir(text) TO app`;
/// so does this dump, relative to the same initial privileges. Column privileges are still refused (SilentKinds).
enum InitialPrivileges {
    /// One changed object: `kind` (the GRANT target word), the header's name and schema, the statements.
    static func part(kind: String, name: String, schema: String, owner: String, acl: String, type: String, from: String,
                     catalog: String, oid: String, filter: String) -> String {
        let initial = "COALESCE(ip.initprivs, pg_catalog.acldefault(\(type), \(owner)))"
        let statements = CatalogQueries.aclChangesFromDefault(acl: "COALESCE(\(acl), pg_catalog.acldefault(\(type), \(owner)))",
                                                              owner: owner, kind: kind, target: name, base: initial)
        return """
            SELECT \(name) AS name, \(schema) AS schema,
                   pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(\(owner))) AS owner, \(statements) AS statements
            FROM \(from) \(CatalogQueries.initialPrivileges(catalog, oid))
            WHERE \(filter) AND \(CatalogQueries.aclChangedFromInitial(acl: acl, owner: owner, type: type))
            """
    }

    static let query = [
        part(kind: "LANGUAGE", name: "pg_catalog.quote_ident(l.lanname)", schema: "NULL", owner: "l.lanowner", acl: "l.lanacl",
             type: "'l'", from: "pg_catalog.pg_language l", catalog: "pg_language", oid: "l.oid",
             filter: CatalogQueries.builtInOrMember("pg_language", "l.oid")),
        part(kind: "FOREIGN DATA WRAPPER", name: "pg_catalog.quote_ident(w.fdwname)", schema: "NULL", owner: "w.fdwowner",
             acl: "w.fdwacl", type: "'F'", from: "pg_catalog.pg_foreign_data_wrapper w", catalog: "pg_foreign_data_wrapper",
             oid: "w.oid", filter: CatalogQueries.builtInOrMember("pg_foreign_data_wrapper", "w.oid")),
        part(kind: "SCHEMA", name: "pg_catalog.quote_ident(n.nspname)", schema: "NULL", owner: "n.nspowner", acl: "n.nspacl",
             type: "'n'", from: "pg_catalog.pg_namespace n", catalog: "pg_namespace", oid: "n.oid",
             filter: "(n.nspname = 'pg_catalog' OR \(CatalogQueries.builtInOrMember("pg_namespace", "n.oid"))) "
                 + "AND n.nspname NOT IN ('public', 'information_schema')"),
        part(kind: "' || CASE WHEN p.prokind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END || '",
             name: CatalogQueries.qualified("n", "p.proname") + " || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'",
             schema: "n.nspname", owner: "p.proowner", acl: "p.proacl", type: "'f'",
             from: "pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace", catalog: "pg_proc", oid: "p.oid",
             filter: CatalogQueries.builtInOrMember("pg_proc", "p.oid", namespace: "p.pronamespace")),
        part(kind: "' || CASE WHEN t.typtype = 'd' THEN 'DOMAIN' ELSE 'TYPE' END || '", name: CatalogQueries.qualified("n", "t.typname"),
             schema: "n.nspname", owner: "t.typowner", acl: "t.typacl", type: "'T'",
             from: "pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace", catalog: "pg_type", oid: "t.oid",
             filter: CatalogQueries.builtInOrMember("pg_type", "t.oid", namespace: "t.typnamespace")),
        part(kind: "' || CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END || '", name: CatalogQueries.qualified("n", "c.relname"),
             schema: "n.nspname", owner: "c.relowner", acl: "c.relacl", type: "CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\"",
             from: "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace", catalog: "pg_class", oid: "c.oid",
             filter: "c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND "
                 + CatalogQueries.builtInOrMember("pg_class", "c.oid", namespace: "c.relnamespace")),
    ].joined(separator: "\nUNION ALL\n") + "\nORDER BY 2 NULLS FIRST, 1"

    /// The privileges entries; they sort before the dumped objects' own (priority 0), as pg_dump's come first.
    static func read(_ context: ReadContext) throws -> KindItems {
        var items = KindItems()
        for row in try context.connection.execute(query).rows {
            let name = try row.string("name"), schema = try row.optionalString("schema")
            items.privileges += context.privileges(SortKey(priority: 0, schema: schema ?? "", name: name, tiebreak: ""),
                                                   name: name, schema: schema, owner: try row.string("owner"),
                                                   statements: try row.optionalString("statements"))
        }
        return items
    }
}
