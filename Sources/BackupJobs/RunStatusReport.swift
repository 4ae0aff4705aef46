import Foundation
import Replication
import Storage
import VaultopsCore

/// One row of `vaultops status`: how a configured source stands.
public struct SourceStatusRow: Codable, Sendable, Equatable {
    public var name: String
    public var kind: String
    /// When the newest good backup was taken; nil when there is none.
    public var lastBackup: Date?
    public var lastArtifact: String?
    public var ageSeconds: Double?
    public var sizeBytes: Int64?
    public var verified: Bool?
    /// Whether the newest good backup reached OSS; nil when OSS is not configured or unknown.
    public var uploaded: Bool?
    /// True when there is no good backup or it is older than `StatusReport.staleAfter`.
    public var stale: Bool
    /// Whether the source's last run fully succeeded; nil when no run recorded it.
    public var lastRunOK: Bool?
    /// Why the last run failed, when it did.
    public var lastError: String?
    /// Sizes of the recent good backups, oldest first.
    public var sizeHistory: [Int64]
    /// A sparkline and the change against the previous backup, e.g. `▃▄▅▅█ +12%`.
    public var trend: String
    /// Where the row's facts come from: `status` (the status file) or `manifest` (the newest local manifest).
    public var from: String
    /// The source's `schedule:`.
    public var schedule: String = "daily"
    /// The age past which the row is stale: the schedule's longest gap between due days plus 2 hours.
    public var staleAfterSeconds: Double = StatusReport.staleAfter
    /// True for a mirror-only source (`archive: false`): `lastBackup` is its last full mirror.
    public var mirrorOnly: Bool = false
    /// Why the last run left the source out (`not due today (weekly: sunday)`), when it did.
    public var skipped: String?
    /// The `postgres_all:` source the row is a member of (its globals or one database), when it is one.
    public var cluster: String?
}

/// `vaultops status`: every configured source with its last backup, age, size, verification and upload.
public enum StatusReport {
    /// A daily source whose newest good backup is older than this is flagged stale (a nightly job plus slack);
    /// other schedules allow their longest gap between due days plus the same slack (`Schedule.staleAfter`).
    public static let staleAfter: TimeInterval = Schedule.daily.staleAfter

    /// The rows for `config`'s sources from `status` (the last run), falling back to the newest local
    /// manifest for a source the status file does not know.
    public static func rows(config: Config, status: RunStatus?, localManifests: [Manifest], now: Date) -> [SourceStatusRow] {
        config.sources.flatMap { source -> [SourceStatusRow] in
            guard source.wholeServer != nil else { return [row(source.name, source, config: config, status: status,
                                                                localManifests: localManifests, now: now)] }
            // A whole server is listed as its members: each database the runs (or the manifests here) know of.
            let members = memberNames(of: source.name, status: status, localManifests: localManifests)
            if members.isEmpty {
                return [row(source.name, source, config: config, status: status, localManifests: localManifests, now: now)]
            }
            return members.map { name in
                var row = row(name, source, config: config, status: status, localManifests: localManifests, now: now)
                row.cluster = source.name
                return row
            }
        }
    }

    /// The artifact source names of the whole-server source `name`'s members: globals first, then by name.
    static func memberNames(of name: String, status: RunStatus?, localManifests: [Manifest]) -> [String] {
        var names = Set(status?.sources.filter { $0.cluster == name }.map(\.name) ?? [])
        for manifest in localManifests where ClusterArtifacts.member(of: manifest)?.name == name {
            if let source = ArtifactName.parse(manifest.artifact)?.source { names.insert(source) }
        }
        let globals = ClusterArtifacts.sourceName(name, .globals)
        return names.sorted { ($0 == globals ? 0 : 1, $0) < ($1 == globals ? 0 : 1, $1) }
    }

