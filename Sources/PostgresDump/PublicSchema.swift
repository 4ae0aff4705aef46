import LibPQ

/// The `public` schema as pg_dump treats it: initdb creates it, so it is never created by the script,
/// but its owner, comment and privileges are written where they differ from a new database's.
///
/// pg_dump (since 15, for every server version) compares the owner with `pg_database_owner`, the
/// comment with initdb's "standard public schema", and the privileges with `{owner=UC/owner,=U/owner}`
/// (the ACL a new database's public schema has after `ALTER SCHEMA public OWNER TO owner`), and writes
/// only the REVOKEs and GRANTs that turn that into the schema's ACL.
enum PublicSchema {
    /// Pre-data text (owner, comment) and privileges text; either is nil when nothing differs.
    struct Statements {
        var preData: String?
        var privileges: String?
    }

    /// The role initdb's public schema belongs to since PostgreSQL 15 (its OID is fixed).
    static let databaseOwnerRole = "6171"

    static let schemaQuery = """
        SELECT pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(n.nspowner)) AS owner,
               n.nspowner = \(databaseOwnerRole) AS default_owner,
               pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment
        FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public'
        """

    private static let grantee =
        "CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END AS grantee"

    /// The privileges to revoke (base entries the schema lacks) and to grant (entries the base lacks),
    /// one row per privilege, in ACL order.
    static let aclDifferenceQuery = """
        WITH s AS (
          SELECT COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner)) AS acl,
                 pg_catalog.acldefault('n', n.nspowner) || pg_catalog.makeaclitem(0, n.nspowner, 'USAGE', false) AS base
          FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public')
        SELECT 'revoke' AS op, b.ord, \(grantee), x.privilege_type, x.is_grantable
        FROM s, unnest(s.base) WITH ORDINALITY AS b(item, ord), pg_catalog.aclexplode(ARRAY[b.item]) AS x
        WHERE NOT (b.item = ANY (s.acl))
        UNION ALL
        SELECT 'grant', a.ord, \(grantee), x.privilege_type, x.is_grantable
        FROM s, unnest(s.acl) WITH ORDINALITY AS a(item, ord), pg_catalog.aclexplode(ARRAY[a.item]) AS x
        WHERE NOT (a.item = ANY (s.base))
        ORDER BY 1 DESC, 2
        """

    /// Reads the public schema; `includeOwners` as in `DumpOptions`.
    static func read(_ c: Connection, includeOwners: Bool) throws -> Statements {
        guard let row = try c.execute(schemaQuery).rows.first else { return Statements() }
        let owner = try row.string("owner")
        var pre = ""
        if includeOwners, !(try row.bool("default_owner")) {
            pre += "ALTER SCHEMA public OWNER TO \(owner);\n\n"
        }
        switch try row.optionalString("comment") {
        case "standard public schema": break
        // No comment: pg_dump drops initdb's (COMMENT … IS '' removes it).
        case nil: pre += "COMMENT ON SCHEMA public IS '';\n\n"
        case let text?: pre += "COMMENT ON SCHEMA public IS \(SQLText.literal(text));\n\n"
        }
        var entries: [AclEntry] = []
        for row in try c.execute(aclDifferenceQuery).rows {
            let op = try row.string("op"), ord = try row.string("ord")
            if entries.last?.op != op || entries.last?.ord != ord {
                entries.append(AclEntry(op: op, ord: ord, grantee: try row.string("grantee")))
            }
            entries[entries.count - 1].privileges.append((try row.string("privilege_type"), try row.bool("is_grantable")))
        }
        let acl = entries.flatMap { $0.statements }.joined(separator: "\n")
        return Statements(
            preData: pre.isEmpty ? nil : SQLText.header(name: "SCHEMA public", type: "COMMENT", schema: nil, owner: owner) + pre,
            privileges: acl.isEmpty ? nil : SQLText.header(name: "SCHEMA public", type: "ACL", schema: nil, owner: owner) + acl + "\n\n\n")
    }

    /// One aclitem's worth of privileges to revoke or grant.
    struct AclEntry {
        var op: String
        var ord: String
        var grantee: String
        var privileges: [(name: String, grantable: Bool)] = []

        /// pg_dump's spelling: `ALL` when the entry holds every schema privilege, else CREATE before USAGE.
        static func list(_ names: [String]) -> String {
            let ordered = ["CREATE", "USAGE"].filter(names.contains)
            return ordered.count == 2 ? "ALL" : ordered.joined(separator: ",")
        }

        var statements: [String] {
            if op == "revoke" {
                return ["REVOKE \(Self.list(privileges.map(\.name))) ON SCHEMA public FROM \(grantee);"]
            }
            var out: [String] = []
            let plain = privileges.filter { !$0.grantable }.map(\.name)
            let withOption = privileges.filter(\.grantable).map(\.name)
            if !plain.isEmpty { out.append("GRANT \(Self.list(plain)) ON SCHEMA public TO \(grantee);") }
            if !withOption.isEmpty { out.append("GRANT \(Self.list(withOption)) ON SCHEMA public TO \(grantee) WITH GRANT OPTION;") }
            return out
        }
    }
}
