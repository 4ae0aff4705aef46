import Foundation
import Mirror
import Storage
import VaultopsCore

/// What the OSS commands share: settings (and so backends) whose retries are logged, and the mirror's output.
enum OSSCommand {
    /// The OSS settings from the environment, with retries logged to standard error.
    static func settings() -> OSSSettings {
        OSSSettings(onRetry: { line in FileHandle.standardError.write(Data("vaultops: \(line)\n".utf8)) })
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
