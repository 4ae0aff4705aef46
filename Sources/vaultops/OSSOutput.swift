import ArgumentParser
import Foundation
import Mirror
import Storage
import VaultopsCore

/// What the OSS commands share: settings (and so backends) whose retries are logged, and the mirror's output.
enum OSSCommand {
    /// The OSS settings from the config (its `oss:` block, then the environment, then the `.env` beside it) or,
    /// without one, the environment, with retries logged to standard error.
    static func settings(config: Config? = nil) -> OSSSettings {
        OSSSettings(config: config, onRetry: { line in FileHandle.standardError.write(Data("vaultops: \(line)\n".utf8)) })
    }

    /// Writes what an archived object's restore is doing to standard error.
    static let restoreStatusPrinter: @Sendable (String) -> Void = { line in
        TerminalOutput.shared.writeLine("vaultops: \(line)")
    }

    /// Prints mirror events: problems and failures to standard error always; on a dry run every decision
    /// to standard output; otherwise sent and deleted files only when `verbose`.
    static func mirrorEventPrinter(dryRun: Bool, verbose: Bool) -> @Sendable (MirrorEvent) -> Void {
        { event in
            switch event {
            case let .problem(problem):
                TerminalOutput.shared.writeLine("vaultops: not mirrored: \(problem)")
            case let .failed(subject, message):
                TerminalOutput.shared.writeLine("vaultops: FAILED \(subject): \(Redacted.text(message))")
            case let .sent(subject, bytes, reason) where dryRun || verbose:
                print("\(dryRun ? "would send" : "sent") \(subject) (\(reason.rawValue), \(ProgressReporter.formatBytes(bytes)))")
            case let .skipped(subject) where dryRun:
                print("would skip \(subject) (same size and CRC-64)")
            case let .deleted(subject) where dryRun || verbose:
                print("\(dryRun ? "would delete" : "deleted") \(subject)")
            default:
                break
            }
        }
    }

    /// Prints a mirror's summary; exits 1 when a file failed or was not mirrored.
    static func finish(_ report: MirrorReport) throws {
        print(report.summary)
        if !report.ok { throw CommandExit(code: .failure) }
    }
}

/// `--config FILE` for commands that work with or without a config (restore, backups and the OSS commands).
struct ConfigOption: ParsableArguments {
    @Option(name: .customLong("config"),
            help: "The config (default: $VAULTOPS_CONFIG, else ./vaultops.yml, else /etc/vaultops/vaultops.yml when present); the .env beside it is read too.")
    var path: String?

    /// The config `--config`, `$VAULTOPS_CONFIG` or the default path names; nil when none was named and none is installed.
    func load() throws -> Config? {
        try ConfigLoader.loadOptional(explicit: path) { printError($0) }
    }

    /// The OSS settings of the config found, or of the environment alone.
    func settings() throws -> OSSSettings {
        OSSCommand.settings(config: try load())
    }
}