    /// The row of the artifact source `name`, configured as `source`.
    private static func row(_ name: String, _ source: SourceConfig, config: Config, status: RunStatus?,
                            localManifests: [Manifest], now: Date) -> SourceStatusRow {
        var row = SourceStatusRow(name: name, kind: source.kind.rawValue, stale: true, sizeHistory: [], trend: "", from: "none")
        row.schedule = source.schedule.description
        row.staleAfterSeconds = source.schedule.staleAfter
        row.mirrorOnly = !source.archive
        if let entry = status?.source(named: name) {
            row.from = "status"
            row.lastRunOK = entry.succeeded
            row.lastError = entry.error
            row.skipped = entry.skipped
            if !source.archive {
                // Its copy is the mirror: judged by the last full mirror, never by artifacts it does not make.
                row.lastBackup = entry.lastMirrorSuccess
                row.uploaded = entry.mirror?.ok
            } else if let last = entry.lastSuccess {
                row.lastBackup = last.at
                row.lastArtifact = last.artifact
                row.sizeBytes = last.sizeBytes
                row.verified = last.verified
                row.uploaded = config.oss == nil ? nil : last.uploaded
            }
            row.sizeHistory = entry.history.compactMap(\.sizeBytes)
        } else if let manifest = newest(localManifests, source: name) {
            row.from = "manifest"
            row.lastBackup = manifest.createdAt
            row.lastArtifact = manifest.artifact
            row.sizeBytes = manifest.sizeBytes
            row.sizeHistory = localManifests.filter { ArtifactName.parse($0.artifact)?.source == name }
                .sorted { $0.createdAt < $1.createdAt }.map(\.sizeBytes)
        }
        if let last = row.lastBackup {
            row.ageSeconds = now.timeIntervalSince(last)
            row.stale = row.ageSeconds! > row.staleAfterSeconds
        }
        row.trend = trend(row.sizeHistory)
        return row
    }

    static func newest(_ manifests: [Manifest], source: String) -> Manifest? {
        manifests.filter { ArtifactName.parse($0.artifact)?.source == source }.max { $0.createdAt < $1.createdAt }
    }

    /// The manifests in `backupDir` (unreadable ones are skipped: `verify` is the tool to judge them).
    public static func localManifests(backupDir: String) -> [Manifest] {
        manifests(in: LocalFolderBackend(path: backupDir))
    }

    /// The manifests directly in `backend`'s root (unreadable ones are skipped: `verify` is the tool to judge them).
    ///
    /// A manifest without its artifact (a crash between the two renames, manifest first) is no backup: skipped. As
    /// for prune, only regular files count: a symbolic link is never followed.
    public static func manifests(in backend: some StorageBackend) -> [Manifest] {
        let names = Set(((try? backend.list(prefix: "", recursive: false)) ?? []).filter { $0.kind == .object }.map(\.name))
        return names.filter { $0.hasSuffix(".manifest.json") && names.contains(String($0.dropLast(".manifest.json".count))) }
            .sorted()
            .compactMap { name in try? Manifest.decode(backend.load(name, range: nil), file: backend.location + name) }
    }

    /// A sparkline of the last `width` sizes and the change of the newest against the one before.
    ///
    /// `[]` → ``; `[100]` → `▄`; `[100, 110]` → `▁█ +10%`; equal sizes draw a flat middle line.
    public static func trend(_ sizes: [Int64], width: Int = 8) -> String {
        let recent = Array(sizes.suffix(width))
        guard let newest = recent.last else { return "" }
        let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let low = recent.min()!, high = recent.max()!
        var line = String(recent.map { size -> Character in
            guard high > low else { return bars[3] }
            let index = Int((Double(size - low) / Double(high - low) * Double(bars.count - 1)).rounded())
            return bars[index]
        })
        if recent.count >= 2 {
            let before = recent[recent.count - 2]
            if before > 0 {
                let change = (Double(newest) - Double(before)) / Double(before) * 100
                let rounded = Int(change.rounded())
                line += rounded == 0 ? " ±0%" : rounded > 0 ? " +\(rounded)%" : " \(rounded)%"
            }
        }
        return line
    }

