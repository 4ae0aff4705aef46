import Archive
import Foundation
import SQLiteSnapshot
import VaultopsCore

/// `restore` of a SQLite snapshot (`.db.gz`): verified, integrity-checked, then swapped in over the database.
public enum SQLiteRestore {
    /// Restores a `.db.gz` snapshot over `target` (default: the path in the manifest).
    ///
    /// The artifact is verified first and the restored file integrity-checked before it replaces the target;
    /// the old file is kept as `<path>.pre-restore-<YYYYMMDD_HHMMSS>`.
    public static func restore(_ artifact: URL, to target: URL?, now: Date = Date()) throws -> FileRestoreSummary {
        let report = Verifier.verify(artifact)
        guard report.ok else {
            throw ArtifactError.verification(path: artifact.path, reason: report.problems.joined(separator: "; ") + "; nothing was restored")
        }
        guard let destination = target ?? report.manifest?.originalPath.map({ URL(fileURLWithPath: $0) }) else {
            throw ArtifactError.refused(path: artifact.path, reason: "no --to given and no manifest with the original path beside it; say where to restore with --to PATH")
        }
        let folder = destination.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw ArtifactError.refused(path: destination.path, reason: "its folder \(folder.path) does not exist")
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
}
