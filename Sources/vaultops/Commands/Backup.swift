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

    @Option(name: .long, help: "Encrypt to this age recipient (age1…, from vaultops keygen or age-keygen); repeatable. The artifact ends in .age.")
    var recipient: [String] = []

    @Option(name: .customLong("recipients-file"), help: "Encrypt to the age1… recipients listed in this file (one per line).")
    var recipientsFile: String?

    @Option(name: .customLong("passphrase-file"), help: "Encrypt with the passphrase on this file's first line (never on the command line); not with --recipient.")
    var passphraseFile: String?

    func validate() throws {
        guard (0...9).contains(level) else { throw ValidationError("--level must be between 0 and 9, got \(level)") }
        if let jobs, jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be between 1 and 256, got \(jobs)") }
        if let name {
            do { try ArtifactName.validate(source: name) } catch { throw ValidationError("--name: \(error)") }
        }
        if let problem = encryption?.problem { throw ValidationError("--recipient/--recipients-file/--passphrase-file: \(problem)") }
    }

    /// The encryption the command line asks for, or nil.
    private var encryption: EncryptionConfig? {
        guard !recipient.isEmpty || recipientsFile != nil || passphraseFile != nil else { return nil }
        return EncryptionConfig(recipients: recipient, recipientsFile: recipientsFile, passphraseFile: passphraseFile)
    }

    var options: BackupOptions {
        get throws {
            BackupOptions(outputDirectory: URL(fileURLWithPath: out), name: name, level: level,
                          jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                          encryption: try encryption.map { try EncryptionRecipients.resolve($0) })
        }
    }
}

/// Prints the one-line summary of a finished backup.
func printBackupResult(_ result: BackupResult) {
    let m = result.manifest
    var parts = [formatBytes(UInt64(m.sizeBytes)), String(format: "%.1f s", m.durationSeconds)]
    if let tables = m.tables { parts.append("\(tables.count) tables, \(tables.values.reduce(0, +)) rows") }
    if let encryption = m.encryption { parts.append("encrypted for \(encryption.recipients.count) recipient\(encryption.recipients.count == 1 ? "" : "s")") }
    print("wrote \(result.artifact.path) (\(parts.joined(separator: ", ")))")
}

/// Human-readable byte count, in the same units as the progress lines (1.5 MiB).
func formatBytes(_ bytes: UInt64) -> String {
    ProgressReporter.formatBytes(Int64(clamping: bytes))
}
