import LibPQ

/// The catalog queries of `GlobalsDumper`, one per kind, per server version as pg_dumpall reads them.
enum GlobalsCatalog {
    /// Every role but the predefined `pg_*` ones, by name; password hashes only when `passwords`.
    static func roles(_ connection: Connection, passwords: Bool) throws -> [GlobalsSQL.Role] {
        // pg_roles hides the hashes; pg_authid needs superuser (or a grant) to read.
        let source = passwords ? "pg_catalog.pg_authid" : "pg_catalog.pg_roles"
        let result = try connection.execute("""
            SELECT a.oid = 10 AS bootstrap, a.rolname, pg_catalog.quote_ident(a.rolname) AS qname,
                   a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, a.rolcanlogin, a.rolreplication,
                   a.rolbypassrls, a.rolconnlimit, \(passwords ? "a.rolpassword" : "NULL::text") AS rolpassword,
                   a.rolvaliduntil::pg_catalog.text AS validuntil,
                   pg_catalog.shobj_description(a.oid, 'pg_authid') AS comment
            FROM \(source) a
            WHERE a.rolname !~ '^pg_'
            ORDER BY a.rolname COLLATE "C"
            """)
        return try result.rows.map { row in
            GlobalsSQL.Role(
                name: try row.string("rolname"), qname: try row.string("qname"), isBootstrap: try row.bool("bootstrap"),
                superuser: try row.bool("rolsuper"), inherit: try row.bool("rolinherit"),
                createRole: try row.bool("rolcreaterole"), createDB: try row.bool("rolcreatedb"),
                login: try row.bool("rolcanlogin"), replication: try row.bool("rolreplication"),
                bypassRLS: try row.bool("rolbypassrls"), connectionLimit: try row.int("rolconnlimit"),
                password: try row.optionalString("rolpassword"), validUntil: try row.optionalString("validuntil"),
                comment: try row.optionalString("comment"))
        }
    }

    /// Every membership except those between two predefined roles (initdb makes them), with the options the
    /// server has: ADMIN always, INHERIT and SET from PostgreSQL 16.
    static func memberships(_ connection: Connection, version: Int) throws -> [GlobalsSQL.Membership] {
        let options = version >= 160000 ? "m.inherit_option, m.set_option" : "NULL::bool AS inherit_option, NULL::bool AS set_option"
        // A superuser's grant is recorded as the bootstrap superuser's since 16; whoever restores then is its grantor.
        let result = try connection.execute("""
            SELECT pg_catalog.quote_ident(r.rolname) AS role, pg_catalog.quote_ident(u.rolname) AS member,
                   CASE WHEN g.oid IS NULL OR g.oid = 10 THEN NULL ELSE pg_catalog.quote_ident(g.rolname) END AS grantor,
                   m.admin_option, \(options)
            FROM pg_catalog.pg_auth_members m
            JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
            JOIN pg_catalog.pg_roles u ON u.oid = m.member
            LEFT JOIN pg_catalog.pg_roles g ON g.oid = m.grantor
            WHERE NOT (r.rolname ~ '^pg_' AND u.rolname ~ '^pg_')
            ORDER BY r.rolname COLLATE "C", u.rolname COLLATE "C", g.rolname COLLATE "C"
            """)
        return try result.rows.map { row in
            let inherit = try row.optionalString("inherit_option").map { $0 == "t" }
            let set = try row.optionalString("set_option").map { $0 == "t" }
            return GlobalsSQL.Membership(role: try row.string("role"), member: try row.string("member"),
                                         grantor: try row.optionalString("grantor"), admin: try row.bool("admin_option"),
                                         inherit: inherit, set: set)
        }
    }

    /// `ALTER ROLE … SET` entries that hold in every database: (quoted role, `name=value`).
    static func roleSettings(_ connection: Connection) throws -> [(String, String)] {
        let result = try connection.execute("""
            SELECT pg_catalog.quote_ident(r.rolname) AS role, c.setting
            FROM pg_catalog.pg_db_role_setting s
            JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
            CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) WITH ORDINALITY AS c(setting, ord)
            WHERE s.setdatabase = 0 AND r.rolname !~ '^pg_'
            ORDER BY r.rolname COLLATE "C", c.ord
            """)
        return try result.rows.map { (try $0.string("role"), try $0.string("setting")) }
    }

    /// The GRANT/REVOKE statements of every parameter's ACL (`GRANT SET ON PARAMETER …`, PostgreSQL 15+), relative to
    /// the default, as pg_dumpall's `dumpRoleGUCPrivs`.
    static func parameterPrivileges(_ connection: Connection, version: Int) throws -> [String] {
        guard version >= 150000 else { return [] }
        let acl = CatalogQueries.aclChangesFromDefault(acl: "p.paracl", owner: "10", kind: "PARAMETER",
                                                       target: "pg_catalog.quote_ident(p.parname)",
                                                       base: "pg_catalog.acldefault('p', 10)")
        let result = try connection.execute("""
            SELECT \(acl) AS acl_changes FROM pg_catalog.pg_parameter_acl p ORDER BY p.parname COLLATE "C"
            """)
        return try result.rows.compactMap { try $0.optionalString("acl_changes") }
    }

