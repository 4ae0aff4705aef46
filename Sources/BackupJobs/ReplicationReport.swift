import Archive
import Foundation
import Replication
import Storage
import VaultopsCore

/// The replication side of `status`, `run`, `prune`, `backups` and the replicator's metrics and alerts.
public enum ReplicationReport {
    /// The sources of `config` with `replicate:`.
    public static func replicatedSources(_ config: Config) -> [SourceConfig] {
        config.sources.filter { $0.replicate != nil }
    }

    /// How each replicated source's replicator stands now, from its state file (`ReplicatorHealth.judge`).
    public static func health(config: Config, now: Date) -> [ReplicatorHealth] {
        replicatedSources(config).map { source in
            let alertLag = seconds(source.replicate?.alertLag ?? .seconds(60))
            let state = config.replicationStateDir.flatMap {
                ReplicaState.load(from: ReplicaState.fileURL(stateDir: $0, source: source.name))
            }
            return ReplicatorHealth.judge(source: source.name, state: state, alertLag: alertLag, now: now)
        }
    }

    /// The lines `status` prints under its table: one per replicated source.
    public static func statusLines(_ health: [ReplicatorHealth], timeZone: TimeZone) -> [String] {
        guard !health.isEmpty else { return [] }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var lines = ["", "Replication (lag: how long the oldest commit not yet shipped has waited; 0 when all is shipped):"]
        for h in health {
            var line = "  \(h.source)  "
            line += h.running ? (h.lagging ? "LAGGING" : "ok") : "NOT RUNNING"
            line += "  \(h.detail)"
            if let shipped = h.lastShippedCommit { line += "; last shipped commit \(formatter.string(from: shipped))" }
            if let generation = h.generation { line += "; generation \(generation)" }
            lines.append(line)
        }
        return lines
    }

    /// One `run` error per replicated source whose replicator does not run (so the run's webhook and exit say so).
    public static func notRunningErrors(_ health: [ReplicatorHealth]) -> [String] {
        health.filter { !$0.running }.map { "replicate \($0.source): the replicator does not run: \($0.detail)" }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

// MARK: - Prune

/// What pruning one source's replica did (or, for a dry run, would do).
public struct ReplicaPruneResult: Sendable, Equatable {
    public var source: String
    public var location: String
    public var keepSeconds: Double
    /// The generations removed (or that a dry run would remove), oldest first.
    public var removed: [String]
    /// Why it failed; nil when it worked.
    public var error: String?

    /// `replica/mms/: 2 generations past keep 7d removed (…)`.
    public func summary(dryRun: Bool) -> String {
        if let error { return "FAILED: \(error)" }
        let keep = Self.durationText(keepSeconds)
        let verb = dryRun ? "would be removed" : "removed"
        guard !removed.isEmpty else { return "no generation past keep \(keep)" }
        return "\(removed.count) generation\(removed.count == 1 ? "" : "s") past keep \(keep) \(verb): \(removed.joined(separator: ", "))"
    }

    /// `7d`, `36h`, `5m`, `90s`: a `keep:` as people write it.
    static func durationText(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] where s >= size && s % size == 0 { return "\(s / size)\(unit)" }
        return "\(s)s"
    }

    /// The status file's entry for it.
    func pruneStatus(dryRun: Bool) -> PruneStatus {
        PruneStatus(store: PruneStatus.replicaStore(source), location: location, ok: error == nil, summary: summary(dryRun: dryRun),
                    removed: removed)
    }
}

extension PruneStatus {
    /// `replica:<source>`: one store per replicated source, so that each has its own `vaultops_prune_success` series.
    static func replicaStore(_ source: String) -> String { "replica:" + source }

    /// A replica's prune (it keeps generations, not artifacts).
    var isReplica: Bool { store.hasPrefix("replica:") }
}

extension ReplicationReport {
    /// Prunes every replicated source's replica on `backend` past its `keep:` (never the newest restorable point).
    public static func prune(config: Config, backend: any StorageBackend, dryRun: Bool, now: Date = Date()) -> [ReplicaPruneResult] {
        replicatedSources(config).map { source in
            let keep = seconds(source.replicate?.keep ?? .seconds(7 * 86_400))
            let location = backend.location + ReplicaLayout(source: source.name).root
            do {
                let removed = try pruneReplica(source: source.name, on: backend, keep: keep, now: now, dryRun: dryRun)
                return ReplicaPruneResult(source: source.name, location: location, keepSeconds: keep, removed: removed)
            } catch {
                return ReplicaPruneResult(source: source.name, location: location, keepSeconds: keep, removed: [],
                                          error: Redacted.text(String(describing: error)))
            }
        }
    }

