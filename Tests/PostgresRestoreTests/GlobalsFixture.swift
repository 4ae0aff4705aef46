import Archive
import Foundation
import LibPQ
import PostgresDump
import PostgresRestore
import Testing
import TestSupport

/// The source cluster of the globals tests and the comparisons between two clusters.
enum GlobalsFixture {
    /// Roles with passwords, memberships (with INHERIT/SET options from 16, one granted by a role), role settings (also
    /// per database), parameter privileges (15+), a tablespace, three databases with different owners, encodings,
    /// locales, limits, ACLs, settings and comments, a template database and one that allows no connections.
    static func populate(_ server: PostgresServer, in dir: TempDir) throws {
        let v16 = server.major >= 16
        let libc = server.major >= 15 ? "LOCALE_PROVIDER libc" : ""
        try server.psql("""
            CREATE ROLE app LOGIN PASSWORD 'app-secret' CONNECTION LIMIT 5 VALID UNTIL '2031-01-01 00:00:00+00';
            COMMENT ON ROLE app IS 'the application''s role';
            CREATE ROLE readers NOLOGIN;
            CREATE ROLE "Mixed Case" NOLOGIN NOINHERIT;
            CREATE ROLE admin LOGIN CREATEDB CREATEROLE PASSWORD 'admin-secret';
            CREATE ROLE plain LOGIN REPLICATION BYPASSRLS PASSWORD 'plain-secret';
            GRANT readers TO app\(v16 ? " WITH INHERIT FALSE, SET TRUE" : "");
            GRANT readers TO "Mixed Case" WITH ADMIN OPTION;
            GRANT pg_read_all_data TO readers;
            ALTER ROLE app SET search_path TO app, public;
            ALTER ROLE app SET work_mem TO '8MB';
            ALTER ROLE "Mixed Case" SET statement_timeout TO '1min';
            SET ROLE "Mixed Case";
            GRANT readers TO plain;
            RESET ROLE;
            """)
        if server.major >= 15 {
            try server.psql("GRANT SET ON PARAMETER work_mem TO app; GRANT ALTER SYSTEM ON PARAMETER log_min_duration_statement TO admin WITH GRANT OPTION")
        }
        try server.createTablespace("ts_fast", in: dir)
        for sql in [
            "ALTER TABLESPACE ts_fast SET (random_page_cost = 1.1)",
            "GRANT CREATE ON TABLESPACE ts_fast TO app",
            "COMMENT ON TABLESPACE ts_fast IS 'fast disks'",
            "CREATE DATABASE appdb OWNER app CONNECTION LIMIT 20",
            "CREATE DATABASE legacy WITH TEMPLATE template0 ENCODING 'LATIN1' \(libc) LC_COLLATE 'C' LC_CTYPE 'C' OWNER admin TABLESPACE ts_fast",
            "CREATE DATABASE \"Reports\" OWNER \"Mixed Case\"",
            "REVOKE CONNECT, TEMPORARY ON DATABASE appdb FROM PUBLIC",
            "GRANT CONNECT ON DATABASE appdb TO readers",
            "GRANT ALL ON DATABASE \"Reports\" TO app WITH GRANT OPTION",
            "ALTER DATABASE appdb SET statement_timeout = '30s'",
            "ALTER ROLE app IN DATABASE appdb SET work_mem = '16MB'",
            "ALTER ROLE ALL IN DATABASE legacy SET DateStyle = 'SQL, DMY'",
            "ALTER ROLE app IN DATABASE postgres SET work_mem = '2MB'",
            "CREATE DATABASE tmpl IS_TEMPLATE true",
            "CREATE DATABASE closed ALLOW_CONNECTIONS false",
            "COMMENT ON DATABASE appdb IS 'main application'",
            "COMMENT ON DATABASE postgres IS 'maintenance'",
            "ALTER DATABASE template1 SET work_mem = '4MB'",
        ] { try server.psql(sql) }
        if try hasICU(server) {
            let rules = server.major >= 16 ? " ICU_RULES '&a < b'" : ""
            try server.psql("CREATE DATABASE icu_db TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C.UTF-8'\(rules)")
        }
        if server.major >= 17 {
            try server.psql("CREATE DATABASE builtin_db TEMPLATE template0 LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8' LOCALE 'C.UTF-8'")
        }
    }

    /// Whether the server has ICU locales for databases (15+, when built with ICU: PostgreSQL 16+ builds it unless
    /// told not to, and the CI's 16-18 wheels are built without it).
    static func hasICU(_ server: PostgresServer) throws -> Bool {
        guard server.major >= 15 else { return false }
        let configure = try server.psql("SELECT setting FROM pg_config WHERE name = 'CONFIGURE'")
        return server.major >= 16 ? !configure.contains("--without-icu") : configure.contains("--with-icu")
    }