    /// Every tablespace but pg_default and pg_global, by name.
    static func tablespaces(_ connection: Connection) throws -> [GlobalsSQL.Tablespace] {
        let acl = CatalogQueries.aclChangesFromDefault(acl: "t.spcacl", owner: "t.spcowner", kind: "TABLESPACE",
                                                       target: "pg_catalog.quote_ident(t.spcname)",
                                                       base: "pg_catalog.acldefault('t', t.spcowner)")
        let result = try connection.execute("""
            SELECT t.spcname, pg_catalog.quote_ident(t.spcname) AS qname,
                   pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(t.spcowner)) AS owner,
                   pg_catalog.pg_tablespace_location(t.oid) AS location, t.spcoptions,
                   \(acl) AS acl_changes,
                   pg_catalog.shobj_description(t.oid, 'pg_tablespace') AS comment
            FROM pg_catalog.pg_tablespace t
            WHERE t.spcname !~ '^pg_'
            ORDER BY t.spcname COLLATE "C"
            """)
        return try result.rows.map { row in
            GlobalsSQL.Tablespace(name: try row.string("spcname"), qname: try row.string("qname"),
                                  owner: try row.string("owner"), location: try row.string("location"),
                                  options: try row.stringArray("spcoptions"),
                                  aclChanges: try row.optionalString("acl_changes"), comment: try row.optionalString("comment"))
        }
    }

    /// Every database but template0, by name, with its settings and per-role settings.
    static func databases(_ connection: Connection, version: Int) throws -> [GlobalsSQL.Database] {
        let provider = version >= 150000 ? "db.datlocprovider::pg_catalog.text" : "NULL::text"
        let locale = version >= 170000 ? "db.datlocale" : version >= 150000 ? "db.daticulocale" : "NULL::text"
        let rules = version >= 160000 ? "db.daticurules" : "NULL::text"
        let acl = CatalogQueries.aclChangesFromDefault(acl: "db.datacl", owner: "db.datdba", kind: "DATABASE",
                                                       target: "pg_catalog.quote_ident(db.datname)",
                                                       base: "pg_catalog.acldefault('d', db.datdba)")
        let result = try connection.execute("""
            SELECT db.oid, db.datname, pg_catalog.quote_ident(db.datname) AS qname,
                   pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(db.datdba)) AS owner,
                   pg_catalog.pg_encoding_to_char(db.encoding) AS encoding, db.datcollate, db.datctype,
                   \(provider) AS provider, \(locale) AS locale, \(rules) AS rules,
                   CASE WHEN t.spcname = 'pg_default' THEN NULL ELSE pg_catalog.quote_ident(t.spcname) END AS tablespace,
                   db.datconnlimit, db.datallowconn, db.datistemplate, \(acl) AS acl_changes,
                   pg_catalog.shobj_description(db.oid, 'pg_database') AS comment
            FROM pg_catalog.pg_database db
            JOIN pg_catalog.pg_tablespace t ON t.oid = db.dattablespace
            WHERE db.datname <> 'template0'
            ORDER BY db.datname COLLATE "C"
            """)
        let settings = try connection.execute("""
            SELECT s.setdatabase, CASE WHEN s.setrole = 0 THEN NULL ELSE pg_catalog.quote_ident(r.rolname) END AS role,
                   c.setting
            FROM pg_catalog.pg_db_role_setting s
            LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
            CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) WITH ORDINALITY AS c(setting, ord)
            WHERE s.setdatabase <> 0 AND (s.setrole = 0 OR r.oid IS NOT NULL)
            ORDER BY s.setdatabase, r.rolname COLLATE "C" NULLS FIRST, c.ord
            """)
        var own: [UInt32: [String]] = [:]
        var perRole: [UInt32: [(String, String)]] = [:]
        for row in settings.rows {
            let database = try row.oid("setdatabase")
            if let role = try row.optionalString("role") {
                perRole[database, default: []].append((role, try row.string("setting")))
            } else {
                own[database, default: []].append(try row.string("setting"))
            }
        }
        return try result.rows.map { row in
            let oid = try row.oid("oid")
            return GlobalsSQL.Database(
                name: try row.string("datname"), qname: try row.string("qname"), owner: try row.string("owner"),
                encoding: try row.string("encoding"), collate: try row.string("datcollate"), ctype: try row.string("datctype"),
                localeProvider: try row.optionalString("provider"), locale: try row.optionalString("locale"),
                icuRules: try row.optionalString("rules"), tablespace: try row.optionalString("tablespace"),
                connectionLimit: try row.int("datconnlimit"), allowConnections: try row.bool("datallowconn"),
                isTemplate: try row.bool("datistemplate"), settings: own[oid] ?? [], roleSettings: perRole[oid] ?? [],
                aclChanges: try row.optionalString("acl_changes"), comment: try row.optionalString("comment"))
        }
    }
}
