import ArgumentParser
import Foundation
import Replication
import VaultopsCore

/// `vaultops replicate --config FILE`: stream every SQLite source with `replicate:` until SIGTERM or SIGINT.
struct Replicate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream the WAL of every SQLite source with 'replicate:' to the backup destination until stopped.",
        discussion: """
        Runs in the foreground (systemd: cron/vaultops-replicate.service; docker: as the container's command). \
        Each source (in WAL mode; others are refused) gets a generation: a snapshot, then its committed \
        transactions as numbered WAL segments at most 'interval' apart, under replica/<source>/ in the config's \
        oss: prefix, else its backup_dir. A VACUUM, a replaced database file or 'snapshot_every' starts a new \
        generation. SIGTERM or SIGINT ships what is committed and exits 0. Restore with \
        'vaultops restore SOURCE --at "YYYY-MM-DD HH:MM:SS"', 'vaultops restore SOURCE --replica --latest' or \
        'vaultops restore SOURCE --txid N' (the state after a generation's N-th commit; see README).
        """
    )

    @Option(help: "The config file (default: $VAULTOPS_CONFIG, ./vaultops.yml, /etc/vaultops/vaultops.yml).")
    var config: String?

    func run() throws {
        let loaded = try ConfigLoader.load(from: ConfigLoader.configURL(explicit: config))
        let settings = OSSCommand.settings(config: loaded)
        let stop = StopRequest()
        stop.onTerminationSignals()
        try ReplicationService.run(ReplicationService.jobs(config: loaded),
                                   destination: { try ReplicationService.destination(config: loaded, settings: settings) },
                                   stop: stop, log: { printError("vaultops: \($0)") })
    }
}
