import Archive
import Foundation
import LibPQ

/// Writes the cluster-wide part of a server as a SQL script, like `pg_dumpall --globals-only` plus each
/// database's `CREATE DATABASE` and properties (what `pg_dump --create` writes before a database's objects).
///
/// The script's sections are marked for `GlobalsRestorer` (see `GlobalsMarkers`): roles (created only when
/// missing, then altered; the bootstrap superuser only altered), memberships and role settings; tablespaces; then
/// one section per database. Password hashes come from `pg_authid` when the user may read it; otherwise the roles
/// are written without them and `GlobalsSummary.warnings` says so. Everything is read in one snapshot.
/// - Important: Uses the connection exclusively for the duration of `dump`; not thread-safe.
public final class GlobalsDumper {
    private let connection: Connection
    private let options: GlobalsOptions

    /// Creates a dumper for the server `connection` is attached to (any of its databases).
    public init(connection: Connection, options: GlobalsOptions = GlobalsOptions()) {
        self.connection = connection
        self.options = options
    }

    /// Writes the globals script to `sink`; the bytes handed to `sink` are valid only during its `write`.
    public func dump(to sink: any ByteSink) throws -> GlobalsSummary {
        guard !connection.isInTransaction else {
            throw PostgresError(kind: .usage, message: "the connection is inside a transaction; the dump needs its own",
                                context: connection.redactedTarget)
        }
        let out = ScriptWriter(sink: sink, progress: nil)
        do {
            try connection.execute("""
                BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
                SET LOCAL client_encoding = 'UTF8';
                SET LOCAL DateStyle = ISO;
                SET LOCAL statement_timeout = 0;
                SELECT pg_catalog.set_config('search_path', '', true);
                """)
            let summary = try dumpInTransaction(out)
            _ = try? connection.execute("COMMIT")
            return summary
        } catch {
            if connection.isOpen { _ = try? connection.execute("ROLLBACK") }
            throw error
        }
    }

    private func dumpInTransaction(_ out: ScriptWriter) throws -> GlobalsSummary {
        let version = connection.serverVersionNumber
        var warnings: [String] = []
        var withPasswords = !options.noRolePasswords
        if withPasswords {
            let readable = try connection.execute("SELECT pg_catalog.has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS ok")
            if try !readable.rows[0].bool("ok") {
                withPasswords = false
                warnings.append("role passwords not dumped: \(connection.redactedTarget) may not read pg_authid "
                                + "(as pg_dumpall --no-role-passwords); set them again after a restore")
            }
        }
        let roles = try GlobalsCatalog.roles(connection, passwords: withPasswords)
        let memberships = try GlobalsCatalog.memberships(connection, version: version)
        let roleSettings = try GlobalsCatalog.roleSettings(connection)
        let parameterGrants = options.noPrivileges ? [] : try GlobalsCatalog.parameterPrivileges(connection, version: version)
        let tablespaces = try GlobalsCatalog.tablespaces(connection)
        let databases = try GlobalsCatalog.databases(connection, version: version)

        try out.write("""
            \(GlobalsMarkers.prefix)globals 1
            --
            -- PostgreSQL globals (vaultops): roles, tablespaces and database properties
            --
            -- Dumped from database version \(SQLText.commentSafe(connection.serverVersion))

            SET default_transaction_read_only = off;
            SET client_encoding = 'UTF8';
            SET standard_conforming_strings = on;

            \(GlobalsMarkers.prefix)roles

            """)
        for role in roles { try out.write(GlobalsSQL.role(role)) }
        if !memberships.isEmpty { try out.write("\n--\n-- Role memberships\n--\n\n") }
        for membership in GlobalsSQL.orderedMemberships(memberships) { try out.write(GlobalsSQL.grant(membership)) }
        if !roleSettings.isEmpty { try out.write("\n--\n-- Role settings\n--\n\n") }
        for (role, setting) in roleSettings { try out.write("ALTER ROLE \(role) \(GlobalsSQL.setClause(setting));\n") }
        if !parameterGrants.isEmpty { try out.write("\n--\n-- Role privileges on configuration parameters\n--\n\n") }
        for grants in parameterGrants { try out.write(GlobalsMarkers.tagged(privileges: grants)) }
        for tablespace in tablespaces { try out.write(GlobalsSQL.tablespaceSection(tablespace, options: options)) }
        for database in databases { try out.write(GlobalsSQL.databaseSection(database, options: options)) }
        try out.write("\n\(GlobalsMarkers.prefix)end\n")
        try out.flush()
        return GlobalsSummary(roles: roles.map(\.name), databases: databases.map(\.name),
                              tablespaces: tablespaces.map(\.name), passwordsIncluded: withPasswords, warnings: warnings)
    }
}

@available(*, unavailable)
extension GlobalsDumper: Sendable {}

/// Non-template databases that allow connections, sorted, minus those matching any pattern (pg_dumpall's
/// `--exclude-database` rules: shell-style `*` and `?`, unquoted letters folded to lower case, `"…"` literal).
public func listDatabasesToDump(_ connection: Connection, excluding patterns: [String]) throws -> [String] {
    let regexes = try patterns.map { pattern in
        guard let regex = GlobalsSQL.patternRegex(pattern) else {
            throw PostgresError(kind: .usage, message: "improper database name pattern \"\(pattern)\" (a dot outside double quotes)",
                                context: "--exclude-database")
        }
        return SQLText.literal(regex)
    }
    let exclude = regexes.isEmpty ? "" : " AND NOT datname ~ ANY (ARRAY[\(regexes.joined(separator: ", "))]::pg_catalog.text[])"
    let result = try connection.execute("""
        SELECT datname FROM pg_catalog.pg_database
        WHERE datallowconn AND NOT datistemplate\(exclude)
        ORDER BY datname COLLATE "C"
        """)
    return try result.rows.map { try $0.string("datname") }
}
