import Foundation
import LibPQ
import Replication
import Retention
import Storage
import VaultopsCore

/// What happened to one configured source during `run`.
public struct SourceRunResult: Sendable {
    public let name: String
    public let kind: ArtifactKind
    /// The source for humans, credentials hidden.
    public let target: String
    public var artifact: URL?
    public var manifest: URL?
    public var sizeBytes: Int64 = 0
    public var sha256: String?
    /// The manifest's `created_at`.
    public var createdAt: Date?
    public var durationSeconds: Double = 0
    public var verified = false
    /// The checks that passed, or the problems verification found.
    public var verification: [String] = []
    /// The upload to OSS; nil when no `oss:` is configured (or on a dry run).
    public var upload: UploadStatus?
    /// The folder mirror; nil when the source has no `mirror:` (or on a dry run).
    public var mirror: MirrorStatus?
    /// The trial restore (`drill:`); nil when the source has none (or on a dry run).
    public var drill: DrillStatus?
    /// Why the source failed, already redacted; nil when it succeeded.
    public var error: String?
    /// Why the source was left out of this run (`not due today (weekly: sunday)`); nil when it ran.
    public var skipped: String?
    /// The source has `archive: false`: only its mirror runs.
    public var mirrorOnly = false
    /// The source's `schedule:` as the config spells it.
    public var schedule: String?
    /// The `postgres_all:` source this result is a member of (globals or one database); nil for others.
    public var cluster: String?
    /// How old its newest good copy may be before `status` calls it stale (from the schedule).
    public var staleAfterSeconds: Double?

    public init(name: String, kind: ArtifactKind, target: String, skipped: String? = nil) {
        self.name = name
        self.kind = kind
        self.target = target
        self.skipped = skipped
    }

    /// Every step (backup, verify, upload, mirror) worked (a skipped source did nothing that could fail).
    public var succeeded: Bool { error == nil }
    /// A verified artifact exists locally, whatever happened to the upload.
    public var backedUp: Bool { artifact != nil && verified }
    /// A copy was made: a verified artifact, or for a mirror-only source a mirror that fully worked.
    public var copied: Bool { backedUp || (mirrorOnly && mirror?.ok == true) }

    /// The entry of the status file.
    public var status: SourceStatus {
        SourceStatus(name: name, kind: kind.rawValue, target: target, backedUp: backedUp, succeeded: succeeded,
                     artifact: artifact?.lastPathComponent, sizeBytes: sizeBytes, sha256: sha256, createdAt: createdAt,
                     durationSeconds: durationSeconds, verified: verified, verification: verification, upload: upload, mirror: mirror,
                     error: error, drill: drill, skipped: skipped, mirrorOnly: mirrorOnly, schedule: schedule,
                     staleAfterSeconds: staleAfterSeconds, cluster: cluster)
    }
}

/// The outcome of a whole `run`.
public struct RunOutcome: Sendable {
    public var sources: [SourceRunResult] = []
    /// The backup folder's prune, then the OSS prefix's.
    public var prunes: [PruneStatus] = []
    /// Problems not tied to one source (OSS configuration, status or metrics file), already redacted.
    public var errors: [String] = []
    public var dryRun = false
    /// The status written (nil on a dry run).
    public var status: RunStatus?
    /// Why the notification could not be sent, when one was due and failed.
    public var notificationProblem: String?
    /// How the replicated sources' replicators stood during the run.
    public var replicators: [ReplicatorHealth] = []

    public init(dryRun: Bool = false) { self.dryRun = dryRun }

    /// The exit status (see `exitCode(sourcesBackedUp:sourcesFailed:otherProblems:dryRun:)`).
    public var exitCode: VaultopsExitCode {
        Self.exitCode(sourcesBackedUp: sources.filter(\.copied).count, sourcesFailed: sources.filter { !$0.succeeded }.count,
                      otherProblems: prunes.filter { !$0.ok }.count + errors.count, dryRun: dryRun)
    }

    /// 0 when every step succeeded; 1 when no source got a verified local backup or (mirror-only sources) a full
    /// mirror (or a dry run found a problem); 5 when something failed but at least one source is safely copied.
    ///
    /// A failed upload or prune is a failure of the run, but with local backups in place it is "some done".
    public static func exitCode(sourcesBackedUp: Int, sourcesFailed: Int, otherProblems: Int, dryRun: Bool) -> VaultopsExitCode {
        if sourcesFailed == 0 && otherProblems == 0 { return .success }
        if dryRun || sourcesBackedUp == 0 { return .failure }
        return .partial
    }
}

