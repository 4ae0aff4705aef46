/// Refusals for what pg_dump writes and this dump neither recreates nor used to mention: procedural languages,
/// foreign-data wrappers and transforms not made by an extension, and column privileges changed on tables
/// that pg_dump dumps only for their privileges (pg_catalog's, extensions' members).
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

    /// Rows (kind, name) for `unsupportedObjects`: the kinds below, then the changed privileges.
    static let silentKinds = """
        SELECT 'procedural language', pg_catalog.quote_ident(l.lanname) FROM pg_catalog.pg_language l
        WHERE l.oid >= 16384 AND \(notImplicit("pg_language", "l.oid"))
        UNION ALL
        SELECT 'foreign-data wrapper', pg_catalog.quote_ident(w.fdwname) FROM pg_catalog.pg_foreign_data_wrapper w
        WHERE \(notImplicit("pg_foreign_data_wrapper", "w.oid"))
        UNION ALL
        SELECT 'transform', pg_catalog.format_type(t.trftype, NULL) || ' language ' || pg_catalog.quote_ident(l.lanname)
        FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang
        WHERE \(notImplicit("pg_transform", "t.oid"))
        UNION ALL
        \(changedPrivileges)
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
