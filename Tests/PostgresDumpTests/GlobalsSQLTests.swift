@testable import PostgresDump
import Testing

/// The pure SQL text of globals scripts: roles, grants, settings, databases, tablespaces, name patterns.
@Suite("Globals SQL")
struct GlobalsSQLTests {
    @Test func roleIsCreatedOnlyWhenMissingThenAltered() {
        var role = GlobalsSQL.Role(name: "app", qname: "app")
        role.login = true
        role.connectionLimit = 5
        role.password = "SCRAM-SHA-256$4096:x"
        role.validUntil = "2031-01-01 00:00:00+00"
        role.comment = "it's the app"
        #expect(GlobalsSQL.role(role) == """
            -- vaultops:role app
            DO $vaultops$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app') THEN CREATE ROLE app; END IF; END $vaultops$;
            ALTER ROLE app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 PASSWORD 'SCRAM-SHA-256$4096:x' VALID UNTIL '2031-01-01 00:00:00+00';
            COMMENT ON ROLE app IS 'it''s the app';

            """)
    }

    @Test func bootstrapSuperuserIsCreatedOnlyWhenMissingAndKeepsItsPassword() {
        var role = GlobalsSQL.Role(name: "Post Gres", qname: "\"Post Gres\"", isBootstrap: true)
        role.superuser = true
        role.password = "SCRAM-SHA-256$4096:x"
        let sql = GlobalsSQL.role(role)
        #expect(!sql.contains("DROP") && !sql.contains("PASSWORD"))
        #expect(sql.contains("IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'Post Gres') THEN CREATE ROLE \"Post Gres\";"))
        #expect(sql.contains("\nALTER ROLE \"Post Gres\" WITH SUPERUSER INHERIT"))
    }

    struct GrantCase: Sendable, CustomTestStringConvertible {
        var label: String
        var membership: GlobalsSQL.Membership
        var sql: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        GrantCase(label: "15: plain", membership: .init(role: "readers", member: "app"), sql: "GRANT readers TO app;\n"),
        GrantCase(label: "15: admin, grantor", membership: .init(role: "readers", member: "app", grantor: "boss", admin: true),
                  sql: "GRANT readers TO app WITH ADMIN OPTION GRANTED BY boss;\n"),
        GrantCase(label: "16: options", membership: .init(role: "r", member: "\"M\"", admin: false, inherit: false, set: true),
                  sql: "GRANT r TO \"M\" WITH ADMIN FALSE, INHERIT FALSE, SET TRUE;\n"),
    ])
    func grant(_ c: GrantCase) {
        #expect(GlobalsSQL.grant(c.membership) == c.sql)
    }

    @Test func grantsByARoleComeAfterItsAdminGrant() {
        let byBoss = GlobalsSQL.Membership(role: "r", member: "app", grantor: "boss")
        let toBoss = GlobalsSQL.Membership(role: "r", member: "boss", admin: true)
        let orphan = GlobalsSQL.Membership(role: "q", member: "app", grantor: "nobody")
        #expect(GlobalsSQL.orderedMemberships([orphan, byBoss, toBoss]) == [toBoss, byBoss, orphan])
    }

    @Test(arguments: [
        ("work_mem=8MB", "SET work_mem TO '8MB'"),
        ("search_path=app, \"$user\", public", "SET search_path TO 'app', '$user', 'public'"),
        ("search_path=\"A b\",\"c\"\"d\"", "SET search_path TO 'A b', 'c\"d'"),
        ("search_path=", "SET search_path TO ''"),
        ("app.tenant=it's", "SET app.tenant TO 'it''s'"),
        ("DateStyle=ISO, MDY", "SET \"DateStyle\" TO 'ISO, MDY'"),
    ])
    func setClause(_ entry: String, _ sql: String) {
        #expect(GlobalsSQL.setClause(entry) == sql)
    }

    @Test func createDatabaseByLocaleProvider() {
        var db = GlobalsSQL.Database(name: "legacy", qname: "legacy", owner: "admin", encoding: "LATIN1", collate: "C", ctype: "C")
        #expect(GlobalsSQL.createDatabase(db)
                == "CREATE DATABASE legacy WITH TEMPLATE = template0 ENCODING = 'LATIN1' LOCALE = 'C';\n")
        db.localeProvider = "i"
        db.locale = "und"
        db.icuRules = "&a < b"
        db.ctype = "C.UTF-8"
        db.tablespace = "ts"
        #expect(GlobalsSQL.createDatabase(db) == "CREATE DATABASE legacy WITH TEMPLATE = template0 ENCODING = 'LATIN1' "
                + "LOCALE_PROVIDER = icu LC_COLLATE = 'C' LC_CTYPE = 'C.UTF-8' ICU_LOCALE = 'und' ICU_RULES = '&a < b' TABLESPACE = ts;\n")
        db.localeProvider = "b"
        db.locale = "C.UTF-8"
        db.tablespace = nil
        #expect(GlobalsSQL.createDatabase(db).hasSuffix("LOCALE_PROVIDER = builtin LC_COLLATE = 'C' LC_CTYPE = 'C.UTF-8' BUILTIN_LOCALE = 'C.UTF-8';\n"))
    }

    @Test func databaseSectionAndOptions() {
        var db = GlobalsSQL.Database(name: "app db", qname: "\"app db\"", owner: "app", encoding: "UTF8", collate: "C", ctype: "C")
        db.connectionLimit = 20
        db.isTemplate = true
        db.settings = ["statement_timeout=30s"]
        db.roleSettings = [("app", "work_mem=16MB")]
        db.aclChanges = "REVOKE ALL ON DATABASE \"app db\" FROM PUBLIC;\nGRANT CONNECT ON DATABASE \"app db\" TO app;"
        db.comment = "main"
        #expect(GlobalsSQL.databaseSection(db, options: GlobalsOptions()) == """

            -- vaultops:database app%20db create
            CREATE DATABASE "app db" WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE = 'C';
            -- vaultops:owner
            ALTER DATABASE "app db" OWNER TO app;
            ALTER DATABASE "app db" CONNECTION LIMIT = 20;
            ALTER DATABASE "app db" IS_TEMPLATE = true;
            ALTER DATABASE "app db" SET statement_timeout TO '30s';
            ALTER ROLE app IN DATABASE "app db" SET work_mem TO '16MB';
            -- vaultops:privileges
            REVOKE ALL ON DATABASE "app db" FROM PUBLIC;
            -- vaultops:privileges
            GRANT CONNECT ON DATABASE "app db" TO app;
            COMMENT ON DATABASE "app db" IS 'main';

            """)
        var options = GlobalsOptions()
        options.noOwner = true
        options.noPrivileges = true
        let bare = GlobalsSQL.databaseSection(db, options: options)
        #expect(!bare.contains("OWNER") && !bare.contains("REVOKE") && !bare.contains("GRANT"))
        db.name = "template1"
        #expect(!GlobalsSQL.databaseSection(db, options: options).contains("CREATE DATABASE"))
        #expect(GlobalsSQL.databaseSection(db, options: options).contains("-- vaultops:database template1 alter\n"))
    }

    @Test func tablespaceSection() {
        let ts = GlobalsSQL.Tablespace(name: "fast", qname: "fast", owner: "app", location: "/mnt/o'fast",
                                       options: ["random_page_cost=1.1"], aclChanges: "GRANT CREATE ON TABLESPACE fast TO app;",
                                       comment: "ssd")
        #expect(GlobalsSQL.tablespaceSection(ts, options: GlobalsOptions()) == """

            -- vaultops:tablespace fast
            CREATE TABLESPACE fast LOCATION '/mnt/o''fast';
            -- vaultops:owner
            ALTER TABLESPACE fast OWNER TO app;
            ALTER TABLESPACE fast SET (random_page_cost='1.1');
            -- vaultops:privileges
            GRANT CREATE ON TABLESPACE fast TO app;
            COMMENT ON TABLESPACE fast IS 'ssd';

            """)
        var options = GlobalsOptions()
        options.noOwner = true
        options.noPrivileges = true
        let bare = GlobalsSQL.tablespaceSection(ts, options: options)
        #expect(bare.contains("CREATE TABLESPACE fast LOCATION") && !bare.contains("GRANT") && !bare.contains("OWNER"))
    }

    @Test(arguments: [
        ("app", "^(app)$"),
        ("App*", "^(app.*)$"),
        ("t?st", "^(t.st)$"),
        ("\"My.DB\"", "^(My\\.DB)$"),
        ("a\"B\"\"c\"*", "^(aB\"c.*)$"),
        ("x+y", "^(x\\+y)$"),
        ("db.name", nil),
    ] as [(String, String?)])
    func patternRegex(_ pattern: String, _ regex: String?) {
        #expect(GlobalsSQL.patternRegex(pattern) == regex)
    }

    @Test func markerNamesArePercentEncoded() {
        #expect(GlobalsMarkers.encode("app") == "app")
        #expect(GlobalsMarkers.encode("a b%\nç") == "a%20b%25%0A%C3%A7")
    }
}