/// `run`: every configured source is backed up, verified and uploaded; one failing source never stops the
/// others; then the backup folder and the OSS prefix are pruned, and the status file, metrics and
/// notification are written.
public enum RunJob {
    /// Runs all sources of `config`; `log` receives one line per step (already redacted).
    ///
    /// - Parameters:
    ///   - environment: where `OSS_*` settings not in the config come from.
    ///   - log: called from the run's thread and, for OSS retry lines, from upload worker threads.
    /// - Important: the caller holds the run lock.
    public static func run(config: Config, dryRun: Bool = false, selection: SourceSelection = .due,
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           now: @escaping @Sendable () -> Date = { Date() },
                           log: @escaping @Sendable (String) -> Void) throws -> RunOutcome {
        guard let backupDir = config.backupDir else {
            throw ConfigError(file: config.file, line: nil, keyPath: "backup_dir", message: "missing required key 'backup_dir'")
        }
        let log: @Sendable (String) -> Void = { line in log(Redacted.text(line)) }
        let directory = URL(fileURLWithPath: backupDir)
        let startedAt = now()
        var outcome = RunOutcome(dryRun: dryRun)

        // OSS first: a bad `oss:` block fails the uploads, never the local backups.
        var oss: OSSTarget?
        var ossDown: String?
        if let ossConfig = config.oss {
            do {
                oss = try OSSTarget(config: ossConfig, of: config, environment: environment, log: log)
                log("oss: artifacts go to \(oss!.location)")
            } catch {
                ossDown = "OSS is not usable: \(oneLine(Redacted.text(String(describing: error))))"
                outcome.errors.append(ossDown!)
                log("oss: FAILED: \(ossDown!)")
            }
        }

        let calendar = config.scheduleCalendar
        let today = now()
        for configured in config.sources {
            let skip = selection.skipReason(for: configured, on: today, calendar: calendar)
            // A `postgres_all:` source runs as its members (globals, then each database the server has tonight).
            guard let members = wholeServerMembers(configured, skip: skip, dryRun: dryRun, run: today, outcome: &outcome, log: log)
            else { continue }
            for source in members {
                var result: SourceRunResult
                if let skip {
                    result = SourceRunResult(name: source.name, kind: source.kind, target: source.redactedTarget, skipped: skip)
                    log("source \(source.name): skipped: \(skip)")
                } else if dryRun {
                    result = plan(source, encryption: config.encryption(for: source), directory: directory, oss: oss, log: log)
                } else {
                    result = runSource(source, config: config, directory: directory, oss: oss, ossDown: &ossDown,
                                       environment: environment, now: now, log: log)
                }
                result.schedule = source.schedule.description
                result.staleAfterSeconds = source.schedule.staleAfter
                result.cluster = source.clusterMember?.name
                outcome.sources.append(result)
            }
        }

        if dryRun { outcome.errors += preflightRun(config, directory: directory) }
        let policy = RetentionPolicy.resolve(commandLine: RetentionPolicy(), configuration: config.retention)
        outcome.prunes.append(prune(store: BackendStore(LocalFolderBackend(path: directory.path)), name: "local", policy: policy,
                                    config: config, dryRun: dryRun, now: now, log: log))
        if let oss {
            if let ossDown {
                outcome.prunes.append(PruneStatus(store: "oss", location: oss.location, ok: false, summary: "skipped: \(ossDown)"))
                log("prune \(oss.location): skipped: \(ossDown)")
            } else {
                outcome.prunes.append(prune(store: BackendStore(oss.backend),
                                            name: "oss", policy: policy, config: config, dryRun: dryRun, now: now, log: log))
            }
        }
        // Replicas: generations past each source's keep go; a replicator that does not run is a failure of the run.
        let replicaBackend: (any StorageBackend)? = config.oss == nil ? LocalFolderBackend(path: directory.path)
            : ossDown == nil ? oss?.backend : nil
        let replication = ReplicationReport.nightly(config: config, backend: replicaBackend, unavailable: ossDown, dryRun: dryRun,
                                                    now: now(), log: log)
        outcome.prunes += replication.prunes
        outcome.replicators = replication.health
        if !dryRun { outcome.errors += replication.errors }
        guard !dryRun else { return outcome }

        record(&outcome, config: config, backupDir: backupDir, startedAt: startedAt, now: now, log: log)
        return outcome
    }

