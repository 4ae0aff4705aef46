import ArgumentParser
import BackupJobs
import Foundation
import VaultopsCore

/// `vaultops backups [SOURCE] [--json]`: every artifact, local and on OSS, with its time, size, states and place.
struct Backups: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every backup of every source, in backup_dir and on OSS.",
        discussion: """
            One line per artifact: when it was taken (the manifest's created_at), its size, where it is (local, \
            oss or both), and whether a run verified it and a drill restored it (from the status file in \
            backup_dir; artifacts older than that record show neither), whether it is encrypted (.age) and \
            whether its manifest is missing. Exit status 1 when the OSS prefix could not be listed (the local \
            artifacts are still shown).
            """)

    @Argument(help: "Only this source's artifacts.")
    var source: String?

    @Flag(help: "Print a JSON array of {source, kind, name, time, size, where, verified, drilled, encrypted, manifest}.")
    var json = false

    @OptionGroup var config: ConfigOption

    func run() throws {
        guard let loaded = try config.load() else {
            throw ConfigError(file: ConfigLoader.defaultPath, line: nil,
                              message: "the config file does not exist (pass --config FILE or set VAULTOPS_CONFIG)")
        }
        let report = try BackupCatalog.list(config: loaded, source: source, settings: OSSCommand.settings(config: loaded))
        print(json ? report.json() : report.text, terminator: json ? "\n" : "")
        for problem in report.problems { printError("vaultops: \(problem)") }
        if !report.problems.isEmpty { throw CommandExit(code: .failure) }
    }
}
