import Foundation
import Testing
import TestSupport

/// `backup postgres --all` then `restore --all` from one temporary cluster into another, on every server version:
/// roles, memberships, settings, a tablespace and three different databases come back as pg_dumpall and pg_dump see them.
@Suite("restore --all (CLI, two temporary clusters)")
struct WholeServerRestoreTests {
    static let databases = ["app", "legacy", "archive"]

    /// Roles, a tablespace, three databases with different owners, encodings, ACLs and settings, and tables with data.
    static func populate(_ server: PostgresServer, tablespaceIn dir: TempDir) throws {
        try server.psql("""
            CREATE ROLE app_owner LOGIN PASSWORD 'owner-secret' CONNECTION LIMIT 5;
            CREATE ROLE reporting NOLOGIN;
            CREATE ROLE analyst LOGIN PASSWORD 'analyst-secret' VALID UNTIL '2030-01-01 00:00:00+00';
            GRANT reporting TO analyst WITH ADMIN OPTION;
            ALTER ROLE analyst SET work_mem = '8MB';
            """)
        try server.createTablespace("fastdisk", in: dir)
        try server.psql("CREATE DATABASE app OWNER app_owner TABLESPACE fastdisk")
        try server.psql("CREATE DATABASE legacy OWNER analyst ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
        try server.psql("CREATE DATABASE archive OWNER reporting CONNECTION LIMIT 3")
        try server.psql("""
            ALTER DATABASE app SET statement_timeout = '30s';
            ALTER ROLE analyst IN DATABASE app SET search_path = reporting, public;
            REVOKE CONNECT, TEMPORARY ON DATABASE archive FROM PUBLIC;
            GRANT CONNECT ON DATABASE archive TO analyst;
            COMMENT ON DATABASE legacy IS 'the old system';
            """)
        try server.psql("""
            SET ROLE app_owner;
            CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
            INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 200) g;
            GRANT SELECT ON items TO reporting;
            """, database: "app")
        try server.psql("""
            CREATE TABLE notes (id serial PRIMARY KEY, body text);
            INSERT INTO notes (body) VALUES ('caf\\u00e9'), ('plain');
            ALTER TABLE notes OWNER TO analyst;
            """, database: "legacy")
        try server.psql("CREATE TABLE events (at date, what text); INSERT INTO events VALUES ('2024-01-01', 'start')", database: "archive")
    }

    /// `pg_dumpall --globals-only` without comments, `\restrict` keys and the bootstrap superuser's own lines.
    static func globals(_ server: PostgresServer) throws -> String {
        let r = try runProcess(server.tool("pg_dumpall"), ["--globals-only", "-d", try server.adminURL()])
        guard r.status == 0 else { throw TestSupportError("pg_dumpall on \(server): \(r.stderr)") }
        return comparablePgDumpOutput(r.stdout).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("ROLE vaultops") }.joined(separator: "\n")
    }

    static let tables = ["app": "items", "legacy": "notes", "archive": "events"]