    /// The databases `populate` creates on `server`, sorted as the dumper and restorer list them.
    static func createdDatabases(_ server: PostgresServer) throws -> [String] {
        var names = ["Reports", "appdb", "closed", "legacy", "tmpl"]
        if try hasICU(server) { names.append("icu_db") }
        if server.major >= 17 { names.append("builtin_db") }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// A new folder for a tablespace of `server`, owned by the user it runs as.
    static func tablespaceFolder(for server: PostgresServer, in dir: TempDir) throws -> String {
        let dataDirectory = try server.psql("SHOW data_directory")
        let owner = try FileManager.default.attributesOfItem(atPath: dataDirectory)[.ownerAccountID]
        let folder = dir.file("target-tablespace-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let owner { try FileManager.default.setAttributes([.ownerAccountID: owner], ofItemAtPath: folder.path) }
        return folder.path
    }

    /// The globals script of the server's maintenance database, as text.
    static func dump(_ server: PostgresServer, options: GlobalsOptions = GlobalsOptions()) throws -> (String, GlobalsSummary) {
        try dump(url: try server.adminURL(), options: options)
    }

    static func dump(url: String, options: GlobalsOptions = GlobalsOptions()) throws -> (String, GlobalsSummary) {
        let connection = try Connection(url)
        let sink = TextSink()
        let summary = try GlobalsDumper(connection: connection, options: options).dump(to: sink)
        return (String(decoding: sink.bytes, as: UTF8.self), summary)
    }

    /// Restores `script` (written to a file first, as an artifact is) onto `server`.
    @discardableResult
    static func restore(_ script: String, to server: PostgresServer, mode: GlobalsRestoreMode,
                        options: GlobalsRestoreOptions = GlobalsRestoreOptions(), in dir: TempDir) throws -> GlobalsRestoreReport {
        let file = dir.file("globals-\(UUID().uuidString.prefix(8)).sql")
        try script.write(to: file, atomically: true, encoding: .utf8)
        return try GlobalsRestorer.restore(script: .file(file.path), to: try server.adminURL(), mode: mode, options: options)
    }

    /// `pg_dumpall --globals-only` of both servers agree (but for the bootstrap superuser's lines and the
    /// tablespace's location), and so do every database's properties.
    static func expectSameGlobals(_ source: PostgresServer, _ target: PostgresServer, locations: (String, String)) throws {
        let a = try globals(source)
        let b = try globals(target).replacingOccurrences(of: "'\(locations.1)'", with: "'\(locations.0)'")
        #expect(a == b, "\(differentLines(a, b))")
        #expect(a.contains("ROLE app") && a.contains("TABLESPACE ts_fast"))
        let databases = try databaseProperties(source)
        let targetDatabases = try databaseProperties(target)
        #expect(databases == targetDatabases, "\(differentLines(databases, targetDatabases))")
        #expect(databases.contains("legacy|admin|LATIN1|C|C|-1"))
    }

    /// The lines only one of two texts has, for a failure message.
    static func differentLines(_ a: String, _ b: String) -> String {
        let linesA = a.split(separator: "\n"), linesB = b.split(separator: "\n")
        return "source only: \(linesA.filter { !linesB.contains($0) })\ntarget only: \(linesB.filter { !linesA.contains($0) })"
    }

    static func globals(_ server: PostgresServer) throws -> String {
        let r = try runProcess(server.tool("pg_dumpall"), ["--globals-only", "-d", try server.adminURL()])
        guard r.status == 0 else { throw TestSupportError("pg_dumpall on \(server): \(r.stderr)") }
        return comparablePgDumpOutput(r.stdout).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("ROLE vaultops") }
            .joined(separator: "\n")
    }

    /// Every database's properties; ACL entries sorted, since a REVOKE ALL and GRANT back (pg_dump's way too)
    /// on an existing database such as template1 moves an entry to the end without changing what it grants.
    static func databaseProperties(_ server: PostgresServer) throws -> String {
        let provider = server.major >= 17 ? "d.datlocprovider::text || ':' || coalesce(d.datlocale, '') || ':' || coalesce(d.daticurules, '')"
            : server.major >= 16 ? "d.datlocprovider::text || ':' || coalesce(d.daticulocale, '') || ':' || coalesce(d.daticurules, '')"
            : server.major >= 15 ? "d.datlocprovider::text || ':' || coalesce(d.daticulocale, '')" : "''"
        return try server.psql("""
            SELECT d.datname, pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,
                   d.datconnlimit, d.datallowconn, d.datistemplate, \(provider),
                   (SELECT array_agg(x::text ORDER BY x::text) FROM unnest(d.datacl) x), t.spcname,
                   shobj_description(d.oid, 'pg_database'),
                   (SELECT string_agg(coalesce(r.rolname, '*') || ':' || array_to_string(s.setconfig, ';'), ' ' ORDER BY r.rolname NULLS FIRST)
                    FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole WHERE s.setdatabase = d.oid)
            FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace
            ORDER BY d.datname
            """)
    }
}

/// Collects what a dumper writes.
final class TextSink: ByteSink {
    var bytes: [UInt8] = []
    func write(_ buffer: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: buffer) }
}