    /// `run`'s replica prunes and replicator checks: statuses for the status file, and errors for each failure.
    static func nightly(config: Config, backend: (any StorageBackend)?, unavailable: String?, dryRun: Bool, now: Date,
                        log: (String) -> Void) -> (prunes: [PruneStatus], errors: [String], health: [ReplicatorHealth]) {
        let sources = replicatedSources(config)
        guard !sources.isEmpty else { return ([], [], []) }
        var prunes: [PruneStatus] = []
        if let backend {
            for result in prune(config: config, backend: backend, dryRun: dryRun, now: now) {
                log("prune \(result.location): \(result.summary(dryRun: dryRun))")
                prunes.append(result.pruneStatus(dryRun: dryRun))
            }
        } else {
            let reason = unavailable ?? "no destination"
            for source in sources {
                log("prune replica/\(source.name)/: skipped: \(reason)")
                prunes.append(PruneStatus(store: PruneStatus.replicaStore(source.name), location: "replica/\(source.name)/", ok: false,
                                          summary: "skipped: \(reason)"))
            }
        }
        let health = health(config: config, now: now)
        let errors = notRunningErrors(health)
        for error in errors { log("replicate: FAILED: \(error)") }
        return (prunes, errors, health)
    }
}

// MARK: - Metrics and alerts

extension MetricsTextfile {
    /// The replicator's own textfile beside `metrics.textfile`: `vaultops.prom` → `vaultops-replication.prom`.
    public static func replicationPath(for textfile: String) -> String {
        let url = URL(fileURLWithPath: textfile)
        let stem = url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent("\(stem)-replication.prom").path
    }

    /// The replicator's metrics (pure): lag, running, heartbeat, last shipped commit and threshold per source.
    public static func renderReplication(_ states: [ReplicaState]) -> String {
        var out = ""
        func family(_ name: String, _ help: String, _ value: (ReplicaState) -> String) {
            guard !states.isEmpty else { return }
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for state in states { out += "\(name){source=\"\(escape(state.source))\"} \(value(state))\n" }
        }
        family("vaultops_replication_lag_seconds",
               "How long the oldest commit not yet shipped has waited (0 when everything committed is shipped).") {
            decimal($0.lagSeconds)
        }
        family("vaultops_replication_running", "1 while vaultops replicate runs for the source, 0 once it stopped.") {
            $0.stopped ? "0" : "1"
        }
        family("vaultops_replication_heartbeat_timestamp_seconds",
               "When the replicator last wrote its state (Unix time); stale when it died without a word.") { seconds($0.heartbeat) }
        family("vaultops_replication_last_shipped_commit_timestamp_seconds",
               "The commit time of the last WAL segment shipped (Unix time; 0 when none yet).") {
            $0.lastShippedCommit.map(seconds) ?? "0"
        }
        family("vaultops_replication_alert_lag_seconds", "The lag past which the replicator posts to the webhook (alert_lag).") {
            decimal($0.alertLagSeconds)
        }
        return out
    }

    /// Writes `renderReplication(states)` atomically (mode 0644, for node_exporter).
    public static func writeReplication(_ states: [ReplicaState], to path: String) throws {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try AtomicFile.replace(at: URL(fileURLWithPath: path), with: Data(renderReplication(states).utf8), mode: 0o644)
    }
}

extension NotificationMessage {
    /// The webhook body of a replication lag alert (or its recovery), in `kind`'s shape.
    public static func body(kind: NotifyKind, alert: ReplicationAlert) -> Data {
        let title = Redacted.text(alert.title)
        var lines = ["lag \(ReplicationLag.text(alert.lagSeconds)), alert_lag \(ReplicationLag.text(alert.thresholdSeconds))"]
        if let shipped = alert.lastShippedCommit { lines.append("last shipped commit \(Manifest.timestamp(shipped))") }
        if let generation = alert.generation { lines.append("generation \(generation)") }
        let object: [String: Any]
        switch kind {
        case .generic:
            object = ["event": "replication", "status": alert.event.rawValue, "source": alert.source, "host": alert.host,
                      "title": title, "text": ([title] + lines).joined(separator: "\n"),
                      "lag_seconds": (alert.lagSeconds * 1000).rounded() / 1000, "alert_lag_seconds": alert.thresholdSeconds]
        case .dingtalk:
            object = ["msgtype": "markdown",
                      "markdown": ["title": title, "text": "### \(title)\n\n" + lines.map { "- \($0)" }.joined(separator: "\n")]]
        case .wecom:
            object = ["msgtype": "markdown", "markdown": ["content": "**\(title)**\n" + lines.map { "> \($0)" }.joined(separator: "\n")]]
        }
        // Plain JSON values only: serialisation cannot fail.
        return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}

extension Notifier {
    /// Posts a replication alert; returns nil on success or why it failed after all attempts (redacted).
    public func send(_ alert: ReplicationAlert, log: (String) -> Void) -> String? {
        post(NotificationMessage.body(kind: kind, alert: alert), log: log)
    }
}

extension ReplicationReport {
    /// The monitoring `vaultops replicate` runs with: state files in the config's state folder, the webhook for lag
    /// alerts, and the replicator's metrics textfile beside `metrics.textfile`; nil without a state folder.
    public static func monitoring(config: Config, log: @escaping @Sendable (String) -> Void) -> ReplicationMonitoring? {
        guard let stateDir = config.replicationStateDir else { return nil }
        let notifier = config.notify.map(Notifier.init(config:))
        let metricsPath = config.metrics.map { MetricsTextfile.replicationPath(for: $0.textfile) }
        // Posts (with their retries) go on a queue of their own, in order: sampling and heartbeats never wait for them.
        let queue = DispatchQueue(label: "vaultops.replicate.notify")
        var alert: (@Sendable (ReplicationAlert) -> Void)?
        if let notifier {
            alert = { event in
                queue.async {
                    if let problem = notifier.send(event, log: log) {
                        log("notify: FAILED: \(problem)")
                    } else {
                        log("notify: sent \(notifier.kind.rawValue) message: \(event.title)")
                    }
                }
            }
        }
        var publish: (@Sendable ([ReplicaState]) -> Void)?
        if let metricsPath {
            publish = { states in
                do {
                    try MetricsTextfile.writeReplication(states, to: metricsPath)
                } catch {
                    log("metrics: FAILED: \(error)")
                }
            }
        }
        return ReplicationMonitoring(stateDir: stateDir, alert: alert, publish: publish)
    }
}

// MARK: - backups

/// One replica generation as `vaultops backups` shows it.
public struct ReplicaCatalogEntry: Sendable, Equatable {
    public var source: String
    public var range: ReplicaRange
    /// `oss` or `local`: where the replica lives.
    public var place: String

