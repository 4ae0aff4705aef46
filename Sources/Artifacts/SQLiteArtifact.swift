import Archive
import Foundation
import SQLiteSnapshot
import VaultopsCore

/// SQLite snapshots: `.db.gz`, a `VACUUM INTO` copy of the database, gzipped.
///
/// Backed up by `SQLiteBackup`, restored by `SQLiteRestore.restore`.
public struct SQLiteArtifact: ArtifactHandler {
    public init() {}

    public var kind: ArtifactKind { .sqlite }
    public var description: String { "SQLite snapshot" }
    public var endings: [ArtifactEnding] { [ArtifactEnding(".db.gz", gzipped: true)] }
    /// On SQLite's binary pages libdeflate needs a deeper search than on text (SQL, most folders) to stay as small
    /// as gzip at the same level.
    public var deflateEngine: DeflateEngine { .libdeflatePages }
    /// The snapshot is written uncompressed beside the artifact first.
    public var stagesUncompressedCopy: Bool { true }
    /// The integrity_check of the snapshot itself: cheap, and needs no server.
    public var backupPointChecksDeep: Bool { true }

    public func backup(_ source: SourceConfig, options: BackupOptions, now: Date) throws -> BackupResult {
        guard case let .sqlite(path) = source.target else { throw wrongSource(source, for: kind) }
        return try SQLiteBackup.run(path: URL(fileURLWithPath: path), options: options, now: now)
    }

    public func sourceProblem(_ source: SourceConfig) -> String? {
        guard case let .sqlite(path) = source.target else { return "\(wrongSource(source, for: kind))" }
        return readableProblem(path, folder: false)
    }

    /// The SQLite header; with `deep`, the integrity_check of the database and its row counts against the manifest.
    public func verifyContent(_ content: any ContentSource, _ check: inout VerifyCheck) throws {
        guard check.deep else {
            // Even without --deep, the content must start like what the name promises.
            try check.checkStart(of: content, limit: TarReader.blockSize, ok: "SQLite header checked") { head in
                head.starts(with: Array("SQLite format 3\0".utf8)) ? nil
                    : "not a SQLite database: the content does not start with SQLite's 16-byte header"
            }
            return
        }
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("vaultops-verify-\(UUID().uuidString.prefix(8)).db")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let sink = try FileSink(path: scratch.path)
        try content.copy(to: sink)
        try sink.close()
        do {
            try SQLiteSnapshot.integrityCheck(path: scratch.path)
            check.checks.append("SQLite integrity_check ok")
        } catch {
            check.problems.append("SQLite integrity_check: \(error)")
            return
        }
        let counts = try SQLiteSnapshot.rowCounts(path: scratch.path)
        if let expected = check.manifest?.tables {
            for (table, rows) in expected.sorted(by: { $0.key < $1.key }) where counts[table] != rows {
                check.problems.append("table \(table): \(counts[table].map(String.init) ?? "missing") rows, manifest says \(rows)")
            }
            if check.problems.isEmpty { check.checks.append("row counts of \(expected.count) tables match the manifest") }
        }
    }

    public func restore(_ artifact: URL, named name: String, request: RestoreRequest) throws -> RestoreReport {
        if let part = request.partOfArtifact { throw RestoreRequestError("\(part) does not apply to a SQLite snapshot (\(name))") }
        let summary = try SQLiteRestore.restore(artifact, to: request.target.map { URL(fileURLWithPath: $0) })
        return RestoreReport(lines: ["restored \(name) to \(summary.target.path): \(summary.details.joined(separator: "; "))"])
    }

    /// Integrity-checked before it replaces the file, the old file kept beside it.
    public func restore(_ artifact: URL, over source: SourceConfig) throws -> String {
        guard case let .sqlite(path) = source.target else { throw wrongSource(source, for: kind) }
        let summary = try SQLiteRestore.restore(artifact, to: URL(fileURLWithPath: path))
        return "restored \(artifact.lastPathComponent): \(summary.details.joined(separator: "; "))"
    }

    /// Restores into a temporary folder and compares the row counts with the manifest.
    public func drill(_ artifact: URL, manifest: Manifest, into target: DrillTarget) throws -> String {
        guard target == .temporaryFolder else { throw Drill.wrongTarget(target, for: kind) }
        return try Drill.inTemporaryFolder { folder in
            let database = folder.appendingPathComponent("drill.db")
            _ = try SQLiteRestore.restore(artifact, to: database)
            let counts = try SQLiteSnapshot.rowCounts(path: database.path)
            return try Drill.compareRowCounts(manifest.tables ?? [:]) { counts[$0] }
        }
    }
}
