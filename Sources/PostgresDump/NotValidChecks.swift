import LibPQ

extension CatalogQueries {
    /// CHECK constraints added NOT VALID: the dumped tables' own, and those of user domains.
    static let notValidChecks = """
        SELECT k.conrelid, k.conname AS name, pg_catalog.quote_ident(k.conname) AS qname,
               pg_catalog.pg_get_constraintdef(k.oid) AS def, pg_catalog.obj_description(k.oid, 'pg_constraint') AS comment,
               n.nspname AS domain_schema, t.typname AS domain_name, \(qualified("n", "t.typname")) AS domain_qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(t.typowner)) AS domain_owner
        FROM pg_catalog.pg_constraint k
        LEFT JOIN pg_catalog.pg_type t ON t.oid = k.contypid
        LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE k.contype = 'c' AND NOT k.convalidated
          AND ((k.conrelid = ANY($1::pg_catalog.oid[]) AND k.conislocal)
               OR (k.contypid <> 0 AND \(userSchema("n")) AND \(notExtensionMember("pg_type", "t.oid"))))
        ORDER BY k.conname
        """
}

/// CHECK constraints added NOT VALID, written as pg_dump writes them: after the data, still NOT VALID.
///
/// Inside CREATE DOMAIN `NOT VALID` is a syntax error, and a table's constraint added before its data
/// makes COPY check the old rows it exempts, so either way the restore failed.
enum NotValidChecks {
    /// Post-data items (ALTER TABLE/DOMAIN … ADD CONSTRAINT … NOT VALID and the comment) for the dumped
    /// tables, which `relation` names, and for the user domains.
    static func read(_ c: Connection, relationArray: String,
                     relation: (UInt32) -> (schema: String, name: String, qname: String, owner: String)?) throws -> [(SortKey, String)] {
        var items: [(SortKey, String)] = []
        for row in try c.query(CatalogQueries.notValidChecks, [relationArray]).rows {
            let name = try row.string("name"), qname = try row.string("qname"), def = try row.string("def")
            let comment = try row.optionalString("comment")
            let target: (word: String, qname: String, schema: String, objectName: String, owner: String, type: String)
            if let domain = try row.optionalString("domain_qname") {
                target = ("DOMAIN", domain, try row.string("domain_schema"), try row.string("domain_name"),
                          try row.string("domain_owner"), "CHECK CONSTRAINT")
            } else if let rel = relation(try row.oid("conrelid")) {
                target = ("TABLE", rel.qname, rel.schema, rel.name, rel.owner, "CHECK CONSTRAINT")
            } else {
                continue
            }
            var sql = SQLText.header(name: "\(target.objectName) \(name)", type: target.type, schema: target.schema, owner: target.owner)
            sql += "ALTER \(target.word) \(target.qname)\n    ADD CONSTRAINT \(qname) \(def);\n\n"
            if let comment {
                sql += "COMMENT ON CONSTRAINT \(qname) ON \(target.word == "DOMAIN" ? "DOMAIN " : "")\(target.qname) IS \(SQLText.literal(comment));\n\n"
            }
            items.append((SortKey(priority: 1, schema: target.schema, name: target.objectName, tiebreak: name), sql + "\n"))
        }
        return items
    }
}
