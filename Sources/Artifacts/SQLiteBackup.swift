import Archive
import Foundation
import SQLiteSnapshot
import VaultopsCore

/// `backup sqlite`: a `VACUUM INTO` snapshot, integrity-checked, gzipped into `<name>_<date>.db.gz`.
public enum SQLiteBackup {
    /// Backs up the SQLite database at `path`.
    public static func run(path: URL, options: BackupOptions, now: Date = Date()) throws -> BackupResult {
        let source = path.standardizedFileURL
        guard FileManager.default.fileExists(atPath: source.path) else {
            throw ArtifactError.source(path: source.path, reason: "no such file")
        }
        let name = options.name ?? ArtifactName.defaultSource(kind: .sqlite, path: source.path)
        try ArtifactWriter.prepareOutputDirectory(options.outputDirectory)
        // The snapshot goes beside the artifact, not to /tmp: /tmp is often a small tmpfs, and the backup
        // folder is where the operator planned for the space. Its `.partial` name keeps prune and verify off it.
        let snapshot = options.outputDirectory.appendingPathComponent(".\(name).snapshot-\(UUID().uuidString.prefix(8)).db.partial")
        defer { try? FileManager.default.removeItem(at: snapshot) }
        let info = try SQLiteSnapshot.snapshot(of: source, into: snapshot, checked: false)
        // The snapshot is integrity-checked and counted on a thread of its own while it is compressed; a damaged
        // snapshot still fails the backup, and the artifact is discarded.
        let snapshotPath = snapshot.path
        let inspection = BackgroundWork { () throws -> [String: Int64] in
            try SQLiteSnapshot.integrityCheck(path: snapshotPath)
            return try SQLiteSnapshot.rowCounts(path: snapshotPath)
        }
        // Declared after the snapshot's removal, so it runs first: the checker is done with the file before it goes.
        defer { _ = try? inspection.wait() }
        return try ArtifactWriter.write(kind: .sqlite, sourceName: name, options: options, now: now,
                                        expectedBytes: info.byteCount) { sink in
            try FileSource(path: snapshotPath).copy(to: sink)
            return ProducedContent(
                source: source.path,
                originalPath: source.path,
                serverVersion: "SQLite \(info.sqliteVersion)",
                tables: try inspection.wait()
            )
        }
    }
}
