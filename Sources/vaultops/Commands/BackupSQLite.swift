import ArgumentParser
import Artifacts
import Foundation

/// `vaultops backup sqlite PATH`: a consistent `VACUUM INTO` snapshot, gzipped.
struct BackupSQLite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sqlite",
        abstract: "Snapshot a SQLite database (safe while it is being written) into <name>_<YYYYMMDD>.db.gz."
    )

    @Argument(help: "The SQLite database file.")
    var path: String

    @OptionGroup var output: BackupOutputOptions

    func run() throws {
        let result = try SQLiteBackup.run(path: URL(fileURLWithPath: path), options: try output.options)
        printBackupResult(result)
    }
}
