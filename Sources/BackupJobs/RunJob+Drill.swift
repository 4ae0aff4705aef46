import Artifacts
import Foundation
import LibPQ
import PostgresRestore
import SQLiteSnapshot
import VaultopsCore

/// How a source's trial restore (`drill:`) went in the last run.
public struct DrillStatus: Codable, Sendable, Equatable {
    /// Where it restored, credentials hidden (`postgres://…/scratch`, `a temporary folder`).
    public var target: String
    public var ok: Bool
    public var durationSeconds: Double
    /// What was compared (`3 tables, 1200 rows match the manifest`), when it succeeded.
    public var details: String?
    /// Why it failed, already redacted.
    public var error: String?

    public init(target: String, ok: Bool, durationSeconds: Double, details: String? = nil, error: String? = nil) {
        self.target = target
        self.ok = ok
        self.durationSeconds = durationSeconds
        self.details = details
        self.error = error
    }
}

extension RunJob {
    /// Restores tonight's verified artifact into the source's drill target, compares it with the manifest, removes
    /// the scratch copy again, and records the result; a failed drill fails the source.
    static func drill(_ result: inout SourceRunResult, drill: DrillTarget, log: (String) -> Void) {
        let started = Date()
        guard result.backedUp, let artifact = result.artifact else {
            result.drill = DrillStatus(target: drill.description, ok: false, durationSeconds: 0,
                                       error: "not run: tonight's backup has no verified artifact")
            return
        }
        log("source \(result.name): drill: restoring \(artifact.lastPathComponent) into \(drill)")
        do {
            let manifest = try Manifest.load(from: Manifest.sidecarURL(for: artifact))
            let details: String
            switch drill {
            case let .postgres(connection):
                details = try drillPostgres(artifact, manifest: manifest, into: connection)
            case .temporaryFolder:
                details = try drillInTemporaryFolder(artifact, manifest: manifest)
            }
            result.drill = DrillStatus(target: drill.description, ok: true, durationSeconds: Date().timeIntervalSince(started),
                                       details: details)
            log("source \(result.name): drill ok: \(details)")
        } catch {
            let text = oneLine(Redacted.text(String(describing: error)))
            result.drill = DrillStatus(target: drill.description, ok: false, durationSeconds: Date().timeIntervalSince(started),
                                       error: text)
            let message = "drill into \(drill) failed: \(text)"
            result.error = result.error.map { "\($0); \(message)" } ?? message
        }
    }

    /// A clean restore into the scratch database (what a previous drill left of the dump's objects is dropped
    /// first), row counts compared with the manifest, then every object the dump created dropped again.
    static func drillPostgres(_ artifact: URL, manifest: Manifest, into connection: String) throws -> String {
        // `stayInTarget`: the drill never follows a `\connect` or `CREATE DATABASE` elsewhere. No owners or grants:
        // the scratch database's user need not have the production roles.
        let options = RestoreOptions(clean: true, noOwner: true, noPrivileges: true, stayInTarget: true)
        _ = try PostgresRestoreJob.restore(artifact, targetURL: connection, options: options)
        let db = try LibPQ.Connection(connection)
        var compared: Result<String, Error>
        do {
            compared = .success(try compareRowCounts(manifest.tables ?? [:]) { table in
                let found = try db.query("SELECT format('SELECT count(*) FROM %I.%I', n.nspname, c.relname) FROM pg_class c "
                    + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname || '.' || c.relname = $1 AND c.relkind IN ('r', 'p')",
                    [table])
                guard found.rowCount == 1, let count = found[0, 0] else { return nil }
                return try db.execute(count)[0, 0].flatMap { Int64($0) }
            })
        } catch {
            compared = .failure(error)
        }
        // The scratch copy goes whatever the comparison said: the next drill starts from an empty database.
        let plan = try PostgresRestorer.readCleanPlan(PostgresRestoreJob.scriptInput(for: artifact))
        do {
            _ = try db.execute("BEGIN")
            for drop in plan.drops { _ = try db.execute(drop) }
            _ = try db.execute("COMMIT")
        } catch {
            throw BackupJobError.failed("the drill's restored objects could not be dropped from the scratch database: \(error)")
        }
        return try compared.get()
    }

    /// Restores into a fresh temporary folder, compares (SQLite) row counts or (folders) the number of entries
    /// with the manifest, and removes the folder.
    static func drillInTemporaryFolder(_ artifact: URL, manifest: Manifest) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vaultops-drill-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        switch manifest.kind {
        case .sqlite:
            let database = folder.appendingPathComponent("drill.db")
            _ = try Restorer.restoreSQLite(artifact, to: database)
            let counts = try SQLiteSnapshot.rowCounts(path: database.path)
            return try compareRowCounts(manifest.tables ?? [:]) { counts[$0] }
        case .files:
            let target = folder.appendingPathComponent("restored")
            _ = try Restorer.restoreFiles(artifact, to: target, force: false)
            let (entries, bytes) = try walk(target)
            // A single folder is archived under its own name, which restore strips: that entry is not restored.
            let restored = entries + Restorer.stripComponents(for: manifest)
            if let expected = manifest.extra?["entries"].flatMap({ Int($0) }), expected != restored {
                throw BackupJobError.verification(path: artifact.path,
                                                  reason: "the drill restored \(restored) entries but the manifest lists \(expected)")
            }
            return "\(restored) entries, \(bytes) bytes of files restored as the manifest lists"
        case .postgres:
            throw BackupJobError.failed("a postgres artifact needs a scratch database to drill into (drill: postgres://…/scratch_db)")
        }
    }

    /// Compares each table's count with the manifest's; throws naming every table that differs or is missing.
    static func compareRowCounts(_ expected: [String: Int64], count: (String) throws -> Int64?) throws -> String {
        var problems: [String] = []
        for (table, rows) in expected.sorted(by: { $0.key < $1.key }) {
            guard let found = try count(table) else {
                problems.append("table \(table) is missing")
                continue
            }
            if found != rows { problems.append("table \(table) has \(found) rows, the manifest says \(rows)") }
        }
        guard problems.isEmpty else {
            throw BackupJobError.failed("the restored copy differs from the manifest: " + problems.joined(separator: "; "))
        }
        return "\(expected.count) tables, \(expected.values.reduce(0, +)) rows match the manifest"
    }

    /// Entries below `folder` (not following links) and the bytes of its regular files.
    static func walk(_ folder: URL) throws -> (Int, Int64) {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey]) else {
            throw BackupJobError.failed("cannot list the drill's restored folder \(folder.path)")
        }
        var entries = 0
        var bytes: Int64 = 0
        for case let url as URL in enumerator {
            entries += 1
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            if values.isRegularFile == true { bytes += Int64(values.fileSize ?? 0) }
        }
        return (entries, bytes)
    }
}
