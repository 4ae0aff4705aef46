import Foundation
import LibPQ
import PostgresDump
import PostgresRestore
import VaultopsCore

/// Whole-server backups (`backup postgres --all`, a `postgres_all:` source): the server's globals, then one dump
/// per database, each its own artifact from its own snapshot, through the same writer, verify, upload and prune.
///
/// A `postgres_all:` source is expanded into its members here (`members(of:run:)`), each an ordinary postgres
/// `SourceConfig` with a `clusterMember`, so `run`, `status` and retention treat every database as a source of
/// its own; a database created later is simply one more member on the next run.
public enum ClusterBackup {
    /// What one member's backup gave: its result, or why it failed.
    public struct Outcome: Sendable {
        public var member: SourceConfig
        public var result: Result<BackupResult, any Error>
    }

    /// The members of the whole-server `source`: globals first, then each database (templates, databases that
    /// refuse connections and those matching `exclude_database:` left out), by name.
    public static func members(of source: SourceConfig, run: Date) throws -> [SourceConfig] {
        guard case let .postgres(conninfo) = source.target, let server = source.wholeServer else {
            throw wrongSource(source, for: .postgres)
        }
        Redacted.register(connection: conninfo)
        let databases = try listDatabases(conninfo, excluding: server.excludeDatabases)
        var globals = source
        globals.name = ClusterArtifacts.sourceName(source.name, .globals)
        globals.wholeServer = nil
        globals.clusterMember = ClusterMember(name: source.name, role: .globals, run: run, server: server)
        var members: [SourceConfig] = []
        for database in databases {
            var member = globals
            member.name = ClusterArtifacts.sourceName(source.name, .database(database))
            member.target = .postgres(connection: try ConnectionString.replacingDatabase(in: conninfo, with: database))
            member.clusterMember = ClusterMember(name: source.name, role: .database(database), run: run, server: server)
            members.append(member)
        }
        return members
    }

    /// Backs up every member of `source` into `options`' folder (its `name` is replaced by each member's): every
    /// member is attempted whatever happened to the others; a failed one leaves no artifact (only `.partial`s the
    /// writer removes).
    public static func run(_ source: SourceConfig, options: BackupOptions, now: Date = Date()) throws -> [Outcome] {
        try members(of: source, run: now).map { member in
            var memberOptions = options
            memberOptions.name = member.name
            return Outcome(member: member, result: Result { try PostgresArtifact().backup(member, options: memberOptions, now: now) })
        }
    }

    /// Backs up one member: the globals, or one database's dump marked as part of the set.
    static func backup(_ member: ClusterMember, connection: String, source: SourceConfig, options: BackupOptions,
                       now: Date) throws -> BackupResult {
        switch member.role {
        case .globals:
            throw ArtifactError.failed("internal: globals are not backed up yet")
        case .database:
            return try PostgresBackup.run(connection: connection, options: options,
                                          dumpOptions: DumpOptions(includeOwners: !member.server.noOwner,
                                                                   includePrivileges: !member.server.noPrivileges,
                                                                   skipUnsupportedObjects: source.allowIncomplete),
                                          manifestExtra: member.manifestEntries, now: now)
        }
    }

    /// The databases of the server `conninfo` names that a whole-server backup dumps, by name.
    static func listDatabases(_ conninfo: String, excluding patterns: [String]) throws -> [String] {
        let connection = try Connection(conninfo)
        let rows = try connection.query("SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname", [])
        return (0..<rows.rowCount).compactMap { rows[$0, 0] }.filter { name in
            !patterns.contains { DatabasePattern.matches($0, name) }
        }
    }
}

/// `--exclude-database` patterns as pg_dumpall reads them: `*` any run of characters, `?` one, anything else itself.
enum DatabasePattern {
    /// Whether `name` matches `pattern` as a whole (pure).
    static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.unicodeScalars), n = Array(name.unicodeScalars)
        // Classic two-pointer glob match with one backtracking point for the last `*`.
        var i = 0, j = 0, star: Int? = nil, mark = 0
        while j < n.count {
            if i < p.count, p[i] == "?" || p[i] == n[j] {
                i += 1; j += 1
            } else if i < p.count, p[i] == "*" {
                star = i; mark = j; i += 1
            } else if let s = star {
                i = s + 1; mark += 1; j = mark
            } else {
                return false
            }
        }
        while i < p.count, p[i] == "*" { i += 1 }
        return i == p.count
    }
}
