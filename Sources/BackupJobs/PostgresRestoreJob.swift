import Archive
import Foundation
import PostgresRestore
import VaultopsCore

/// `restore` for PostgreSQL dumps (`.sql.gz` or `.sql`, ours or pg_dump's).
public enum PostgresRestoreJob {
    /// The script of `artifact`, decompressed when it is gzip.
    public static func scriptInput(for artifact: URL) -> ScriptInput {
        let path = artifact.path
        if path.hasSuffix(".gz") {
            return ScriptInput(name: path) { try GzipReader(path: path) }
        }
        return ScriptInput.file(path)
    }

    /// Verifies `artifact` (gzip CRC and length, manifest SHA-256, completion marker) and restores it into `targetURL`.
    ///
    /// One transaction by default, so a failure leaves the target as it was; a target that already holds
    /// user tables is refused unless `options.clean` or `options.force`.
    public static func restore(_ artifact: URL, targetURL: String, options: RestoreOptions,
                               progress: ((RestoreProgress) -> Void)? = nil) throws -> PostgresRestore.RestoreSummary {
        let report = Verifier.verify(artifact)
        guard report.ok else {
            throw BackupJobError.verification(path: artifact.path, reason: report.problems.joined(separator: "; ") + "; nothing was restored")
        }
        return try PostgresRestorer(targetURL: targetURL, options: options).restore(scriptInput(for: artifact), progress: progress)
    }
}
