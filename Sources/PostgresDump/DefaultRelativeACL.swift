/// ACLs written as pg_dump writes them since 16: only how they differ from the object's default.
///
/// The default (`acldefault`) grows between versions: PostgreSQL 17 gave table owners MAINTAIN. A dump
/// that revoked everything and granted back the source server's full list took MAINTAIN away from every
/// owner on a newer server; one that leaves default entries alone lets the newer default apply, as a
/// pg_dump script does.
extension CatalogQueries {
    /// The `acldefault` object-type letter for a GRANT target kind (TABLE, SEQUENCE, FUNCTION, …).
    ///
    /// `kind` may be an SQL fragment choosing between two words (FUNCTION or PROCEDURE, DOMAIN or TYPE).
    static func aclDefaultType(kind: String) -> String {
        if kind.contains("FUNCTION") || kind.contains("PROCEDURE") { return "f" }
        if kind.contains("DOMAIN") || kind.contains("TYPE") { return "T" }
        switch kind {
        case "SCHEMA": return "n"
        case "SEQUENCE": return "s"
        case "LANGUAGE": return "l"
        case "FOREIGN DATA WRAPPER": return "F"
        case "FOREIGN SERVER": return "S"
        case "LARGE OBJECT": return "L"
        default: return "r"
        }
    }

    /// SQL computing the REVOKE/GRANT statements that turn `owner`'s default ACL into `acl` (NULL when
    /// `acl` is NULL, the default, or the default's entries in another order).
    ///
    /// Default entries missing from `acl` are revoked from their grantee; entries of `acl` that are not
    /// default ones are granted in array order (plain privileges before those WITH GRANT OPTION), so
    /// grants that depend on an earlier grant option come after it.
    ///
    /// `base` replaces the default when given (the initial privileges of an object initdb or an extension made).
    static func aclChangesFromDefault(acl: String, owner: String, kind: String, target: String, base: String? = nil) -> String {
        let base = base ?? "pg_catalog.acldefault('\(aclDefaultType(kind: kind))', \(owner))"
        let grantee = { (g: String) in
            "CASE WHEN \(g) = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(\(g))) END"
        }
        return """
            CASE WHEN \(acl) IS NULL THEN NULL ELSE NULLIF(pg_catalog.concat_ws(E'\\n',
              (SELECT pg_catalog.string_agg('REVOKE ALL ON \(kind) ' || \(target) || ' FROM ' || \(grantee("r.grantee")) || ';',
                                            E'\\n' ORDER BY r.first)
               FROM (SELECT x.grantee, pg_catalog.min(d.ord) AS first
                     FROM pg_catalog.unnest(\(base)) WITH ORDINALITY AS d(item, ord)
                     CROSS JOIN LATERAL pg_catalog.aclexplode(ARRAY[d.item]) AS x
                     WHERE NOT (d.item = ANY(\(acl)))
                     GROUP BY x.grantee) r),
              (SELECT pg_catalog.string_agg('GRANT ' || g.privileges || ' ON \(kind) ' || \(target) || ' TO ' || \(grantee("g.grantee")) ||
                                            CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END || ';',
                                            E'\\n' ORDER BY g.ord, g.is_grantable)
               FROM (SELECT a.ord, x.grantee, x.is_grantable,
                            pg_catalog.string_agg(x.privilege_type, ',' ORDER BY x.pord) AS privileges
                     FROM pg_catalog.unnest(\(acl)) WITH ORDINALITY AS a(item, ord)
                     CROSS JOIN LATERAL pg_catalog.aclexplode(ARRAY[a.item]) WITH ORDINALITY
                          AS x(grantor, grantee, privilege_type, is_grantable, pord)
                     WHERE NOT (a.item = ANY(\(base)))
                     GROUP BY a.ord, x.grantee, x.is_grantable) g)), '')
            END
            """
    }

    /// The built-in default an `ALTER DEFAULT PRIVILEGES` entry (`d`, a pg_default_acl row) is written against:
    /// the role's default ACL for a global entry, nothing for a per-schema one.
    static let defaultACLBase = """
        CASE WHEN d.defaclnamespace = 0
             THEN pg_catalog.acldefault(CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype END, d.defaclrole)
             ELSE '{}'::pg_catalog.aclitem[] END
        """
}