    /// The `--json` element: `kind` is `replica`, `name` the generation's folder.
    var json: [String: Any] {
        let formatter = ISO8601DateFormatter()
        return ["source": source, "kind": "replica", "name": ReplicaLayout(source: source).generationPrefix(range.generation),
                "time": formatter.string(from: range.start), "size": range.bytes, "where": place, "segments": range.segments,
                "restorable": range.restorable,
                "first_commit": range.firstCommit.map { formatter.string(from: $0) } ?? NSNull(),
                "last_commit": range.lastCommit.map { formatter.string(from: $0) } ?? NSNull()]
    }

    /// The lines under the artifacts: per generation its start, the commit times it restores and its segments.
    static func text(_ replicas: [ReplicaCatalogEntry]) -> String {
        guard !replicas.isEmpty else { return "" }
        let formatter = ISO8601DateFormatter()
        func time(_ date: Date?) -> String { date.map { formatter.string(from: $0) } ?? "-" }
        var lines = ["", "Replica generations (restore a point with: vaultops restore SOURCE --at TIME | --replica --latest):"]
        for entry in replicas {
            let r = entry.range
            let size = ProgressReporter.formatBytes(r.bytes)
            lines.append("\(time(r.start))  \(String(repeating: " ", count: max(0, 10 - size.count)))\(size)  "
                + "\(entry.place.padding(toLength: 5, withPad: " ", startingAt: 0))  \(ReplicaLayout(source: entry.source).generationPrefix(r.generation))  "
                + (r.restorable ? "commits \(time(r.firstCommit)) .. \(time(r.lastCommit)), \(r.segments) segment\(r.segments == 1 ? "" : "s")"
                                : "NOT RESTORABLE (no snapshot or no segment yet)"))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension BackupCatalog {
    /// The replica generations of `config`'s replicated sources (only `source` when given) at the replication
    /// destination: the OSS prefix when `oss:` is configured, else `backup_dir`. A listing that fails is a problem.
    static func replicaEntries(config: Config, source: String?, remote: (any StorageBackend)?,
                               problems: inout [String]) -> [ReplicaCatalogEntry] {
        let sources = ReplicationReport.replicatedSources(config).filter { source == nil || $0.name == source }
        guard !sources.isEmpty else { return [] }
        let backend: any StorageBackend
        if config.oss != nil {
            // Unlistable OSS is already a problem of the artifacts' listing.
            guard let remote else { return [] }
            backend = remote
        } else if let dir = config.backupDir {
            backend = LocalFolderBackend(path: dir)
        } else {
            return []
        }
        var entries: [ReplicaCatalogEntry] = []
        for configured in sources {
            do {
                entries += try replicaRanges(source: configured.name, on: backend).map {
                    ReplicaCatalogEntry(source: configured.name, range: $0, place: config.oss == nil ? "local" : "oss")
                }
            } catch {
                problems.append("the replica of \(configured.name) could not be read: \(Redacted.text(String(describing: error)))")
            }
        }
        return entries
    }
}

extension ReplicationReport {
    /// `prune --json`: the artifacts' report as it is, plus `replicas` (per source: location, removed, error) when a
    /// source is replicated.
    public static func pruneJSON(_ artifactsJSON: String, replicas: [ReplicaPruneResult], dryRun: Bool) -> String {
        guard !replicas.isEmpty,
              var object = (try? JSONSerialization.jsonObject(with: Data(artifactsJSON.utf8))) as? [String: Any] else { return artifactsJSON }
        object["replicas"] = replicas.map { r -> [String: Any] in
            ["source": r.source, "location": r.location, "keep_seconds": r.keepSeconds, "removed": r.removed,
             "dry_run": dryRun, "error": r.error ?? NSNull()]
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return artifactsJSON }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
