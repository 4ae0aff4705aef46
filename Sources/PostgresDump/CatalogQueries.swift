/// The catalog queries the dump runs, modelled on pg_dump's (src/bin/pg_dump/pg_dump.c).
///
/// They run with `search_path` empty, so `format_type`, `regproc`, `pg_get_*def` and friends
/// schema-qualify every name outside `pg_catalog`, as pg_dump's output does.
enum CatalogQueries {
    /// The dependency keys of user-made rows of catalogs (`prefix:oid`), one `UNION ALL` branch per catalog, as the
    /// dependency-order query reads them: columns classid, objid, key.
    static func userObjectKeys(_ catalogs: [(catalog: String, prefix: String)]) -> String {
        catalogs.map { entry in
            "SELECT '\(entry.catalog)' AS classid, x.oid AS objid, '\(entry.prefix):' || x.oid AS key "
                + "FROM pg_catalog.\(entry.catalog) x WHERE x.oid >= 16384"
        }.joined(separator: "\nUNION ALL\n")
    }

    /// A filter keeping user schemas only (no system, toast or temporary schemas).
    static func userSchema(_ n: String) -> String {
        #"\#(n).nspname NOT IN ('pg_catalog', 'information_schema') AND \#(n).nspname NOT LIKE 'pg\_toast%' AND \#(n).nspname NOT LIKE 'pg\_temp\_%'"#
    }

