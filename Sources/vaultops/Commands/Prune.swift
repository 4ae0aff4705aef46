import ArgumentParser
import BackupJobs
import Foundation
import Retention
import Storage

/// `vaultops prune LOCATION`: remove backups past the retention policy, per source.
struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove backups past the retention policy, judging each source on its own.",
        discussion: """
            Keeps every backup taken within --keep-days of its source's newest verified backup (counted back \
            from that backup, not from now); --keep-last/--keep-daily/--keep-weekly/--keep-monthly keep the \
            newest backup of more periods. The newest verified backup of every source is never removed; \
            verified means its content checks out against its manifest now (SHA-256; on OSS the CRC-64 OSS \
            reports). Manifests go with their artifacts; vaultops' own leftovers (.partial files, killed \
            SQLite snapshots and restores) older than a day are removed; files that are \
            not vaultops backups are never touched. Without any --keep option the policy is --keep-days 30. \
            With a config, the replica of every source with 'replicate:' found at LOCATION (replica/<source>/) loses \
            the generations past the source's 'keep:' (a generation goes only once a newer one, with its snapshot, \
            covers the start of the window; the newest is never removed); --dry-run names them.
            """)

    @Argument(help: "The backup folder (or oss://BUCKET/PREFIX).")
    var location: String

    @Option(name: .customLong("keep-days"), help: "Keep backups within N days of the newest verified one.")
    var keepDays: Int?

    @Option(name: .customLong("keep-last"), help: "Keep the newest N backups of each source.")
    var keepLast: Int?

    @Option(name: .customLong("keep-daily"), help: "Keep the newest backup of each of the last N days that have one.")
    var keepDaily: Int?

    @Option(name: .customLong("keep-weekly"), help: "Keep the newest backup of each of the last N ISO weeks that have one.")
    var keepWeekly: Int?

    @Option(name: .customLong("keep-monthly"), help: "Keep the newest backup of each of the last N months that have one.")
    var keepMonthly: Int?

    @Option(name: .customLong("time-zone"), help: "Time zone of the names and periods (default: the host's).")
    var timeZoneName: String?

    @Flag(name: .customLong("dry-run"), help: "Show what would be removed and why each kept backup stays; touch nothing.")
    var dryRun = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    /// For OSS settings and the replicated sources (their `keep:`); the config's `retention:` is not applied here yet.
    @OptionGroup var config: ConfigOption

    /// The policy from the command line, or the default when no --keep option is given.
    ///
    /// The configuration's `retention:` block goes in as `configuration:` once `--config` is wired.
    var policy: RetentionPolicy {
        let given = RetentionPolicy(keepDays: keepDays, keepLast: keepLast, keepDaily: keepDaily,
                                    keepWeekly: keepWeekly, keepMonthly: keepMonthly)
        return RetentionPolicy.resolve(commandLine: given, configuration: nil)
    }

    func validate() throws {
        do {
            try policy.validate()
        } catch {
            throw ValidationError(error.description)
        }
        if let timeZoneName, TimeZone(identifier: timeZoneName) == nil {
            throw ValidationError("unknown time zone '\(timeZoneName)' (use a name such as Asia/Shanghai or UTC)")
        }
    }

    func run() throws {
        let timeZone = timeZoneName.flatMap(TimeZone.init(identifier:)) ?? .current
        // The same plan for a folder and for OSS (ListObjectsV2 pages in, DeleteMultipleObjects and aborted uploads out).
        let backend = try config.settings().backend(location: location)
        let report = try Pruner.run(backend: backend, policy: policy, timeZone: timeZone, dryRun: dryRun)
        // Replicas (sources with replicate:) at this location: generations past each source's keep.
        let replicas = try config.load().map { ReplicationReport.prune(config: $0, backend: backend, dryRun: dryRun) } ?? []
        if json {
            print(ReplicationReport.pruneJSON(report.json(), replicas: replicas, dryRun: dryRun), terminator: "")
        } else {
            print(report.text, terminator: "")
            for replica in replicas { print("replica \(replica.location): \(replica.summary(dryRun: dryRun))") }
        }
        if !report.succeeded {
            throw RetentionError(.removeFailed, "\(report.failures.count) of the planned removals failed",
                                 object: location)
        }
        if let failed = replicas.first(where: { $0.error != nil }) {
            throw RetentionError(.removeFailed, "pruning the replica failed: \(failed.error ?? "")", object: failed.location)
        }
    }
}
