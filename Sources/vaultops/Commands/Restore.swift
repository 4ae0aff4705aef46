import ArgumentParser
import BackupJobs
import Foundation
import VaultopsCore

/// `vaultops restore ARTIFACT`: put a backup back, safely by default.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore an artifact after verifying it; refuses to make things worse.",
        discussion: """
        .db.gz: the restored database is integrity-checked before it replaces the target; the old file is kept \
        as <path>.pre-restore-<YYYYMMDD_HHMMSS>. .tar.gz: entries that would escape the target are refused and \
        existing files are only replaced with --force. Damaged artifacts are refused before anything is touched.
        """
    )

    @Argument(help: "The artifact to restore (.db.gz, .tar.gz).")
    var artifact: String

    @Option(help: "Where to restore: a database path or a folder (default: the original path in the manifest).")
    var to: String?

    @Flag(help: "Replace existing files (folders).")
    var force = false

    func run() throws {
        let url = URL(fileURLWithPath: artifact)
        guard let format = ArtifactFormat.of(fileName: url.lastPathComponent) else {
            throw BackupJobError.unknownArtifact(path: artifact)
        }
        let target = to.map { URL(fileURLWithPath: $0) }
        let summary: RestoreSummary
        switch format.kind {
        case .sqlite:
            summary = try Restorer.restoreSQLite(url, to: target)
        case .files:
            summary = try Restorer.restoreFiles(url, to: target, force: force)
        case .postgres:
            throw ValidationError("restoring PostgreSQL dumps is not available in this build yet")
        }
        print("restored \(artifact) to \(summary.target.path): \(summary.details.joined(separator: "; "))")
    }
}
