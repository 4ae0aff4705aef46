import ArgumentParser
import Artifacts
import Foundation
import VaultopsCore

/// `vaultops backup files PATH...`: folders and files into one `.tar.gz`.
struct BackupFiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Archive folders into <name>_<YYYYMMDD>.tar.gz (symlinks kept as links, modes and times kept).",
        discussion: """
        A file that changes while it is read (size or mtime) is read again; if it changes again the backup fails \
        (GNU tar warns and exits 1), unless --allow-changed: then it is kept as read, listed in the manifest's \
        changed_files, and the exit status is 5. FIFOs are stored; sockets and devices are reported and not archived.
        """
    )

    @Argument(help: "The folders (or single files) to archive.")
    var directories: [String]

    @Option(name: .customLong("exclude"), help: "A gitignore-style pattern of paths to leave out, relative to each folder (repeatable; see README).")
    var exclude: [String] = []

    @Flag(name: .customLong("one-file-system"), help: "Store folders on another file system (mount points) empty, as tar --one-file-system.")
    var oneFileSystem = false

    @OptionGroup var output: BackupOutputOptions

    @Flag(name: .customLong("allow-changed"), help: "Keep a file that changed while read (twice) as read, list it in the manifest, and exit 5 instead of failing.")
    var allowChanged = false

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("name at least one folder to archive") }
        do {
            _ = try ExcludeRules.parse(exclude)
        } catch {
            throw ValidationError("--exclude: \(error.message)")
        }
    }

    func run() throws {
        let result = try FilesBackup.run(directories: directories.map { URL(fileURLWithPath: $0) }, options: try output.options,
                                         allowChanged: allowChanged, exclude: try ExcludeRules.parse(exclude),
                                         oneFileSystem: oneFileSystem)
        for warning in result.warnings { printError("vaultops: warning: \(warning)") }
        if !result.excluded.isEmpty { printError("vaultops: excluded \(result.excluded.count) paths (listed in the manifest's extra.excluded)") }
        if !result.skippedMountPoints.isEmpty {
            printError("vaultops: not entered, on another file system: \(result.skippedMountPoints.joined(separator: ", "))")
        }
        printBackupResult(result)
        if !result.changedFiles.isEmpty {
            printError("vaultops: \(result.changedFiles.count) files changed while read and are stored as read (listed in the manifest's changed_files)")
            throw CommandExit(code: .partial)
        }
    }
}