    /// Writes the metrics and the status file and sends the notification: each failure is logged and counted in
    /// `outcome`, none hides the backups' result.
    private static func record(_ outcome: inout RunOutcome, config: Config, backupDir: String, startedAt: Date,
                               now: () -> Date, log: @escaping @Sendable (String) -> Void) {
        let dryRun = outcome.dryRun
        // Status, metrics, notification: each failure is logged and counted, none hides the backups' result.
        let statusURL = RunStatus.fileURL(backupDir: backupDir)
        var previous: RunStatus?
        do {
            previous = try RunStatus.load(from: statusURL)
        } catch {
            log("status: previous status unreadable, starting a new history: \(error)")
        }
        func currentStatus() -> RunStatus {
            var status = RunStatus(host: ProcessInfo.processInfo.hostName, configFile: config.file, startedAt: startedAt, finishedAt: now(),
                                   exitCode: outcome.exitCode.rawValue, dryRun: dryRun, sources: outcome.sources.map(\.status),
                                   prunes: outcome.prunes, errors: outcome.errors).merge(previous: previous)
            status.replicators = outcome.replicators.isEmpty ? nil : outcome.replicators
            return status
        }
        // Metrics first, so that the status file records their failure (and the exit code it causes); should the
        // status file then fail, the metrics are written again to say so.
        func writeMetrics() {
            guard let metrics = config.metrics else { return }
            do {
                try MetricsTextfile.write(currentStatus(), to: metrics.textfile)
                log("metrics: wrote \(metrics.textfile)")
            } catch {
                outcome.errors.append("metrics file: \(Redacted.text(String(describing: error)))")
                log("metrics: FAILED: \(error)")
            }
        }
        writeMetrics()
        do {
            try currentStatus().write(to: statusURL)
            log("status: wrote \(statusURL.path)")
        } catch {
            outcome.errors.append("status file: \(Redacted.text(String(describing: error)))")
            log("status: FAILED: \(error)")
            if outcome.errors.allSatisfy({ !$0.hasPrefix("metrics file: ") }) { writeMetrics() }
        }
        let status = currentStatus()
        outcome.status = status
        if let notify = config.notify {
            let notifier = Notifier(config: notify)
            if notifier.shouldNotify(status) {
                if let problem = notifier.send(status, log: log) {
                    outcome.notificationProblem = problem
                    log("notify: FAILED, the run's result stands: \(problem)")
                } else {
                    log("notify: sent \(notifier.kind.rawValue) message")
                }
            }
        }
    }

    /// Uploads a verified artifact and its manifest; records the result and, when OSS is down for good,
    /// remembers why so later sources skip the wait.
    static func upload(_ result: inout SourceRunResult, to oss: OSSTarget?, ossDown: inout String?,
                               log: (String) -> Void) {
        guard let artifact = result.artifact, let manifest = result.manifest else { return }
        let location = oss.map { "oss://\($0.bucket)/\($0.key(for: artifact))" } ?? "oss://"
        guard let oss, ossDown == nil else {
            let reason = ossDown ?? "OSS is not configured"
            result.upload = UploadStatus(location: location, ok: false, bytes: 0, durationSeconds: 0, error: "skipped: \(reason)")
            result.error = "upload skipped: \(reason)"
            return
        }
        log("source \(result.name): uploading to \(location)")
        let started = Date()
        do {
            let bytes = try oss.upload(artifact: artifact, manifest: manifest)
            let seconds = Date().timeIntervalSince(started)
            result.upload = UploadStatus(location: location, ok: true, bytes: bytes, durationSeconds: seconds, error: nil)
            log("source \(result.name): uploaded \(bytes) bytes to \(location) in \(String(format: "%.1f", seconds))s")
        } catch {
            let text = oneLine(Redacted.text(String(describing: error)))
            result.upload = UploadStatus(location: location, ok: false, bytes: 0, durationSeconds: Date().timeIntervalSince(started),
                                         error: text)
            result.error = "upload to \(location) failed: \(text)"
            if OSSTarget.failsEveryRequest(error) { ossDown = "OSS unreachable or refusing us (\(text))" }
        }
    }

    /// Multi-line library messages (libpq's hints) as one line, so each log, table and chat line stays whole.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    /// Prunes one store and turns the report into a status entry.
    private static func prune(store: some RetentionStore, name: String, policy: RetentionPolicy, config: Config, dryRun: Bool,
                              now: () -> Date, log: (String) -> Void) -> PruneStatus {
        do {
            let report = try Pruner.run(store: store, policy: policy, now: now(), timeZone: config.effectiveTimeZone, dryRun: dryRun)
            log("prune \(store.location): \(report.summary)")
            for failure in report.failures { log("prune \(store.location): FAILED to remove \(failure.name): \(failure.message)") }
            var kept: [String: Int] = [:]
            var decisions: [String: String] = [:]
            for entry in report.plan.artifacts {
                decisions[entry.decision.artifact.name] = entry.decision.reason
                if entry.decision.keep { kept[entry.decision.artifact.source, default: 0] += 1 }
            }
            // What went (or, for a dry run, would go): a removal that failed is in the failures, not here.
            let removed = report.plan.removals.map(\.name).filter { dryRun || report.removed.contains($0) }.sorted()
            return PruneStatus(store: name, location: store.location, ok: report.succeeded, summary: report.summary,
                               removed: removed, kept: kept, decisions: decisions)
        } catch {
            log("prune \(store.location): FAILED: \(error)")
            return PruneStatus(store: name, location: store.location, ok: false,
                               summary: oneLine(Redacted.text(String(describing: error))))
        }
    }
}
