import Artifacts
import Foundation
import LibPQ
import VaultopsCore

/// Which sources a `run` takes.
public enum SourceSelection: Sendable, Equatable {
    /// Those whose `schedule:` is due today (the nightly default).
    case due
    /// All of them, whatever their schedule (`--all-sources`).
    case all
    /// The named ones, whatever their schedule (`--source NAME`).
    case named([String])

    /// Why `source` is left out on the day of `date`, or nil when it runs (pure).
    public func skipReason(for source: SourceConfig, on date: Date, calendar: Calendar) -> String? {
        switch self {
        case .all:
            return nil
        case let .named(names):
            return names.contains(source.name) ? nil : "not selected (run --source \(names.joined(separator: ",")))"
        case .due:
            return source.schedule.isDue(on: date, calendar: calendar) ? nil : "not due today (\(source.schedule))"
        }
    }
}

extension RunJob {
    /// The sources `configured` runs as: itself, or for a `postgres_all:` source that runs tonight (not a dry run)
    /// its members, listed from the server now, so a database created since the last run is backed up too. Nil
    /// when the listing failed: then the source's failed result is already in `outcome`.
    static func wholeServerMembers(_ configured: SourceConfig, skip: String?, dryRun: Bool, run: Date,
                                   outcome: inout RunOutcome, log: (String) -> Void) -> [SourceConfig]? {
        guard configured.wholeServer != nil, skip == nil, !dryRun else { return [configured] }
        let deadline = ConnectionDeadline.begin(after: configured.effectiveTimeout, label: durationText(configured.effectiveTimeout))
        defer { deadline.end() }
        do {
            let members = try ClusterBackup.members(of: configured, run: run)
            log("source \(configured.name): whole server \(configured.redactedTarget): "
                + members.compactMap { $0.clusterMember?.role.description }.joined(separator: ", "))
            return members
        } catch {
            var result = SourceRunResult(name: configured.name, kind: configured.kind, target: configured.redactedTarget)
            result.error = "listing the server's databases failed: " + oneLine(Redacted.text(String(describing: error)))
            result.schedule = configured.schedule.description
            result.staleAfterSeconds = configured.schedule.staleAfter
            log("source \(configured.name): FAILED: \(result.error!)")
            outcome.sources.append(result)
            return nil
        }
    }

    /// A dry run's line for one source, and what its preflight found.
    static func plan(_ source: SourceConfig, encryption: EncryptionConfig?, directory: URL, oss: OSSTarget?,
                     log: (String) -> Void) -> SourceRunResult {
        var result = SourceRunResult(name: source.name, kind: source.kind, target: source.redactedTarget)
        result.mirrorOnly = !source.archive
        if source.archive {
            log("source \(source.name): would back up \(source.kind) \(source.redactedTarget) into \(directory.path)"
                + (oss.map { ", then upload to \($0.location)" } ?? "")
                + (source.mirror.map { ", then mirror the folders to \($0)" } ?? ""))
        } else {
            log("source \(source.name): would mirror \(source.redactedTarget) to \(source.mirror ?? "?") (archive: false, no tar)")
        }
        if let problem = preflight(source) ?? encryptionProblem(encryption) {
            result.error = "would fail: \(oneLine(Redacted.text(problem)))"
            log("source \(source.name): FAILED check: \(problem)")
        }
        return result
    }

