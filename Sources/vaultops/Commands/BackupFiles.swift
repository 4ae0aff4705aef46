import ArgumentParser
import BackupJobs
import Foundation

/// `vaultops backup files DIR...`: folders into one `.tar.gz`.
struct BackupFiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Archive folders into <name>_<YYYYMMDD>.tar.gz (symlinks kept as links, modes and times kept)."
    )

    @Argument(help: "The folders to archive.")
    var directories: [String]

    @OptionGroup var output: BackupOutputOptions

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("name at least one folder to archive") }
    }

    func run() throws {
        let result = try FilesBackup.run(directories: directories.map { URL(fileURLWithPath: $0) }, options: output.options)
        printBackupResult(result)
    }
}
