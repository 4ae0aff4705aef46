import ArgumentParser
import BackupJobs
import Foundation
#if canImport(Glibc)
import Glibc
#endif
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
        generation. SIGTERM or SIGINT ships what is committed and exits 0. One replicator per source: each holds \
        <backup_dir>/.vaultops-replicate-<source>.lock (a second one exits 4 naming the holder's pid) and keeps \
        <backup_dir>/.vaultops-replicate-<source>.json (0600: pid, heartbeat, generation, last shipped commit, lag) for \
        'vaultops status' and 'run'. A lag over 'alert_lag' (60s by default) posts to notify.webhook once, and again \
        when it caught up; with 'metrics:', the lag goes to <textfile stem>-replication.prom beside the textfile. Restore with \
        'vaultops restore SOURCE --at "YYYY-MM-DD HH:MM:SS"', 'vaultops restore SOURCE --replica --latest' or \
        'vaultops restore SOURCE --txid N' (the state after a generation's N-th commit; see README).
        """
    )

    @Option(help: "The config file (default: $VAULTOPS_CONFIG, ./vaultops.yml, /etc/vaultops/vaultops.yml).")
    var config: String?

    func run() throws {
        #if canImport(Glibc)
        // Each pass allocates a few buffers of megabytes (the frames read from the WAL, their segment) and frees
        // them. glibc raises its mmap threshold to the size of a freed mmapped block (up to 32 MiB), so after the
        // first pass such buffers come from the malloc arenas instead, whose freed memory stays resident and
        // fragments: 4 MiB of peak RSS with a writer at 1,000 commits/s (MALLOC_MMAP_THRESHOLD_=131072 showed it).
        // A fixed threshold (glibc's initial one) keeps them mmapped and returned to the system when freed, for a
        // few mmap calls per pass. Process-wide, so here: this command is the process.
        // mallopt is declared in <malloc.h>, which the Glibc module does not include: looked up by name, with
        // M_MMAP_THRESHOLD's value (-3, part of glibc's ABI).
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            _ = unsafeBitCast(symbol, to: Mallopt.self)(-3, 128 << 10)
        }
        #endif
        let loaded = try ConfigLoader.load(from: ConfigLoader.configURL(explicit: config))
        let settings = OSSCommand.settings(config: loaded)
        let stop = StopRequest()
        stop.onTerminationSignals()
        let log: @Sendable (String) -> Void = { printError("vaultops: \(Redacted.text($0))") }
        guard let monitoring = ReplicationReport.monitoring(config: loaded, log: log) else {
            throw ConfigError(file: loaded.file, line: nil, keyPath: "backup_dir",
                              message: "replicate keeps its lock and state files in backup_dir: set 'backup_dir'")
        }
        try ReplicationService.run(ReplicationService.jobs(config: loaded),
                                   destination: { try ReplicationService.destination(config: loaded, settings: settings) },
                                   stop: stop, monitoring: monitoring, log: log)
    }
}
