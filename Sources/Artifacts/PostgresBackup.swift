import Archive
import Foundation
import LibPQ
import PostgresDump
import PostgresRestore
import VaultopsCore

/// `backup postgres`: a plain SQL dump through libpq (one consistent snapshot), gzipped into `<name>_<date>.sql.gz`.
public enum PostgresBackup {
    /// Dumps the database `connection` (a libpq URI or keyword string) names.
    ///
    /// The connection string may hold a password; it only ever appears redacted (manifest, logs, errors).
    /// With `engine` `.pgDump` the installed pg_dump (or `pgDumpPath`) writes the script instead of vaultops' dumper.
    public static func run(connection conninfo: String, options: BackupOptions, dumpOptions: DumpOptions = DumpOptions(),
                           engine: PostgresEngine = .native, pgDumpPath: String? = nil,
                           manifestExtra: [String: String] = [:], now: Date = Date()) throws -> BackupResult {
        // Before anything can log it (either engine): libpq hides the password only in its own messages.
        Redacted.register(connection: conninfo)
        if engine == .pgDump {
            return try PgDumpEngine.run(connection: conninfo, options: options, dumpOptions: dumpOptions,
                                        program: pgDumpPath, now: now)
        }
        let name = options.name ?? ArtifactName.defaultSource(kind: .postgres, path: "")
        try ArtifactWriter.prepareOutputDirectory(options.outputDirectory)
        let connection = try Connection(conninfo)
        let redacted = Redacted.connectionString(conninfo)
        return try ArtifactWriter.write(kind: .postgres, sourceName: name, options: options, now: now) { sink in
            let indexing = DumpIndexingSink(sink, name: name)
            let summary = try PostgresDumper(connection: connection, options: dumpOptions).dump(to: indexing)
            var extra = manifestExtra
            // What --allow-incomplete let the dump leave out, one "kind name" per line.
            if !summary.skipped.isEmpty { extra[notDumpedKey] = summary.skipped.joined(separator: "\n") }
            var content = ProducedContent(source: redacted, serverVersion: "PostgreSQL \(summary.serverVersion)",
                                          tables: summary.tables, extra: extra.isEmpty ? nil : extra)
            content.dumpData = indexing.finish().map(PartialDumpRestore.indexEntries)
            return content
        }
    }
}

extension PostgresBackup {
    /// Dumps with the default options; objects the dump cannot recreate are left out (and listed in the
    /// manifest) only when `allowIncomplete` (a source's `allow_incomplete: true`), else they stop the backup.
    /// `engine` `.pgDump` has `pgDumpPath` (nil: the best pg_dump installed) write it instead.
    public static func run(connection conninfo: String, options: BackupOptions, allowIncomplete: Bool,
                           engine: PostgresEngine = .native, pgDumpPath: String? = nil,
                           now: Date = Date()) throws -> BackupResult {
        try run(connection: conninfo, options: options, dumpOptions: DumpOptions(skipUnsupportedObjects: allowIncomplete),
                engine: engine, pgDumpPath: pgDumpPath, now: now)
    }
}

/// The manifest's `extra` key listing the objects an incomplete dump lacks (`--allow-incomplete`).
public let notDumpedKey = "not_dumped"

extension BackupResult {
    /// The objects this dump lacks because `--allow-incomplete` let it leave them out ("kind name").
    public var notDumped: [String] {
        manifest.extra?[notDumpedKey].map { $0.split(separator: "\n").map(String.init) } ?? []
    }
}
