import Foundation
import Retention
import VaultopsCore

/// What happened to one configured source during `run`.
public struct SourceRunResult: Sendable {
    public let name: String
    public let kind: ArtifactKind
    public var artifact: URL?
    public var sizeBytes: Int64 = 0
    public var durationSeconds: Double = 0
    public var verified = false
    /// Why the source failed, already redacted; nil when it succeeded.
    public var error: String?

    public var succeeded: Bool { error == nil }
}

/// The outcome of a whole `run`.
public struct RunOutcome: Sendable {
    public var sources: [SourceRunResult]
    public var prune: String?
    public var pruneFailed = false

    /// 0 when every step succeeded, 1 when nothing did, 5 when some sources failed and others are done.
    public var exitCode: ExitCode {
        let failed = sources.filter { !$0.succeeded }.count
        if failed == 0 && !pruneFailed { return .success }
        if failed == sources.count { return .failure }
        return .partial
    }
}

/// `run`: every configured source is backed up and verified; one failing source never stops the others;
/// then the backup folder is pruned with the configured retention.
public enum RunJob {
    /// Runs all sources of `config`; `log` receives one line per step (already redacted).
    ///
    /// - Important: the caller holds the run lock.
    public static func run(config: Config, dryRun: Bool = false, now: @escaping @Sendable () -> Date = { Date() },
                           log: (String) -> Void) throws -> RunOutcome {
        guard let backupDir = config.backupDir else {
            throw ConfigError(file: config.file, line: nil, keyPath: "backup_dir", message: "missing required key 'backup_dir'")
        }
        let directory = URL(fileURLWithPath: backupDir)
        var outcome = RunOutcome(sources: [])
        for source in config.sources {
            var result = SourceRunResult(name: source.name, kind: source.kind)
            let started = Date()
            if dryRun {
                log("source \(source.name): would back up \(source.kind) \(source.redactedTarget) into \(directory.path)")
                outcome.sources.append(result)
                continue
            }
            log("source \(source.name): backing up \(source.kind) \(source.redactedTarget)")
            do {
                let options = BackupOptions(outputDirectory: directory, name: source.name, level: source.level ?? 6,
                                            jobs: ProcessInfo.processInfo.activeProcessorCount,
                                            timeZone: config.effectiveTimeZone)
                let backup: BackupResult
                switch source.target {
                case let .sqlite(path):
                    backup = try SQLiteBackup.run(path: URL(fileURLWithPath: path), options: options, now: now())
                case let .files(paths):
                    backup = try FilesBackup.run(directories: paths.map { URL(fileURLWithPath: $0) }, options: options, now: now())
                case let .postgres(connection):
                    backup = try PostgresBackup.run(connection: connection, options: options, now: now())
                }
                result.artifact = backup.artifact
                result.sizeBytes = backup.manifest.sizeBytes
                log("source \(source.name): wrote \(backup.artifact.lastPathComponent) (\(backup.manifest.sizeBytes) bytes)")
                let report = Verifier.verify(backup.artifact)
                result.verified = report.ok
                if report.ok {
                    log("source \(source.name): verified (\(report.checks.joined(separator: "; ")))")
                } else {
                    result.error = "verification failed: " + report.problems.joined(separator: "; ")
                }
            } catch {
                result.error = Redacted.text(String(describing: error))
            }
            result.durationSeconds = Date().timeIntervalSince(started)
            if let error = result.error { log("source \(source.name): FAILED: \(error)") }
            outcome.sources.append(result)
        }

        let policy = RetentionPolicy.resolve(commandLine: RetentionPolicy(), configuration: config.retention)
        do {
            let report = try Pruner.run(store: LocalFolderStore(path: directory.path), policy: policy, now: now(),
                                        timeZone: config.effectiveTimeZone, dryRun: dryRun)
            outcome.prune = report.summary
            outcome.pruneFailed = !report.succeeded
            log("prune \(directory.path): \(report.summary)")
        } catch {
            outcome.prune = String(describing: error)
            outcome.pruneFailed = true
            log("prune \(directory.path): FAILED: \(error)")
        }
        return outcome
    }
}
