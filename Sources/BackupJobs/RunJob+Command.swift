import Artifacts
import Foundation
import VaultopsCore

extension SourceSelection {
    /// The sources `vaultops run` was asked for: all (`--all-sources`), the named ones (`--source`), else the due
    /// ones. Throws a `ConfigError` against `file` when `config` has no sources or a name is not one of them.
    public static func resolve(all: Bool, names: [String], in config: Config, file: String) throws -> SourceSelection {
        guard !config.sources.isEmpty else {
            throw ConfigError(file: file, line: nil, keyPath: "sources", message: "no sources configured: nothing to back up")
        }
        for name in names where config.source(named: name) == nil {
            throw ConfigError(file: file, line: nil, keyPath: "sources",
                              message: "--source \(name): no such source (configured: \(config.sources.map(\.name).joined(separator: ", ")))")
        }
        return all ? .all : names.isEmpty ? .due : .named(names)
    }
}

extension RunJob {
    /// `vaultops run`: takes the lock beside the backups (not on a dry run), runs the selected sources with each log
    /// line at its level on the `vaultops.run` logger, hands the outcome to `show`, and returns the exit status.
    ///
    /// A lock that cannot be taken is reported as `reportLockFailure` says, then thrown. `file` is the config's
    /// path, for the log.
    public static func runHoldingLock(config: Config, file: String, dryRun: Bool, selection: SourceSelection,
                                      show: (RunOutcome) -> Void) throws -> VaultopsExitCode {
        let logger = VaultopsLogging.logger("vaultops.run")
        // Failures at error level and retries at warning level, so `grep -E 'ERROR|WARN'` finds what needs a look.
        let log: @Sendable (String) -> Void = { line in
            switch RunLogLevel(line: line) {
            case .error: logger.error("\(line)")
            case .warning: logger.warning("\(line)")
            case .info: logger.info("\(line)")
            }
        }
        if !dryRun, let backupDir = config.backupDir {
            // Created (0700) when missing below an existing parent, before the lock file goes into it; a missing
            // parent (an unmounted disk) fails the run, and is reported like any run that did not start.
            do {
                try ArtifactWriter.prepareOutputDirectory(URL(fileURLWithPath: backupDir))
            } catch {
                let problem = "the run did not start: backup_dir \(error)"
                log("run: FAILED: \(problem)")
                _ = reportNotRun(config: config, problem: problem, exitCode: .failure, writeStatus: false, now: Date(), log: log)
                throw error
            }
        }
        var lock: ProcessLock?
        if !dryRun, let path = config.lockPath {
            do {
                lock = try ProcessLock.acquire(path: path, command: "vaultops run")
            } catch {
                // An unusable lock file (a full or broken backup folder) or a run stuck for longer than the source
                // timeouts must reach the webhook and the metrics like any failed run.
                reportLockFailure(error, config: config, log: log)
                throw error
            }
            if let problem = lock?.recordProblem { log(problem) }
        }
        defer { lock?.release() }
        logger.info("run started: \(config.sources.count) sources from \(file)\(dryRun ? " (dry run)" : "")")
        let outcome = try run(config: config, dryRun: dryRun, selection: selection, log: log)
        show(outcome)
        let code = outcome.exitCode
        let ran = outcome.sources.filter { $0.skipped == nil }
        let done = ran.filter(\.succeeded).count
        let skipped = outcome.sources.count - ran.count
        logger.info("run finished: \(done) of \(ran.count) sources done\(skipped > 0 ? ", \(skipped) not due" : ""), exit \(code.rawValue)")
        return code
    }
}
