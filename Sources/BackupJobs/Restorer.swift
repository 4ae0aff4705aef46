import Archive
import Foundation
import SQLiteSnapshot
import VaultopsCore

/// What a restore did, for the summary line.
public struct FileRestoreSummary: Sendable {
    public let target: URL
    public let previousCopy: URL?
    public let details: [String]
}

/// `restore` for SQLite snapshots and folder archives (PostgreSQL dumps have their own runner).
public enum Restorer {
    /// Restores a `.db.gz` snapshot over `target` (default: the path in the manifest).
    ///
    /// The artifact is verified first and the restored file integrity-checked before it replaces the target;
    /// the old file is kept as `<path>.pre-restore-<YYYYMMDD_HHMMSS>`.
    public static func restoreSQLite(_ artifact: URL, to target: URL?, now: Date = Date()) throws -> FileRestoreSummary {
        let report = Verifier.verify(artifact)
        guard report.ok else {
            throw BackupJobError.verification(path: artifact.path, reason: report.problems.joined(separator: "; ") + "; nothing was restored")
        }
        guard let destination = target ?? report.manifest?.originalPath.map({ URL(fileURLWithPath: $0) }) else {
            throw BackupJobError.refused(path: artifact.path, reason: "no --to given and no manifest with the original path beside it; say where to restore with --to PATH")
        }
        let folder = destination.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw BackupJobError.refused(path: destination.path, reason: "its folder \(folder.path) does not exist")
        }
        // The candidate is written beside the target so that the final swap is a rename on one filesystem.
        let candidate = folder.appendingPathComponent(".\(destination.lastPathComponent).restore-\(UUID().uuidString.prefix(8)).partial")
        defer { try? FileManager.default.removeItem(at: candidate) }
        let sink = try FileSink(path: candidate.path)
        do {
            try GzipReader(source: FileSource(path: artifact.path), path: artifact.path).copy(to: sink)
            try sink.close()
        } catch {
            try? sink.close()
            throw error
        }
        let outcome = try SQLiteSnapshot.installSnapshot(candidate: candidate, over: destination, now: now)
        var details = ["integrity_check ok"]
        if let previous = outcome.previousCopy { details.append("previous database kept as \(previous.path)") }
        return FileRestoreSummary(target: destination, previousCopy: outcome.previousCopy, details: details)
    }

    /// Restores a `.tar.gz` folder archive into `target` (default: the folder in the manifest).
    ///
    /// The whole archive is read and every entry checked before anything is written: absolute paths, `..`,
    /// links escaping the target, and (without `force`) existing files make the restore refuse.
    public static func restoreFiles(_ artifact: URL, to target: URL?, force: Bool) throws -> FileRestoreSummary {
        let report = Verifier.verify(artifact)
        guard report.ok else {
            throw BackupJobError.verification(path: artifact.path, reason: report.problems.joined(separator: "; ") + "; nothing was restored")
        }
        let single = report.manifest?.originalPath != nil
        guard let destination = target ?? report.manifest?.originalPath.map({ URL(fileURLWithPath: $0) }) else {
            throw BackupJobError.refused(path: artifact.path, reason: "no --to given and no manifest with the original folder beside it; say where to restore with --to DIR")
        }
        // Our archives hold each folder under its base name; restoring one folder puts its contents at the target.
        let strip = single ? 1 : 0
        let plan = try TarExtractor.plan(try TarReader(path: artifact.path, stripComponents: strip), into: destination, force: force)
        let done = try TarExtractor.extract(from: try TarReader(path: artifact.path, stripComponents: strip),
                                            into: destination, plan: plan)
        var details = ["\(done.files) files, \(done.directories) folders, \(done.symlinks + done.hardlinks) links, \(done.bytes) bytes"]
        if !done.replaced.isEmpty { details.append("\(done.replaced.count) existing files replaced (--force)") }
        if !done.skipped.isEmpty { details.append("not created (special files): \(done.skipped.joined(separator: ", "))") }
        return FileRestoreSummary(target: destination, previousCopy: nil, details: details)
    }
}
