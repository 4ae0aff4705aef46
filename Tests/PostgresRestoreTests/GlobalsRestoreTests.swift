import Archive
import Foundation
import LibPQ
import PostgresDump
import PostgresRestore
import Testing
import TestSupport

/// Globals scripts (GlobalsDumper) restored (GlobalsRestorer) into a second, empty cluster of the same version.
///
/// Roles and tablespaces are cluster-wide, so the source is a `TemporaryCluster` too, never the shared CI server.
@Suite("Globals dump and restore", .serialized)
struct GlobalsRestoreTests {
    @Test(arguments: PostgresServers.all)
    func restoresWhatPgDumpallSees(_ server: PostgresServer) throws {
        let dir = try TempDir("globals")
        let source = try TemporaryCluster(like: server)
        defer { source.stop() }
        let target = try TemporaryCluster(like: server)
        defer { target.stop() }
        try GlobalsFixture.populate(source.server, in: dir)
        let sourceLocation = try source.server.psql("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'ts_fast'")
        let targetLocation = try GlobalsFixture.tablespaceFolder(for: target.server, in: dir)

        let (script, summary) = try GlobalsFixture.dump(source.server)
        #expect(summary.passwordsIncluded && summary.warnings.isEmpty)
        #expect(summary.roles == ["Mixed Case", "admin", "app", "plain", "readers", "vaultops"])
        let created = try GlobalsFixture.createdDatabases(source.server)
        #expect(summary.databases == (created + ["postgres", "template1"]).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(summary.tablespaces == ["ts_fast"])
        #expect(script.contains("SCRAM-SHA-256$"))
        #expect(!script.contains("DROP ") && !script.contains("DATABASE postgres WITH"))
        let bootstrap = script.split(separator: "\n").filter { $0.hasPrefix("ALTER ROLE vaultops WITH") }
        #expect(bootstrap.count == 1 && !bootstrap[0].contains("PASSWORD"))
        // A grant by a role that holds ADMIN comes after the grant that gave it; pg_dumpall shows its grantor below.
        let byRole = try #require(script.range(of: "GRANT readers TO plain"))
        #expect(script.range(of: "GRANT readers TO \"Mixed Case\"")!.lowerBound < byRole.lowerBound)
        #expect(server.major < 15 || script.contains("GRANT SET ON PARAMETER work_mem TO app;"))

        let options = GlobalsRestoreOptions(tablespaceLocations: [sourceLocation: targetLocation])
        let first = try GlobalsFixture.restore(script, to: target.server, mode: .everything, options: options, in: dir)
        #expect(first.rolesCreated == ["Mixed Case", "admin", "app", "plain", "readers"])
        #expect(first.rolesAltered == ["vaultops"])
        #expect(first.databasesCreated == created)
        #expect(first.databasesExisting == ["postgres", "template1"])
        #expect(first.tablespacesCreated == ["ts_fast"])
        try GlobalsFixture.expectSameGlobals(source.server, target.server, locations: (sourceLocation, targetLocation))

        // Again onto the same server: roles are altered, databases found, nothing fails or changes.
        let second = try GlobalsFixture.restore(script, to: target.server, mode: .everything, options: options, in: dir)
        #expect(second.rolesCreated.isEmpty && second.rolesAltered.count == 6)
        #expect(second.databasesCreated.isEmpty && second.databasesExisting.count == created.count + 2)
        #expect(second.notes.contains { $0.contains("ts_fast") })
        try GlobalsFixture.expectSameGlobals(source.server, target.server, locations: (sourceLocation, targetLocation))
    }

    @Test(arguments: PostgresServers.all)
    func withoutPgAuthidAndWithOptions(_ server: PostgresServer) throws {
        let dir = try TempDir("globals")
        let source = try TemporaryCluster(like: server)
        defer { source.stop() }
        let target = try TemporaryCluster(like: server)
        defer { target.stop() }
        try GlobalsFixture.populate(source.server, in: dir)

        // A CREATEROLE user, as on managed servers, may not read pg_authid: roles without passwords, a warning.
        try source.server.psql("CREATE ROLE limited LOGIN CREATEROLE PASSWORD 'limited-secret'")
        let admin = try source.server.adminURL()
        let limitedURL = admin.replacingOccurrences(of: #"//vaultops:[^@]*@"#, with: "//limited:limited-secret@", options: .regularExpression)
        let (limitedScript, limited) = try GlobalsFixture.dump(url: limitedURL)
        #expect(!limited.passwordsIncluded)
        #expect(limited.warnings.count == 1 && limited.warnings[0].contains("pg_authid"))
        #expect(!limitedScript.contains("PASSWORD"))
        #expect(limited.roles.contains("app"))

        // .rolesAndSettings: roles and their settings, no database and no tablespace.
        let databasesBefore = try target.server.psql("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database")
        let rolesOnly = try GlobalsFixture.restore(limitedScript, to: target.server, mode: .rolesAndSettings, in: dir)
        #expect(rolesOnly.rolesCreated.contains("app") && rolesOnly.databasesCreated.isEmpty)
        #expect(try target.server.psql("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database") == databasesBefore)
        #expect(try target.server.psql("SELECT count(*) FROM pg_tablespace") == "2")
        #expect(try target.server.psql("SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'app'") == "t")
        #expect(try target.server.psql("SELECT array_to_string(setconfig, ';') FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE rolname = 'app' AND setdatabase = 0")
                == "search_path=app, public;work_mem=8MB")
        // … and a role's settings in a database the target has.
        #expect(try target.server.psql("SELECT array_to_string(setconfig, ';') FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE datname = 'postgres' AND setrole = 'app'::regrole")
                == "work_mem=2MB")