    /// `45s`, `12m`, `3h05m`, `2d04h`.
    public static func age(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        if s < 86400 { return "\(s / 3600)h\(two(s % 3600 / 60))m" }
        return "\(s / 86400)d\(two(s % 86400 / 3600))h"
    }

    /// The table people read: one line per source, stale ones flagged, then the last run's summary.
    public static func table(_ rows: [SourceStatusRow], status: RunStatus?, timeZone: TimeZone, now: Date,
                             replication: [ReplicatorHealth] = []) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        func yesNo(_ value: Bool?) -> String { value.map { $0 ? "yes" : "NO" } ?? "-" }
        var table = [["SOURCE", "KIND", "LAST BACKUP", "AGE", "SIZE", "VERIFIED", "UPLOADED", "STATE", "TREND"]]
        var cluster: String?
        for row in rows {
            if let name = row.cluster, name != cluster {
                // A whole server's members are listed under it, each database on its own line.
                table.append([name, "server", "", "", "", "", "", "", ""])
            }
            cluster = row.cluster
            let state: String
            if row.lastBackup == nil {
                state = row.mirrorOnly ? "STALE (never mirrored)" : "STALE (no backup)"
            } else if row.stale {
                state = "STALE"
            } else if row.lastRunOK == false {
                state = "LAST RUN FAILED"
            } else {
                state = row.skipped != nil ? "ok (not due)" : "ok"
            }
            table.append([(row.cluster == nil ? "" : "  ") + row.name, row.mirrorOnly ? "mirror" : row.kind, row.lastBackup.map(formatter.string(from:)) ?? "never",
                          row.ageSeconds.map(age) ?? "-", row.sizeBytes.map(ProgressReporter.formatBytes) ?? "-",
                          yesNo(row.verified), yesNo(row.uploaded), state, row.trend])
        }
        let widths = table[0].indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        var lines = table.map { cells in
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        }
        for row in rows where row.lastRunOK == false {
            lines.append("  \(row.name): last run failed: \(Redacted.text(row.lastError ?? "unknown reason"))")
        }
        lines += ReplicationReport.statusLines(replication, timeZone: timeZone)
        if let status {
            lines.append("")
            var summary = "Last run: \(formatter.string(from: status.finishedAt)) (\(age(now.timeIntervalSince(status.finishedAt))) ago) "
                + "on \(status.host), exit \(status.exitCode), took \(age(status.durationSeconds))"
            if !status.errors.isEmpty { summary += "; problems: " + status.errors.map { Redacted.text($0) }.joined(separator: "; ") }
            lines.append(summary)
            for prune in status.prunes { lines.append("Prune \(prune.location): \(prune.ok ? "" : "FAILED: ")\(prune.summary)") }
        } else {
            lines.append("")
            lines.append("No run recorded yet (no status file).")
        }
        let stale = rows.filter(\.stale).map { "\($0.name) (\($0.schedule): none in the last \(age($0.staleAfterSeconds)))" }
        if !stale.isEmpty {
            lines.append("Stale (no good copy within the source's schedule): \(stale.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON for `--json`: the rows and the last run, dates as UTC ISO 8601, keys sorted.
    public static func json(_ rows: [SourceStatusRow], status: RunStatus?, replication: [ReplicatorHealth] = []) throws -> String {
        struct Document: Encodable {
            var sources: [SourceStatusRow]
            var staleAfterSeconds: Double
            var lastRun: RunStatus?
            /// Only when a source has `replicate:`.
            var replication: [ReplicatorHealth]?
        }
        let encoder = RunStatus.encoder
        let data = try encoder.encode(Document(sources: rows, staleAfterSeconds: staleAfter, lastRun: status,
                                               replication: replication.isEmpty ? nil : replication))
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