    @Test(arguments: PostgresServers.all)
    func wholeServerRoundTrip(_ server: PostgresServer) throws {
        let source = try TemporaryCluster(like: server)
        defer { source.stop() }
        let target = try TemporaryCluster(like: server)
        defer { target.stop() }
        let dir = try TempDir("restoreall")
        try Self.populate(source.server, tablespaceIn: dir)
        let backups = dir.file("backups")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let backup = try vaultops(["backup", "postgres", "--all", try source.server.adminURL(), "--out", backups.path, "--name", "srv"])
        #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
        let globals = backups.appendingPathComponent("srv_globals_\(todayStamp()).sql.gz")

        // The same machine: the target's tablespace needs a folder of its own.
        let sourceLocation = try source.server.psql("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'fastdisk'")
        let targetLocation = dir.file("target-fastdisk")
        try FileManager.default.createDirectory(at: targetLocation, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // The server refuses a location it does not own (as `createTablespace` arranges for the source).
        let dataDirectory = try target.server.psql("SHOW data_directory")
        if let owner = try FileManager.default.attributesOfItem(atPath: dataDirectory)[.ownerAccountID] {
            try FileManager.default.setAttributes([.ownerAccountID: owner], ofItemAtPath: targetLocation.path)
        }
        let mapping = ["--tablespace-mapping", "\(sourceLocation)=\(targetLocation.path)"]
        let restore = try vaultops(["restore", "--all", globals.path, "--to", try target.server.adminURL()] + mapping)
        #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
        for db in Self.databases { #expect(restore.stdout.contains("database \(db): restored"), "\(restore.stdout)") }

        let expected = try Self.globals(source.server).replacingOccurrences(of: sourceLocation, with: targetLocation.path)
        #expect(try Self.globals(target.server) == expected)
        for db in Self.databases {
            #expect(try target.server.comparableDump(db, ["--schema-only", "--create"]) == source.server.comparableDump(db, ["--schema-only", "--create"]))
            let query = "COPY (SELECT * FROM \(Self.tables[db]!) ORDER BY 1) TO STDOUT"
            #expect(try target.server.psql(query, database: db) == source.server.psql(query, database: db))
        }

        // Again: every database now holds tables, so each is refused (and named) unless --clean.
        let again = try vaultops(["restore", "--all", globals.path, "--to", try target.server.adminURL()] + mapping)
        #expect(again.status == 1, "\(again.stdout)\(again.stderr)")
        #expect(again.stderr.contains("3 database(s) not restored: app, archive, legacy"), "\(again.stderr)")
        let clean = try vaultops(["restore", "--all", "--clean", globals.path, "--to", try target.server.adminURL()] + mapping)
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(try target.server.psql("SELECT count(*) FROM items", database: "app") == "200")

        // Without --all, a globals artifact brings back roles and settings only.
        let third = try TemporaryCluster(like: server)
        defer { third.stop() }
        let roles = try vaultops(["restore", "--yes", globals.path, "--to", try third.server.adminURL()])
        #expect(roles.status == 0, "\(roles.stdout)\(roles.stderr)")
        #expect(try third.server.psql("SELECT count(*) FROM pg_roles WHERE rolname IN ('app_owner', 'reporting', 'analyst')") == "3")
        #expect(try third.server.psql("SELECT count(*) FROM pg_database WHERE datname IN ('app', 'legacy', 'archive')") == "0")
        for db in Self.databases { try source.server.psql("DROP DATABASE \(db)") }
        try source.server.psql("DROP TABLESPACE fastdisk")
        for db in Self.databases { try target.server.psql("DROP DATABASE \(db)") }
        try target.server.psql("DROP TABLESPACE fastdisk")
    }

    @Test("a role that cannot read pg_authid gets the globals without passwords, a warning, and exit 0")
    func withoutPgAuthid() throws {
        let cluster = try TemporaryCluster(like: try #require(PostgresServers.all.last))
        defer { cluster.stop() }
        try cluster.server.psql("CREATE ROLE app LOGIN PASSWORD 'app-secret'; CREATE ROLE backup LOGIN PASSWORD 'backup-secret'")
        var url = try #require(URLComponents(string: try cluster.server.adminURL()))
        url.user = "backup"
        url.password = "backup-secret"
        let dir = try TempDir("allnoauthid")
        let r = try vaultops(["backup", "postgres", "--all", try #require(url.string), "--out", dir.path, "--name", "srv"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("warning: srv_globals"), "\(r.stderr)")
        let globals = dir.file("srv_globals_\(todayStamp()).sql.gz")
        let script = try runProcess("gunzip", ["-c", globals.path]).stdout
        #expect(script.contains("app") && !script.contains("SCRAM-SHA-256$"))
        let manifest = try String(contentsOf: URL(fileURLWithPath: globals.path + ".manifest.json"), encoding: .utf8)
        #expect(manifest.contains("\"role_passwords\" : \"left out\""), "\(manifest)")
    }
}
