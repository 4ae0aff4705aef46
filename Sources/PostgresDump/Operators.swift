import LibPQ

/// Operators, operator families and operator classes of the database's own, as pg_dump writes them.
///
/// Shell operators (made by a COMMUTATOR or NEGATOR that names an operator not yet defined) are not
/// written: the operators that name them make them again. A family is written with its loose members
/// (`ALTER OPERATOR FAMILY … ADD`, those added to the family rather than through a class), a class with
/// its own; pg_amop/pg_amproc rows map to their class or family for the dependency order.
enum Operators {
    static let operators = """
        SELECT o.oid, n.nspname AS schema, o.oprname AS name, pg_catalog.quote_ident(n.nspname) || '.' || o.oprname AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(o.oprowner)) AS owner,
               o.oprcode::pg_catalog.regproc::text AS function,
               CASE WHEN o.oprleft <> 0 THEN pg_catalog.format_type(o.oprleft, NULL) END AS leftarg,
               CASE WHEN o.oprright <> 0 THEN pg_catalog.format_type(o.oprright, NULL) END AS rightarg,
               (SELECT 'OPERATOR(' || pg_catalog.quote_ident(cn.nspname) || '.' || co.oprname || ')'
                FROM pg_catalog.pg_operator co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.oprnamespace WHERE co.oid = o.oprcom) AS commutator,
               (SELECT 'OPERATOR(' || pg_catalog.quote_ident(nn.nspname) || '.' || no.oprname || ')'
                FROM pg_catalog.pg_operator no JOIN pg_catalog.pg_namespace nn ON nn.oid = no.oprnamespace WHERE no.oid = o.oprnegate) AS negator,
               o.oprcanmerge, o.oprcanhash,
               CASE WHEN o.oprrest <> 0 THEN o.oprrest::pg_catalog.regproc::text END AS restrict,
               CASE WHEN o.oprjoin <> 0 THEN o.oprjoin::pg_catalog.regproc::text END AS "join",
               pg_catalog.obj_description(o.oid, 'pg_operator') AS comment
        FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
        WHERE o.oprcode <> 0 AND \(CatalogQueries.userSchema("n")) AND \(CatalogQueries.notExtensionMember("pg_operator", "o.oid"))
        """

    /// The `OPERATOR n op(types) [FOR ORDER BY family]` and `FUNCTION n (left, right) proc(args)` members that depend
    /// on the object `$catalog` `oid` (a class's own, or a family's loose ones), in pg_dump's layout.
    static func members(catalog: String, oid: String) -> String { """
        pg_catalog.concat_ws(E' ,\\n    ',
          (SELECT pg_catalog.string_agg('OPERATOR ' || ao.amopstrategy || ' ' || ao.amopopr::pg_catalog.regoperator::text ||
                                        COALESCE(' FOR ORDER BY ' || pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(sf.opfname), ''),
                                        E' ,\\n    ' ORDER BY ao.amopstrategy, ao.amoplefttype, ao.amoprighttype)
           FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend dp ON dp.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND dp.objid = ao.oid
           LEFT JOIN pg_catalog.pg_opfamily sf ON sf.oid = ao.amopsortfamily LEFT JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace
           WHERE dp.refclassid = 'pg_catalog.\(catalog)'::pg_catalog.regclass AND dp.refobjid = \(oid)),
          (SELECT pg_catalog.string_agg('FUNCTION ' || ap.amprocnum || ' (' || pg_catalog.format_type(ap.amproclefttype, NULL) || ', ' ||
                                        pg_catalog.format_type(ap.amprocrighttype, NULL) || ') ' || ap.amproc::pg_catalog.regprocedure::text,
                                        E' ,\\n    ' ORDER BY ap.amprocnum, ap.amproclefttype, ap.amprocrighttype)
           FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend dp ON dp.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND dp.objid = ap.oid
           WHERE dp.refclassid = 'pg_catalog.\(catalog)'::pg_catalog.regclass AND dp.refobjid = \(oid)))
        """
    }

    static let families = """
        SELECT f.oid, n.nspname AS schema, f.opfname AS name, \(CatalogQueries.qualified("n", "f.opfname")) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(f.opfowner)) AS owner,
               (SELECT pg_catalog.quote_ident(a.amname) FROM pg_catalog.pg_am a WHERE a.oid = f.opfmethod) AS am,
               NULLIF(\(members(catalog: "pg_opfamily", oid: "f.oid")), '') AS members,
               pg_catalog.obj_description(f.oid, 'pg_opfamily') AS comment
        FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace
        WHERE \(CatalogQueries.userSchema("n")) AND \(CatalogQueries.notExtensionMember("pg_opfamily", "f.oid"))
        """

    static let classes = """
        SELECT c.oid, n.nspname AS schema, c.opcname AS name, \(CatalogQueries.qualified("n", "c.opcname")) AS qname,
               pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.opcowner)) AS owner,
               (SELECT pg_catalog.quote_ident(a.amname) FROM pg_catalog.pg_am a WHERE a.oid = c.opcmethod) AS am,
               c.opcdefault, pg_catalog.format_type(c.opcintype, NULL) AS intype,
               CASE WHEN c.opckeytype <> 0 THEN pg_catalog.format_type(c.opckeytype, NULL) END AS keytype,
               (SELECT \(CatalogQueries.qualified("fn", "f.opfname")) FROM pg_catalog.pg_opfamily f
                JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace WHERE f.oid = c.opcfamily) AS family,
               NULLIF(\(members(catalog: "pg_opclass", oid: "c.oid")), '') AS members,
               pg_catalog.obj_description(c.oid, 'pg_opclass') AS comment
        FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace
        WHERE \(CatalogQueries.userSchema("n")) AND \(CatalogQueries.notExtensionMember("pg_opclass", "c.oid"))
        """

