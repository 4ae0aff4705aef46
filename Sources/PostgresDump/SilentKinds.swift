/// Refusals for what pg_dump writes and this dump neither recreates nor used to mention: column privileges
/// changed on tables that pg_dump dumps only for their privileges (pg_catalog's, extensions' members), and security
/// labels (written only where a label provider such as sepgsql is loaded).
extension CatalogQueries {
    /// A join giving `ip.initprivs`, the object's initial privileges (from initdb or CREATE EXTENSION), or NULL.
    static func initialPrivileges(_ catalog: String, _ oid: String, subid: String = "0") -> String {
        """
        LEFT JOIN pg_catalog.pg_init_privs ip
          ON ip.objoid = \(oid) AND ip.classoid = 'pg_catalog.\(catalog)'::pg_catalog.regclass AND ip.objsubid = \(subid)
        """
    }

    /// Whether `acl` differs from `ip.initprivs` (`initialPrivileges`), else the built-in default, compared as
    /// sets, as pg_dump decides whether to write GRANT/REVOKE for an object it does not create.
    ///
    /// `type` is an SQL expression giving the `acldefault` object-type letter; `column` compares a column's
    /// privileges, which have no built-in default.
    static func aclChangedFromInitial(acl: String, owner: String, type: String, column: Bool = false) -> String {
        let fallback = column ? "'{}'::pg_catalog.aclitem[]" : "pg_catalog.acldefault(\(type), \(owner))"
        let sorted = { (items: String) in
            "ARRAY(SELECT i::text FROM pg_catalog.unnest(COALESCE(\(items), \(fallback))) AS i ORDER BY 1)"
        }
        // The cheap test first: most objects have neither privileges of their own nor initial ones, or the same.
        return "(\(acl) IS DISTINCT FROM ip.initprivs AND \(sorted(acl)) <> \(sorted("ip.initprivs")))"
    }

    /// Objects that only an extension or initdb makes, so vaultops writes nothing for them but their privileges.
    static func builtInOrMember(_ catalog: String, _ oid: String, namespace: String? = nil) -> String {
        let member = "EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '\(catalog)'::pg_catalog.regclass AND e.objid = \(oid) AND e.deptype = 'e')"
        guard let namespace else { return "(\(oid) < 16384 OR \(member))" }
        return "(\(namespace) = 'pg_catalog'::pg_catalog.regnamespace OR \(member))"
    }

    /// Rows (kind, name) for `unsupportedObjects`: the changed column privileges and the security labels.
    static let silentKinds = """
        \(changedPrivileges)
        UNION ALL
        \(securityLabels)
        """

    /// Security labels on the database's own objects (`SECURITY LABEL FOR provider ON … IS …`), named by provider and object.
    static let securityLabels = """
        SELECT 'security label', pg_catalog.quote_ident(l.provider) || ' on ' || pg_catalog.pg_describe_object(l.classoid, l.objoid, l.objsubid)
        FROM pg_catalog.pg_seclabel l WHERE l.objoid >= 16384
        """

    /// Column privileges changed on pg_catalog's and extensions' tables (their other privileges are dumped by
    /// InitialPrivileges).
    static let changedPrivileges = """
        SELECT 'privileges on column', \(qualified("n", "c.relname")) || '.' || pg_catalog.quote_ident(a.attname)
        FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \(initialPrivileges("pg_class", "c.oid", subid: "a.attnum"))
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
          AND \(builtInOrMember("pg_class", "c.oid", namespace: "c.relnamespace"))
          AND \(aclChangedFromInitial(acl: "a.attacl", owner: "c.relowner", type: "'r'", column: true))
        """
}
