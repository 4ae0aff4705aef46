import Archive
import Foundation
import LibPQ
import PostgresDump
import VaultopsCore

/// `backup postgres`: a plain SQL dump through libpq (one consistent snapshot), gzipped into `<name>_<date>.sql.gz`.
public enum PostgresBackup {
    /// Dumps the database `connection` (a libpq URI or keyword string) names.
    ///
    /// The connection string may hold a password; it only ever appears redacted (manifest, logs, errors).
    public static func run(connection conninfo: String, options: BackupOptions, dumpOptions: DumpOptions = DumpOptions(),
                           now: Date = Date()) throws -> BackupResult {
        let name = options.name ?? ArtifactName.defaultSource(kind: .postgres, path: "")
        try ArtifactWriter.checkOutputDirectory(options.outputDirectory)
        let connection = try Connection(conninfo)
        let redacted = Redacted.connectionString(conninfo)
        return try ArtifactWriter.write(kind: .postgres, sourceName: name, options: options, now: now) { sink in
            let summary = try PostgresDumper(connection: connection, options: dumpOptions).dump(to: SinkAdapter(sink))
            var extra: [String: String]? = nil
            if !summary.skipped.isEmpty { extra = ["skipped": summary.skipped.joined(separator: "\n")] }
            return ProducedContent(source: redacted, serverVersion: "PostgreSQL \(summary.serverVersion)",
                                   tables: summary.tables, extra: extra)
        }
    }
}

/// Lets the dumper write into an Archive byte sink.
private struct SinkAdapter: SQLSink {
    let sink: ByteSink
    init(_ sink: ByteSink) { self.sink = sink }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try sink.write(bytes) }
}