    /// Operators, families and classes by key; each pg_amop/pg_amproc row by the class or family it belongs to.
    static let dependencyKeys = """
        \(CatalogQueries.userObjectKeys([("pg_operator", "opr"), ("pg_opfamily", "opfamily"), ("pg_opclass", "opclass")]))
        UNION ALL
        SELECT d.classid::pg_catalog.regclass::text, d.objid,
               CASE WHEN d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass THEN 'opclass:' ELSE 'opfamily:' END || d.refobjid
        FROM pg_catalog.pg_depend d
        WHERE d.classid IN ('pg_catalog.pg_amop'::pg_catalog.regclass, 'pg_catalog.pg_amproc'::pg_catalog.regclass) AND d.objid >= 16384
          AND d.refclassid IN ('pg_catalog.pg_opclass'::pg_catalog.regclass, 'pg_catalog.pg_opfamily'::pg_catalog.regclass)
          AND d.deptype IN ('a', 'i')
        """

    static func read(_ context: ReadContext) throws -> KindItems {
        var items = KindItems()
        let c = context.connection
        for row in try c.execute(operators).rows {
            let qname = try row.string("qname"), own = try row.string("owner")
            let left = try row.optionalString("leftarg"), right = try row.optionalString("rightarg")
            var details = ["FUNCTION = \(try row.string("function"))"]
            if let left { details.append("LEFTARG = \(left)") }
            if let right { details.append("RIGHTARG = \(right)") }
            if let commutator = try row.optionalString("commutator") { details.append("COMMUTATOR = \(commutator)") }
            if let negator = try row.optionalString("negator") { details.append("NEGATOR = \(negator)") }
            if try row.bool("oprcanmerge") { details.append("MERGES") }
            if try row.bool("oprcanhash") { details.append("HASHES") }
            if let restrict = try row.optionalString("restrict") { details.append("RESTRICT = \(restrict)") }
            if let join = try row.optionalString("join") { details.append("JOIN = \(join)") }
            let signature = "\(qname) (\(left ?? "NONE"), \(right ?? "NONE"))"
            var sql = SQLText.header(name: try row.string("name"), type: "OPERATOR", schema: try row.string("schema"), owner: own)
            sql += "CREATE OPERATOR \(qname) (\n    \(details.joined(separator: ",\n    "))\n);\n\n"
            sql += context.owner("ALTER OPERATOR \(signature) OWNER TO \(own);")
            sql += context.comment("OPERATOR \(signature)", try row.optionalString("comment"))
            items.pre.append(try PreItem.schemaObject(row, key: "opr", order: "op1", sql: sql))
        }
        for row in try c.execute(families).rows {
            let qname = try row.string("qname"), own = try row.string("owner"), am = try row.string("am")
            var sql = SQLText.header(name: try row.string("name"), type: "OPERATOR FAMILY", schema: try row.string("schema"), owner: own)
            sql += "CREATE OPERATOR FAMILY \(qname) USING \(am);\n"
            if let members = try row.optionalString("members") {
                sql += "ALTER OPERATOR FAMILY \(qname) USING \(am) ADD\n    \(members);\n"
            }
            sql += "\n"
            sql += context.owner("ALTER OPERATOR FAMILY \(qname) USING \(am) OWNER TO \(own);")
            sql += context.comment("OPERATOR FAMILY \(qname) USING \(am)", try row.optionalString("comment"))
            items.pre.append(try PreItem.schemaObject(row, key: "opfamily", order: "op2", sql: sql))
        }
        for row in try c.execute(classes).rows {
            let qname = try row.string("qname"), own = try row.string("owner"), am = try row.string("am")
            var body: [String] = []
            if let keytype = try row.optionalString("keytype") { body.append("STORAGE \(keytype)") }
            if let members = try row.optionalString("members") { body.append(members) }
            // A class without members still needs something after AS; STORAGE of its own type changes nothing.
            if body.isEmpty { body.append("STORAGE \(try row.string("intype"))") }
            var sql = SQLText.header(name: try row.string("name"), type: "OPERATOR CLASS", schema: try row.string("schema"), owner: own)
            sql += "CREATE OPERATOR CLASS \(qname)\n    \(try row.bool("opcdefault") ? "DEFAULT " : "")FOR TYPE \(try row.string("intype"))"
            sql += " USING \(am)\(try row.optionalString("family").map { " FAMILY \($0)" } ?? "") AS\n    "
            sql += body.joined(separator: " ,\n    ") + ";\n\n"
            sql += context.owner("ALTER OPERATOR CLASS \(qname) USING \(am) OWNER TO \(own);")
            sql += context.comment("OPERATOR CLASS \(qname) USING \(am)", try row.optionalString("comment"))
            items.pre.append(try PreItem.schemaObject(row, key: "opclass", order: "op3", sql: sql))
        }
        return items
    }
}
