import ArgumentParser
import BackupJobs
import Foundation
import VaultopsCore

/// `vaultops status`: how every configured source stands, from the last run's status file.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every configured source: last backup, age, size, verified, uploaded, size trend.",
        discussion: """
        Reads <backup_dir>/.vaultops-status.json, written by 'vaultops run' (a source it does not know yet \
        is taken from the newest local manifest). Sources without a good copy within their schedule (26 hours \
        for daily, 7 days 2 hours for weekly: the longest gap between due days plus 2 hours) are \
        flagged STALE. Sources with 'replicate:' get a line each: whether 'vaultops replicate' runs (its heartbeat \
        in <backup_dir>/.vaultops-replicate-<source>.json is fresh and its pid alive) and its lag (how long the \
        oldest commit not yet shipped has waited; 0 when everything committed is shipped).
        """
    )

    @Option(help: "The config file (default: $VAULTOPS_CONFIG, ./vaultops.yml, /etc/vaultops/vaultops.yml).")
    var config: String?

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    func run() throws {
        let url = ConfigLoader.configURL(explicit: config)
        let loaded = try ConfigLoader.load(from: url)
        guard let backupDir = loaded.backupDir else {
            throw ConfigError(file: url.path, line: nil, keyPath: "backup_dir", message: "missing required key 'backup_dir'")
        }
        let status = try RunStatus.load(from: RunStatus.fileURL(backupDir: backupDir))
        let now = Date()
        let rows = StatusReport.rows(config: loaded, status: status, localManifests: StatusReport.localManifests(backupDir: backupDir),
                                     now: now)
        // Each replicated source's replicator, from the state file it keeps beside the status file.
        let replication = ReplicationReport.health(config: loaded, now: now)
        if json {
            print(try StatusReport.json(rows, status: status, replication: replication), terminator: "")
        } else {
            print(StatusReport.table(rows, status: status, timeZone: loaded.effectiveTimeZone, now: now, replication: replication),
                  terminator: "")
        }
    }
}
