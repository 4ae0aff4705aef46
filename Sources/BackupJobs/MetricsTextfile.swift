import Foundation
import Archive
import Replication

/// The run's metrics in Prometheus text exposition format, for node_exporter's textfile collector.
///
/// See <https://prometheus.io/docs/instrumenting/exposition_formats/> and node_exporter's textfile
/// collector: no timestamps on samples, one `# HELP`/`# TYPE` per family, the file replaced atomically.
public enum MetricsTextfile {
    /// The exposition text for `status` (pure; the same status always gives the same bytes).
    public static func render(_ status: RunStatus) -> String {
        var out = ""
        func family(_ name: String, _ help: String, _ samples: [(labels: [(String, String)], value: String)]) {
            guard !samples.isEmpty else { return }
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for sample in samples {
                let labels = sample.labels.isEmpty ? ""
                    : "{" + sample.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
                out += "\(name)\(labels) \(sample.value)\n"
            }
        }
        let sources = status.sources
        // A mirror-only source makes no artifacts: a backup timestamp of 0 ("never") would alarm for nothing.
        let archived = sources.filter { $0.mirrorOnly != true }
        family("vaultops_run_last_timestamp_seconds", "When the last vaultops run finished (Unix time).",
               [([], seconds(status.finishedAt))])
        family("vaultops_run_duration_seconds", "How long the last vaultops run took.",
               [([], decimal(status.durationSeconds))])
        family("vaultops_run_exit_code", "Exit status of the last vaultops run (0 ok, 5 some sources failed, 1 failed).",
               [([], String(status.exitCode))])
        family("vaultops_source_last_run_timestamp_seconds", "When the source was last attempted (Unix time).",
               sources.map { ([("source", $0.name)], seconds($0.createdAt ?? status.finishedAt)) })
        family("vaultops_source_last_run_success", "1 when the source's last run (backup, verify, upload) fully succeeded.",
               sources.map { ([("source", $0.name)], $0.succeeded ? "1" : "0") })
        family("vaultops_source_last_success_timestamp_seconds", "When the source's newest good backup was taken (Unix time).",
               sources.compactMap { s in s.lastSuccess.map { ([("source", s.name)], seconds($0.at)) } })
        // One timestamp per step, 0 when it never succeeded, so that `time() - …` alerts on each (see README):
        // the upload's and the drill's only for sources that have one.
        family("vaultops_source_last_backup_success_timestamp_seconds",
               "When the source's newest verified local backup was taken (Unix time; 0 when never).",
               archived.map { s in ([("source", s.name)], s.lastSuccess.map { seconds($0.at) } ?? "0") })
        family("vaultops_source_last_mirror_success_timestamp_seconds",
               "When the source's folder mirror (mirror:) last fully succeeded (Unix time; 0 when never).",
               sources.filter { $0.mirror != nil || $0.lastMirrorSuccess != nil }
                   .map { s in ([("source", s.name)], s.lastMirrorSuccess.map(seconds) ?? "0") })
        family("vaultops_source_mirror_success", "1 when the source's folder mirror in its last run fully succeeded.",
               sources.compactMap { s in s.mirror.map { ([("source", s.name)], $0.ok ? "1" : "0") } })
        family("vaultops_source_stale_after_seconds",
               "How old the source's newest copy may be before it is stale, from its schedule (26h for daily).",
               sources.compactMap { s in s.staleAfterSeconds.map { ([("source", s.name)], String(Int64($0))) } })
        family("vaultops_source_not_due", "1 when the last run left the source out because its schedule was not due.",
               sources.map { ([("source", $0.name)], $0.skipped == nil ? "0" : "1") })
        family("vaultops_source_last_upload_success_timestamp_seconds",
               "When the source's newest backup that reached OSS was taken (Unix time; 0 when never).",
               sources.filter { $0.upload != nil || $0.lastUploadSuccess != nil }
                   .map { s in ([("source", s.name)], s.lastUploadSuccess.map(seconds) ?? "0") })
        family("vaultops_source_last_drill_success_timestamp_seconds",
               "When the source's last successful trial restore (drill) finished (Unix time; 0 when never).",
               sources.filter { $0.drill != nil || $0.lastDrillSuccess != nil }
                   .map { s in ([("source", s.name)], s.lastDrillSuccess.map(seconds) ?? "0") })
        family("vaultops_source_drill_success", "1 when the source's trial restore (drill) in the last run succeeded.",
               sources.compactMap { s in s.drill.map { ([("source", s.name)], $0.ok ? "1" : "0") } })
        family("vaultops_source_duration_seconds", "How long the source's last backup, verify and upload took.",
               sources.map { ([("source", $0.name)], decimal($0.durationSeconds)) })
        family("vaultops_source_bytes", "Size of the source's newest good artifact in bytes.",
               sources.compactMap { s in s.lastSuccess.map { ([("source", s.name)], String($0.sizeBytes)) } })
        family("vaultops_source_verified", "1 when the source's artifact from the last run passed verification.",
               archived.map { ([("source", $0.name)], $0.verified ? "1" : "0") })
        family("vaultops_source_uploaded", "1 when the source's artifact from the last run reached OSS.",
               sources.compactMap { s in s.upload.map { ([("source", s.name)], $0.ok ? "1" : "0") } })
        var counts: [(labels: [(String, String)], value: String)] = []
        for prune in status.prunes where prune.ok && !prune.isReplica {
            for source in archived {
                counts.append(([("source", source.name), ("location", prune.store)], String(prune.kept[source.name] ?? 0)))
            }
        }
        family("vaultops_source_artifacts", "Artifacts of the source kept after the last prune, per location.", counts)
        family("vaultops_prune_success", "1 when pruning the location succeeded in the last run.",
               status.prunes.map { ([("location", $0.store)], $0.ok ? "1" : "0") })
        let replicators = status.replicators ?? []
        family("vaultops_source_replicator_running",
               "1 when the source's replicator (vaultops replicate) was running at the last run (its heartbeat fresh, its pid alive).",
               replicators.map { ([("source", $0.source)], $0.running ? "1" : "0") })
        family("vaultops_source_replication_lag_seconds",
               "The source's replication lag as the last run saw it (for a replicator not running: since its last heartbeat).",
               replicators.compactMap { h in h.lagSeconds.map { ([("source", h.source)], decimal($0)) } })
        family("vaultops_run_lock_held_seconds",
               "How long another vaultops had held the lock when this run gave up (longer than the longest source timeout).",
               status.lockHeldSeconds.map { [([("holder", status.lockHolder ?? "")], decimal($0))] } ?? [])
        return out
    }

    /// Writes `render(status)` to `path`, replacing the file atomically (mode 0644 for node_exporter).
    public static func write(_ status: RunStatus, to path: String) throws {
        // The textfile folder may not exist yet (a fresh host, a collector not yet installed): the alert must
        // not be lost for that.
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try AtomicFile.replace(at: URL(fileURLWithPath: path), with: Data(render(status).utf8), mode: 0o644)
    }

    /// A label value with `\`, `"` and newlines escaped as the format requires.
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func seconds(_ date: Date) -> String { String(Int64(date.timeIntervalSince1970.rounded(.down))) }

    static func decimal(_ value: Double) -> String { String(format: "%.3f", value) }
}
