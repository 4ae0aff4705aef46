import Foundation
import VaultopsCore

extension RunJob {
    /// Reports a `run` that could not take its lock, when that is a failure someone must hear about: the lock
    /// file cannot be used (a full or broken backup folder), or another vaultops has held it for longer than
    /// the longest source timeout (a stuck run). A lock held for less is another run at work: only logged.
    ///
    /// The report goes where a finished run's would: the metrics textfile (its folder created when missing),
    /// the webhook, and — when the lock file was unusable, not held by a live run — the status file.
    /// - Returns: the exit code the command ends with (`VaultopsExitCode.for(error)`).
    @discardableResult
    public static func reportLockFailure(_ error: LockError, config: Config, now: Date = Date(),
                                         log: @escaping @Sendable (String) -> Void) -> VaultopsExitCode {
        let log: @Sendable (String) -> Void = { line in log(Redacted.text(line)) }
        switch error {
        case .failed:
            let problem = "the run did not start: \(error)"
            log("run: FAILED: \(problem)")
            _ = reportNotRun(config: config, problem: problem, exitCode: .failure, writeStatus: true, now: now, log: log)
        case let .held(by, path):
            guard let holder = ProcessLock.holder(path: path), let started = holder.started else {
                log("run: not started: \(error)")
                return VaultopsExitCode.for(error)
            }
            let held = now.timeIntervalSince(started)
            let limit = Double(config.lockAlarmAfter.components.seconds)
            guard held > limit else {
                log("run: not started: \(error)")
                return VaultopsExitCode.for(error)
            }
            let problem = "another vaultops has held the lock \(path) for \(hoursAndMinutes(held)), longer than the longest "
                + "source timeout (\(durationText(config.lockAlarmAfter))): \(by); is it stuck? (kill it, or wait for it to finish)"
            log("run: FAILED: \(problem)")
            _ = reportNotRun(config: config, problem: problem, exitCode: .locked, writeStatus: false, now: now,
                             lockHolder: holder.description, lockHeldSeconds: held, log: log)
        }
        return VaultopsExitCode.for(error)
    }

    /// Writes the metrics (and the status file when `writeStatus`) and posts the webhook for a run in which no
    /// source was attempted; every source is reported failed with `problem`. Returns why the webhook failed, if it did.
    static func reportNotRun(config: Config, problem: String, exitCode: VaultopsExitCode, writeStatus: Bool, now: Date,
                             lockHolder: String? = nil, lockHeldSeconds: Double? = nil,
                             log: @escaping @Sendable (String) -> Void) -> String? {
        let text = oneLine(Redacted.text(problem))
        let sources = config.sources.map { source -> SourceStatus in
            var result = SourceRunResult(name: source.name, kind: source.kind, target: source.redactedTarget)
            result.error = "not run: \(text)"
            return result.status
        }
        let statusURL = config.backupDir.map { RunStatus.fileURL(backupDir: $0) }
        // The previous status carries each source's last success: the metrics must keep saying when that was.
        let previous = statusURL.flatMap { try? RunStatus.load(from: $0) }
        let status = RunStatus(host: ProcessInfo.processInfo.hostName, configFile: config.file, startedAt: now, finishedAt: now,
                               exitCode: exitCode.rawValue, dryRun: false, sources: sources, prunes: [], errors: [text],
                               lockHolder: lockHolder, lockHeldSeconds: lockHeldSeconds).merge(previous: previous)
        if writeStatus, let statusURL {
            do {
                try status.write(to: statusURL)
            } catch {
                log("status: FAILED: \(error)")
            }
        }
        if let metrics = config.metrics {
            do {
                try MetricsTextfile.write(status, to: metrics.textfile)
                log("metrics: wrote \(metrics.textfile)")
            } catch {
                log("metrics: FAILED: \(error)")
            }
        }
        guard let notify = config.notify else { return nil }
        let notifier = Notifier(config: notify)
        guard notifier.shouldNotify(status) else { return nil }
        if let failure = notifier.send(status, log: log) {
            log("notify: FAILED: \(failure)")
            return failure
        }
        log("notify: sent \(notifier.kind.rawValue) message")
        return nil
    }

    /// `6h`, `90m`, `3s`, `1h 30m`: a `timeout:` as people write it.
    static func durationText(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds > 3600, seconds % 60 == 0 { return "\(seconds / 3600)h \(seconds % 3600 / 60)m" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// `7h 05m`, `12m`.
    static func hoursAndMinutes(_ seconds: Double) -> String {
        let minutes = Int(seconds / 60)
        return minutes >= 60 ? "\(minutes / 60)h \(String(format: "%02d", minutes % 60))m" : "\(minutes)m"
    }
}