    /// A filter dropping objects that belong to an extension (CREATE EXTENSION recreates them).
    static func notExtensionMember(_ catalog: String, _ oid: String) -> String {
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '\(catalog)'::pg_catalog.regclass AND e.objid = \(oid) AND e.deptype = 'e')"
    }

    /// A filter dropping extension members and objects created implicitly with another (range casts, …).
    static func notImplicit(_ catalog: String, _ oid: String) -> String {
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '\(catalog)'::pg_catalog.regclass AND e.objid = \(oid) AND e.deptype IN ('e', 'i'))"
    }

    /// SQL computing the REVOKE/GRANT statements that recreate `acl` (NULL when the ACL is the default).
    ///
    /// Only the differences from the object's default ACL are written (DefaultRelativeACL.swift), as
    /// pg_dump does, so a newer server's larger defaults survive a restore.
    static func aclStatements(acl: String, owner: String, kind: String, target: String) -> String {
        aclChangesFromDefault(acl: acl, owner: owner, kind: kind, target: target)
    }

    static func qualified(_ n: String, _ name: String) -> String {
        "pg_catalog.quote_ident(\(n).nspname) || '.' || pg_catalog.quote_ident(\(name))"
    }

    /// Relations to lock: plain catalog columns only, so nothing here takes a lock before LOCK TABLE does.
    static let relationsToLock = """
        SELECT c.oid, n.nspname, c.relname, c.relkind,
               \(qualified("n", "c.relname")) AS qname
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relpersistence <> 't'
          AND \(userSchema("n")) AND \(notExtensionMember("pg_class", "c.oid"))
        ORDER BY n.nspname, c.relname
        """

    static let schemas = """
        SELECT n.oid, n.nspname AS name, pg_catalog.quote_ident(n.nspname) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(n.nspowner)) AS owner,
               pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment,
               \(aclStatements(acl: "n.nspacl", owner: "n.nspowner", kind: "SCHEMA", target: "pg_catalog.quote_ident(n.nspname)")) AS acl
        FROM pg_catalog.pg_namespace n
        WHERE \(userSchema("n")) AND n.nspname <> 'public' AND \(notExtensionMember("pg_namespace", "n.oid"))
        """

    static let extensions = """
        SELECT e.oid, e.extname AS name, pg_catalog.quote_ident(e.extname) AS qname,
               pg_catalog.quote_ident(n.nspname) AS schema, n.nspname AS schema_name,
               pg_catalog.obj_description(e.oid, 'pg_extension') AS comment
        FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname <> 'plpgsql'
        """

    /// Collation clause when `collation` differs from the type's default collation.
    static func collateClause(_ collation: String, typeOid: String) -> String {
        "CASE WHEN \(collation) <> 0 AND \(collation) <> (SELECT ct.typcollation FROM pg_catalog.pg_type ct WHERE ct.oid = \(typeOid)) THEN ' COLLATE ' || \(collation)::pg_catalog.regcollation::text ELSE '' END"
    }

    static func types(serverVersion: Int) -> String { """
        SELECT t.oid, t.typtype, n.nspname AS schema, t.typname AS name, \(qualified("n", "t.typname")) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(t.typowner)) AS owner,
               pg_catalog.obj_description(t.oid, 'pg_type') AS comment,
               \(aclStatements(acl: "t.typacl", owner: "t.typowner", kind: "' || CASE WHEN t.typtype = 'd' THEN 'DOMAIN' ELSE 'TYPE' END || '", target: qualified("n", "t.typname"))) AS acl,
               CASE t.typtype
                 WHEN 'e' THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)
                 WHEN 'c' THEN (SELECT pg_catalog.string_agg(E'\\n    ' || pg_catalog.quote_ident(a.attname) || ' ' ||
                                       pg_catalog.format_type(a.atttypid, a.atttypmod) || \(collateClause("a.attcollation", typeOid: "a.atttypid")), ','
                                       ORDER BY a.attnum)
                                FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
                 WHEN 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) || \(collateClause("t.typcollation", typeOid: "t.typbasetype")) ||
                               CASE WHEN t.typdefault IS NOT NULL THEN ' DEFAULT ' || t.typdefault ELSE '' END ||
                               \(domainNotNull(serverVersion: serverVersion)) ||
                               COALESCE((SELECT pg_catalog.string_agg(E'\\n\\tCONSTRAINT ' || pg_catalog.quote_ident(k.conname) || ' ' ||
                                                 pg_catalog.pg_get_constraintdef(k.oid), '' ORDER BY k.conname)
                                         FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c' AND k.convalidated), '')
                 WHEN 'r' THEN (SELECT 'subtype = ' || pg_catalog.format_type(r.rngsubtype, NULL) ||
                                       \(serverVersion >= 140000 ? "', multirange_type_name = ' || pg_catalog.format_type(r.rngmultitypid, NULL) ||" : "") 
                                       CASE WHEN r.rngsubdiff <> 0 THEN ', subtype_diff = ' || r.rngsubdiff::pg_catalog.regproc::text ELSE '' END ||
                                       CASE WHEN r.rngcanonical <> 0 THEN ', canonical = ' || r.rngcanonical::pg_catalog.regproc::text ELSE '' END ||
                                       CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> (SELECT ct.typcollation FROM pg_catalog.pg_type ct WHERE ct.oid = r.rngsubtype)
                                            THEN ', collation = ' || r.rngcollation::pg_catalog.regcollation::text ELSE '' END
                                FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid)
                 WHEN 'b' THEN \(BaseTypes.options(serverVersion: serverVersion))
               END AS body,
               \(BaseTypes.ioFunctions) AS io_functions,
               (SELECT pg_catalog.string_agg('COMMENT ON CONSTRAINT ' || pg_catalog.quote_ident(k.conname) || ' ON DOMAIN ' ||
                                             \(qualified("n", "t.typname")) || ' IS ' || pg_catalog.quote_literal(d.description) || ';', E'\\n' ORDER BY k.conname)
                FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_description d
                  ON d.objoid = k.oid AND d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
                WHERE k.contypid = t.oid AND k.convalidated) AS constraint_comments,
               (SELECT pg_catalog.string_agg('COMMENT ON COLUMN ' || \(qualified("n", "t.typname")) || '.' || pg_catalog.quote_ident(a.attname) ||
                                             ' IS ' || pg_catalog.quote_literal(d.description) || ';', E'\\n' ORDER BY a.attnum)
                FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_description d
                  ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = a.attnum
                WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid) AS attribute_comments
        FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE (t.typtype IN ('e', 'd', 'r')
               OR (t.typtype = 'c' AND (SELECT rc.relkind FROM pg_catalog.pg_class rc WHERE rc.oid = t.typrelid) = 'c')
               OR \(BaseTypes.filter))
          AND \(userSchema("n")) AND \(notExtensionMember("pg_type", "t.oid"))
        """
    }

    static let functions = """
        SELECT p.oid, p.prokind, n.nspname AS schema, p.proname AS name,
               \(qualified("n", "p.proname")) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS signature,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(p.proowner)) AS owner,
               pg_catalog.obj_description(p.oid, 'pg_proc') AS comment,
               \(aclStatements(acl: "p.proacl", owner: "p.proowner", kind: "' || CASE WHEN p.prokind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END || '",
                               target: qualified("n", "p.proname") + " || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'")) AS acl,
               CASE WHEN p.prokind IN ('f', 'p') THEN pg_catalog.pg_get_functiondef(p.oid) END AS def,
               \(Aggregates.body) AS aggbody
        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE p.prokind IN ('f', 'p', 'a') AND \(userSchema("n")) AND \(notExtensionMember("pg_proc", "p.oid"))
          -- Range constructors and similar are created implicitly with their type.
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i WHERE i.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                          AND i.objid = p.oid AND i.deptype = 'i')
        """

    static let sequences = """
        SELECT c.oid, n.nspname AS schema, c.relname AS name, \(qualified("n", "c.relname")) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.relowner)) AS owner,
               pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
               \(aclStatements(acl: "c.relacl", owner: "c.relowner", kind: "SEQUENCE", target: qualified("n", "c.relname"))) AS acl,
               pg_catalog.format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
               (SELECT \(qualified("tn", "tc.relname")) || '.' || pg_catalog.quote_ident(a.attname)
                FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
                JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
                JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a' AND d.refobjsubid > 0) AS owned_by,
               (SELECT d.refobjid FROM pg_catalog.pg_depend d
                WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0) AS owner_table,
               (SELECT d.refobjsubid FROM pg_catalog.pg_depend d
                WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'i' AND d.refobjsubid > 0) AS identity_column
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = ANY($1::pg_catalog.oid[])
        """

    static let relations = """
        SELECT c.oid, n.nspname AS schema, c.relname AS name, \(qualified("n", "c.relname")) AS qname, c.relkind,
               c.relpersistence, c.reloptions::text[] AS reloptions,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.relowner)) AS owner,
               pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
               \(aclStatements(acl: "c.relacl", owner: "c.relowner", kind: "TABLE", target: qualified("n", "c.relname"))) AS acl,
               c.relispartition, \(Tablespaces.ownTablespace) AS own_tablespace,
               CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partbound,
               CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,
               (SELECT pg_catalog.string_agg(\(qualified("pn", "pc.relname")), ', ' ORDER BY i.inhseqno)
                FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
                JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) AS parents,
               c.relrowsecurity, c.relforcerowsecurity, c.relispopulated, c.relreplident,
               CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef,
               CASE WHEN c.reloftype <> 0 THEN c.reloftype::pg_catalog.regtype::text END AS oftype,
               pg_catalog.quote_ident(fs.srvname) AS server, \(ForeignData.options("ft.ftoptions")) AS ftoptions
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid = c.oid LEFT JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver
        WHERE c.oid = ANY($1::pg_catalog.oid[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        """

    static let columns = """
        SELECT a.attrelid, a.attnum, a.attname, pg_catalog.quote_ident(a.attname) AS qname,
               pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, a.attidentity, a.attgenerated, a.attislocal,
               pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS defexpr,
               \(collateClause("a.attcollation", typeOid: "a.atttypid")) AS collate,
               pg_catalog.col_description(a.attrelid, a.attnum) AS comment,
               a.attstattarget, CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END AS storage,
               a.attoptions::text[] AS attoptions,
               CASE WHEN c.relkind = 'f' THEN \(ForeignData.options("a.attfdwoptions")) END AS fdwoptions,
               (SELECT pg_catalog.string_agg('GRANT ' || x.privilege_type || ' (' || pg_catalog.quote_ident(a.attname) || ') ON TABLE ' ||
                                             \(qualified("n", "c.relname")) || ' TO ' ||
                                             CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END ||
                                             CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END || ';', E'\\n' ORDER BY x.ord)
                FROM pg_catalog.aclexplode(a.attacl) WITH ORDINALITY AS x(grantor, grantee, privilege_type, is_grantable, ord)) AS acl
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        WHERE a.attrelid = ANY($1::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attrelid, a.attnum
        """

    static let constraints = """
        SELECT k.oid, k.conrelid, k.conindid, k.contype, k.conname AS name, pg_catalog.quote_ident(k.conname) AS qname,
               pg_catalog.pg_get_constraintdef(k.oid) AS def, k.convalidated, k.conislocal,
               CASE WHEN k.contype IN ('p', 'u', 'x') AND (SELECT i.indisreplident FROM pg_catalog.pg_index i WHERE i.indexrelid = k.conindid)
                    THEN (SELECT pg_catalog.quote_ident(ic.relname) FROM pg_catalog.pg_class ic WHERE ic.oid = k.conindid) END AS replident_index,
               pg_catalog.obj_description(k.oid, 'pg_constraint') AS comment
        FROM pg_catalog.pg_constraint k
        WHERE k.conrelid = ANY($1::pg_catalog.oid[]) AND k.contype IN ('c', 'p', 'u', 'x', 'f') AND k.conparentid = 0
        ORDER BY k.conname
        """

    static let indexes = """
        SELECT i.indexrelid AS oid, i.indrelid, ic.relname AS name, \(qualified("n", "ic.relname")) AS qname,
               pg_catalog.pg_get_indexdef(i.indexrelid) AS def, ic.relkind, i.indisclustered, i.indisreplident,
               pg_catalog.obj_description(i.indexrelid, 'pg_class') AS comment
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
        WHERE i.indrelid = ANY($1::pg_catalog.oid[])
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                          WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
        ORDER BY n.nspname, ic.relname
        """

    static let triggers = """
        SELECT t.oid, t.tgrelid, t.tgname AS name, pg_catalog.quote_ident(t.tgname) AS qname,
               pg_catalog.pg_get_triggerdef(t.oid) AS def, t.tgenabled,
               pg_catalog.obj_description(t.oid, 'pg_trigger') AS comment
        FROM pg_catalog.pg_trigger t
        WHERE t.tgrelid = ANY($1::pg_catalog.oid[]) AND NOT t.tgisinternal AND t.tgparentid = 0
        ORDER BY t.tgname
        """

    static let rules = """
        SELECT r.oid, r.ev_class, r.rulename AS name, pg_catalog.quote_ident(r.rulename) AS qname,
               pg_catalog.pg_get_ruledef(r.oid) AS def, r.ev_enabled,
               pg_catalog.obj_description(r.oid, 'pg_rewrite') AS comment
        FROM pg_catalog.pg_rewrite r
        WHERE r.ev_class = ANY($1::pg_catalog.oid[]) AND r.rulename <> '_RETURN'
        ORDER BY r.rulename
        """

    static let policies = """
        SELECT p.oid, p.polrelid, p.polname AS name, pg_catalog.quote_ident(p.polname) AS qname, p.polcmd, p.polpermissive,
               CASE WHEN p.polroles = '{0}' THEN 'PUBLIC'
                    ELSE (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(r.rolname), ', ' ORDER BY r.rolname)
                          FROM pg_catalog.pg_roles r WHERE r.oid = ANY(p.polroles)) END AS roles,
               pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual,
               pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS withcheck,
               pg_catalog.obj_description(p.oid, 'pg_policy') AS comment
        FROM pg_catalog.pg_policy p
        WHERE p.polrelid = ANY($1::pg_catalog.oid[])
        ORDER BY p.polname
        """

    /// Dependencies between user objects (and on extension members), for ordering pre-data objects.
    static let dependencies = """
        SELECT d.classid::pg_catalog.regclass::text AS classid, d.objid, d.refclassid::pg_catalog.regclass::text AS refclassid,
               d.refobjid, d.deptype
        FROM pg_catalog.pg_depend d
        WHERE d.deptype IN ('n', 'a') AND d.objid >= 16384 AND d.refobjid >= 16384
        """

    /// How sub-objects map to the objects that are created as a whole (types to tables, defaults to tables, …).
    static func objectOwners(serverVersion: Int) -> String { """
        SELECT 'pg_type' AS classid, t.oid AS objid,
               CASE WHEN t.typrelid <> 0 AND (SELECT rc.relkind FROM pg_catalog.pg_class rc WHERE rc.oid = t.typrelid) <> 'c'
                         THEN 'rel:' || t.typrelid
                    WHEN element.oid IS NOT NULL THEN 'type:' || element.oid
                    \(serverVersion >= 140000 ? "WHEN multirange.rngtypid IS NOT NULL THEN 'type:' || multirange.rngtypid" : "")
                    ELSE 'type:' || t.oid END AS key
        -- Joins rather than a subquery per type: pg_type has no index on typarray, and a scan of it for each of
        -- thousands of types took most of a second.
        FROM pg_catalog.pg_type t
        LEFT JOIN pg_catalog.pg_type element ON element.typarray = t.oid
        \(serverVersion >= 140000 ? "LEFT JOIN pg_catalog.pg_range multirange ON multirange.rngmultitypid = t.oid" : "")
        WHERE t.oid >= 16384
        UNION ALL
        SELECT 'pg_class', c.oid, CASE WHEN c.relkind = 'c' THEN 'type:' || c.reltype ELSE 'rel:' || c.oid END
        FROM pg_catalog.pg_class c WHERE c.oid >= 16384 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'c', 'f')
        UNION ALL
        SELECT 'pg_attrdef', ad.oid, 'rel:' || ad.adrelid FROM pg_catalog.pg_attrdef ad WHERE ad.oid >= 16384
        UNION ALL
        SELECT 'pg_constraint', k.oid, CASE WHEN k.conrelid <> 0 THEN 'rel:' || k.conrelid ELSE 'type:' || k.contypid END
        FROM pg_catalog.pg_constraint k WHERE k.oid >= 16384 AND k.contype IN ('c', 'n')
        UNION ALL
        SELECT 'pg_rewrite', r.oid, 'rel:' || r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.oid >= 16384 AND r.rulename = '_RETURN'
        UNION ALL
        SELECT 'pg_proc', p.oid, 'proc:' || p.oid FROM pg_catalog.pg_proc p WHERE p.oid >= 16384
        UNION ALL
        SELECT 'pg_namespace', n.oid, 'ns:' || n.oid FROM pg_catalog.pg_namespace n WHERE n.oid >= 16384
        UNION ALL
        SELECT 'pg_extension', e.oid, 'ext:' || e.oid FROM pg_catalog.pg_extension e WHERE e.oid >= 16384
        """
    }

    /// Members of extensions, which map to their extension for ordering.
    static let extensionMembers = """
        SELECT d.classid::pg_catalog.regclass::text AS classid, d.objid, d.refobjid AS extension
        FROM pg_catalog.pg_depend d
        WHERE d.deptype = 'e' AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
        """

    static let statistics = """
        SELECT s.oid, s.stxrelid, s.stxname AS name, \(qualified("n", "s.stxname")) AS qname,
               pg_catalog.pg_get_statisticsobjdef(s.oid) AS def,
               pg_catalog.obj_description(s.oid, 'pg_statistic_ext') AS comment
        FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
        WHERE s.stxrelid = ANY($1::pg_catalog.oid[])
        ORDER BY n.nspname, s.stxname
        """

    /// User objects of kinds this dump does not recreate; a dump that silently lacked them would
    /// restore into something different, so they are refused unless the caller accepts the loss.
    static let unsupportedObjects = """
        SELECT kind, name FROM (
          -- Subscriptions of this database, when only a superuser could read their connection strings (Subscriptions).
          SELECT 'subscription' AS kind, pg_catalog.quote_ident(o.subname) AS name FROM pg_catalog.pg_subscription o
          WHERE o.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
            AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER)
          UNION ALL
          \(silentKinds)
        ) x
        ORDER BY kind, name
        """

    /// `ALTER DEFAULT PRIVILEGES` entries, as the statements that recreate each one exactly.
    ///
    /// A global entry replaces the built-in defaults, so it is written as its differences from them
    /// (`revokes`: grantees of default entries it lacks; `grants`: its other entries), as object ACLs
    /// are; a per-schema entry only adds to the global one, so it is grants alone.
    static let defaultPrivileges = """
        SELECT pg_catalog.pg_get_userbyid(d.defaclrole) AS role, COALESCE(n.nspname, '') AS schema, d.defaclobjtype AS objtype,
               'ALTER DEFAULT PRIVILEGES FOR ROLE ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(d.defaclrole)) ||
               COALESCE(' IN SCHEMA ' || pg_catalog.quote_ident(n.nspname), '') AS prefix,
               CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS'
                                    WHEN 'T' THEN 'TYPES' WHEN 'n' THEN 'SCHEMAS' END AS kind,
               (SELECT pg_catalog.string_agg(g.privileges || '|' ||
                         CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END ||
                         CASE WHEN g.is_grantable THEN '|grant' ELSE '|' END, E'\\n' ORDER BY g.ord, g.is_grantable)
                FROM (SELECT a.ord, x.grantee, x.is_grantable, pg_catalog.string_agg(x.privilege_type, ',' ORDER BY x.pord) AS privileges
                      FROM pg_catalog.unnest(d.defaclacl) WITH ORDINALITY AS a(item, ord)
                      CROSS JOIN LATERAL pg_catalog.aclexplode(ARRAY[a.item]) WITH ORDINALITY AS x(grantor, grantee, privilege_type, is_grantable, pord)
                      WHERE NOT (a.item = ANY(\(defaultACLBase)))
                      GROUP BY a.ord, x.grantee, x.is_grantable) g) AS grants,
               (SELECT pg_catalog.string_agg(DISTINCT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END, E'\\n')
                FROM pg_catalog.unnest(\(defaultACLBase)) AS b(item) CROSS JOIN LATERAL pg_catalog.aclexplode(ARRAY[b.item]) AS x
                WHERE NOT (b.item = ANY(d.defaclacl))) AS revokes
        FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
        ORDER BY 1, 2, 3
        """
}