    /// Backs up, verifies and uploads one source, then mirrors and drills it; never throws: failures are in the result.
    static func runSource(_ source: SourceConfig, config: Config, directory: URL, oss: OSSTarget?, ossDown: inout String?,
                          environment: [String: String], now: @escaping @Sendable () -> Date,
                          log: @escaping @Sendable (String) -> Void) -> SourceRunResult {
        var result = SourceRunResult(name: source.name, kind: source.kind, target: source.redactedTarget)
        result.mirrorOnly = !source.archive
        let started = Date()
        if source.archive {
            backup(source, into: &result, config: config, directory: directory, now: now, log: log)
            if result.backedUp, config.oss != nil {
                upload(&result, to: oss, ossDown: &ossDown, log: log)
            }
        } else {
            log("source \(source.name): no archive (archive: false); mirroring only")
        }
        if let target = source.mirror, case let .files(paths) = source.target {
            // The mirror runs whatever happened to the archive: it is a second, independent copy.
            mirror(&result, folders: paths, to: target, config: config, environment: environment, log: log)
        }
        if let target = source.drill {
            // The drill's PostgreSQL calls are bounded like the backup's: a stalled scratch server fails the drill.
            let drillDeadline = ConnectionDeadline.begin(after: source.effectiveTimeout, label: durationText(source.effectiveTimeout))
            drill(&result, drill: target, log: log)
            drillDeadline.end()
        }
        result.durationSeconds = Date().timeIntervalSince(started)
        if let error = result.error { log("source \(source.name): FAILED: \(error)") }
        return result
    }

    /// Writes and verifies the source's artifact into `result`.
    private static func backup(_ source: SourceConfig, into result: inout SourceRunResult, config: Config, directory: URL,
                               now: @escaping @Sendable () -> Date, log: (String) -> Void) {
        log("source \(source.name): backing up \(source.kind) \(source.redactedTarget)")
        // The source's `timeout:` bounds every PostgreSQL call it makes (connect, queries, COPY): a stalled
        // server fails the source instead of holding the run, and its lock, forever.
        let deadline = ConnectionDeadline.begin(after: source.effectiveTimeout, label: durationText(source.effectiveTimeout))
        defer { deadline.end() }
        do {
            // Only public keys are needed here: the host writes backups it cannot read (`encryption:`).
            let options = BackupOptions(outputDirectory: directory, name: source.name, level: source.level ?? 6,
                                        jobs: ProcessInfo.processInfo.activeProcessorCount,
                                        timeZone: config.effectiveTimeZone,
                                        encryption: try config.encryption(for: source).map { try EncryptionRecipients.resolve($0) })
            let backup = try source.kind.handler.backup(source, options: options, now: now())
            // What a files source left out, or a dump lacks (each is empty for the other kinds).
            logFilesSelection(source.name, backup, log: log)
            // A whole server's globals say what they could not hold (password hashes without access to pg_authid).
            for warning in backup.warnings where source.clusterMember != nil { log("source \(source.name): WARNING: \(warning)") }
            if !backup.notDumped.isEmpty {
                log("source \(source.name): WARNING: incomplete (allow_incomplete): not dumped: \(backup.notDumped.joined(separator: "; "))")
            }
            result.artifact = backup.artifact
            result.manifest = backup.manifestURL
            result.sizeBytes = backup.manifest.sizeBytes
            result.sha256 = backup.manifest.sha256
            result.createdAt = backup.manifest.createdAt
            log("source \(source.name): wrote \(backup.artifact.lastPathComponent) (\(backup.manifest.sizeBytes) bytes)")
            let report = Verifier.verify(backup.artifact)
            result.verified = report.ok
            result.verification = report.ok ? report.checks : report.problems
            if report.ok {
                log("source \(source.name): verified (\(report.checks.joined(separator: "; ")))")
            } else {
                result.error = "verification failed: " + report.problems.joined(separator: "; ")
            }
        } catch {
            result.error = oneLine(Redacted.text(String(describing: error)))
            if deadline.expired {
                result.error = "stopped: the source's timeout of \(deadline.label) passed (set 'timeout:' on the source "
                    + "to allow more): \(result.error!)"
            }
        }
    }

    /// What `exclude:` and `one_file_system:` left out, in the log (the manifest's `extra` has the full lists).
    private static func logFilesSelection(_ name: String, _ backup: BackupResult, log: (String) -> Void) {
        if !backup.excluded.isEmpty {
            let shown = backup.excluded.prefix(5).joined(separator: ", ") + (backup.excluded.count > 5 ? ", …" : "")
            log("source \(name): excluded \(backup.excluded.count) paths (exclude:): \(shown)")
        }
        if !backup.skippedMountPoints.isEmpty {
            log("source \(name): not entered, on another file system (one_file_system): \(backup.skippedMountPoints.joined(separator: ", "))")
        }
    }
}
