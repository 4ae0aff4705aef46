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
        let databases = try listDatabasesToDump(try Connection(conninfo), excluding: server.excludeDatabases)
        var globals = source
        globals.name = ClusterArtifacts.sourceName(source.name, .globals)
        globals.wholeServer = nil
        globals.clusterMember = ClusterMember(name: source.name, role: .globals, run: run, server: server)
        var members = [globals]
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
            return try backupGlobals(member, connection: connection, options: options, now: now)
        case .database:
            return try PostgresBackup.run(connection: connection, options: options,
                                          dumpOptions: DumpOptions(includeOwners: !member.server.noOwner,
                                                                   includePrivileges: !member.server.noPrivileges,
                                                                   skipUnsupportedObjects: source.allowIncomplete),
                                          manifestExtra: member.manifestEntries, now: now)
        }
    }

    /// Writes the globals artifact: roles (with password hashes when `pg_authid` is readable, else without them and
    /// a warning), memberships, settings, tablespaces and every database's `CREATE DATABASE` properties.
    static func backupGlobals(_ member: ClusterMember, connection conninfo: String, options: BackupOptions,
                              now: Date) throws -> BackupResult {
        Redacted.register(connection: conninfo)
        try ArtifactWriter.prepareOutputDirectory(options.outputDirectory)
        let connection = try Connection(conninfo)
        var globalsOptions = GlobalsOptions()
        globalsOptions.noRolePasswords = member.server.noRolePasswords
        globalsOptions.noOwner = member.server.noOwner
        globalsOptions.noPrivileges = member.server.noPrivileges
        var warnings: [String] = []
        let name = options.name ?? ClusterArtifacts.sourceName(member.name, .globals)
        var result = try ArtifactWriter.write(kind: .postgres, sourceName: name, options: options, now: now) { sink in
            let summary = try GlobalsDumper(connection: connection, options: globalsOptions).dump(to: sink)
            warnings = summary.warnings
            var extra = member.manifestEntries
            extra[ClusterArtifacts.passwordsKey] = summary.passwordsIncluded ? "included" : "left out"
            return ProducedContent(source: Redacted.connectionString(conninfo),
                                   serverVersion: "PostgreSQL \(connection.serverVersion)", extra: extra)
        }
        result.warnings += warnings
        return result
    }
}