        // No passwords, owners or privileges, as pg_dumpall's options.
        var options = GlobalsOptions()
        options.noRolePasswords = true
        options.noOwner = true
        options.noPrivileges = true
        let (bare, bareSummary) = try GlobalsFixture.dump(url: admin, options: options)
        #expect(!bareSummary.passwordsIncluded && bareSummary.warnings.isEmpty)
        #expect(!bare.contains("PASSWORD") && !bare.contains("OWNER") && !bare.contains("GRANT CONNECT") && !bare.contains("GRANT CREATE ON TABLESPACE"))
        let targetLocation = try GlobalsFixture.tablespaceFolder(for: target.server, in: dir)
        let sourceLocation = try source.server.psql("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'ts_fast'")
        // The same left out when restoring a script that has them.
        #expect(limitedScript.contains("OWNER TO") && limitedScript.contains("GRANT CONNECT"))
        let restoreOptions = GlobalsRestoreOptions(tablespaceLocations: [sourceLocation: targetLocation], noOwner: true, noPrivileges: true)
        let everything = try GlobalsFixture.restore(limitedScript, to: target.server, mode: .everything, options: restoreOptions, in: dir)
        #expect(try target.server.psql("SELECT pg_get_userbyid(spcowner) || ':' || (spcacl IS NULL)::text FROM pg_tablespace WHERE spcname = 'ts_fast'") == "vaultops:true")
        #expect(try target.server.psql("SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE r.rolname = 'readers'") == "3")
        let bareTarget = try TemporaryCluster(like: server)
        defer { bareTarget.stop() }
        let bareLocation = try GlobalsFixture.tablespaceFolder(for: bareTarget.server, in: dir)
        let bareReport = try GlobalsFixture.restore(bare, to: bareTarget.server, mode: .everything,
                                                    options: GlobalsRestoreOptions(tablespaceLocations: [sourceLocation: bareLocation]), in: dir)
        #expect(bareReport.databasesCreated == (try GlobalsFixture.createdDatabases(source.server)))
        #expect(try bareTarget.server.psql("SELECT pg_get_userbyid(datdba) || ':' || (datacl IS NULL)::text FROM pg_database WHERE datname = 'Reports'") == "vaultops:true")
        #expect(everything.databasesCreated == (try GlobalsFixture.createdDatabases(source.server)))
        #expect(try target.server.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'") == "vaultops")
        #expect(try target.server.psql("SELECT datacl IS NULL FROM pg_database WHERE datname = 'appdb'") == "t")

        // The databases a whole-server backup dumps: connectable non-templates, minus psql-style patterns.
        let connection = try Connection(admin)
        #expect(try listDatabasesToDump(connection, excluding: ["*_db"]) == ["Reports", "appdb", "legacy", "postgres"])
        #expect(try listDatabasesToDump(connection, excluding: ["*_db", "APP*", "\"Reports\""]) == ["legacy", "postgres"])
        #expect(try listDatabasesToDump(connection, excluding: ["*_db", "reports", "?egac?"]) == ["Reports", "appdb", "postgres"])
        #expect(try listDatabasesToDump(connection, excluding: []) == (try GlobalsFixture.createdDatabases(source.server) + ["postgres"])
            .filter { $0 != "closed" && $0 != "tmpl" }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(throws: PostgresError.self) { try listDatabasesToDump(connection, excluding: ["p.*"]) }
    }

    @Test func rolesRunInOneTransaction() throws {
        let server = try #require(PostgresServers.all.last)
        let dir = try TempDir("globals")
        let target = try TemporaryCluster(like: server)
        defer { target.stop() }
        let script = """
            -- vaultops:globals 1
            -- vaultops:roles
            -- vaultops:role first
            CREATE ROLE first;
            -- vaultops:role second
            ALTER ROLE second WITH LOGIN;
            -- vaultops:end

            """
        let error = try #require(throws: PostgresRestoreError.self) {
            try GlobalsFixture.restore(script, to: target.server, mode: .rolesAndSettings, in: dir)
        }
        #expect(error.kind == .statementFailed && error.line == 6 && error.message.hasPrefix("role \"second\": "))
        #expect(try target.server.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'first'") == "0")
    }

    @Test func errorsNameLineAndObject() throws {
        let server = try #require(PostgresServers.all.last)
        let dir = try TempDir("globals")
        let script = """
            -- vaultops:globals 1
            -- vaultops:roles
            SELECT 1;

            -- vaultops:database nowhere create
            CREATE DATABASE nowhere_\(UUID().uuidString.prefix(6).lowercased()) WITH TEMPLATE = no_such_template;
            -- vaultops:end

            """
        let error = try #require(throws: PostgresRestoreError.self) {
            try GlobalsFixture.restore(script, to: server, mode: .everything, in: dir)
        }
        #expect(error.kind == .statementFailed && error.line == 6)
        #expect(error.message.contains("database \"nowhere\""))
        let cut = try #require(throws: PostgresRestoreError.self) {
            try GlobalsFixture.restore("-- vaultops:globals 1\n-- vaultops:roles\nSELECT 1;\n", to: server, mode: .everything, in: dir)
        }
        #expect(cut.kind == .truncated)
    }
}
