import ArgumentParser
import Artifacts
import Foundation
import VaultopsCore

/// `vaultops backup`: the group of backup commands.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a backup artifact (with its .manifest.json) of a database or folders.",
        subcommands: [BackupPostgres.self, BackupSQLite.self, BackupFiles.self]
    )
}

/// Options every backup takes.
struct BackupOutputOptions: ParsableArguments {
    @Option(name: .long, help: "Folder to write the artifact into (must exist).")
    var out: String = "."

    @Option(name: .long, help: "Source name used in the file name (<name>_<YYYYMMDD>.<ext>).")
    var name: String?

    @Option(name: .long, help: "gzip compression level, 0-9.")
    var level: Int = 6

    @Option(name: .long, help: "Compression threads (default: the number of cores).")
    var jobs: Int?

    func validate() throws {
        guard (0...9).contains(level) else { throw ValidationError("--level must be between 0 and 9, got \(level)") }
        if let jobs, jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be between 1 and 256, got \(jobs)") }
        if let name {
            do { try ArtifactName.validate(source: name) } catch { throw ValidationError("--name: \(error)") }
        }
    }

    var options: BackupOptions {
        BackupOptions(outputDirectory: URL(fileURLWithPath: out), name: name, level: level,
                      jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// Prints the one-line summary of a finished backup.
func printBackupResult(_ result: BackupResult) {
    let m = result.manifest
    var parts = [formatBytes(UInt64(m.sizeBytes)), String(format: "%.1f s", m.durationSeconds)]
    if let tables = m.tables { parts.append("\(tables.count) tables, \(tables.values.reduce(0, +)) rows") }
    print("wrote \(result.artifact.path) (\(parts.joined(separator: ", ")))")
}

/// Human-readable byte count, in the same units as the progress lines (1.5 MiB).
func formatBytes(_ bytes: UInt64) -> String {
    ProgressReporter.formatBytes(Int64(clamping: bytes))
}
