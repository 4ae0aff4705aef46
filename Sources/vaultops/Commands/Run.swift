import ArgumentParser
import BackupJobs
import Foundation
import VaultopsCore

/// `vaultops run`: the nightly job — every configured source backed up, verified, uploaded, then pruned,
/// with a status file, metrics and a notification on failure.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up, verify and upload every source in the config, then prune; for cron.",
        discussion: """
        Takes the lock beside the backups (a second run exits 4 at once, naming the holder). For each \
        source: backup, verify, upload to OSS (when 'oss:' is configured); then the backup folder and the \
        OSS prefix are pruned. One failing source never stops the others. Writes \
        <backup_dir>/.vaultops-status.json (read by 'vaultops status'), the metrics textfile, and posts \
        to the webhook on failure. Exit status: 0 all done, 5 something failed but some sources are \
        backed up, 1 nothing backed up, 2 configuration error, 4 another run holds the lock (reported to \
        the webhook and the metrics when it has held it longer than the longest source 'timeout', default 6h). \
        Sources whose 'schedule:' is not due today (in 'timezone:') are skipped, logged as "not due" and kept \
        in the status file as they were; --source NAME or --all-sources run them anyway.
        """
    )

    @Option(help: "The config file (default: $VAULTOPS_CONFIG, ./vaultops.yml, /etc/vaultops/vaultops.yml).")
    var config: String?

    @Flag(name: .customLong("dry-run"), help: "Say what would be done; write and remove nothing.")
    var dryRun = false

    @Option(name: .customLong("source"), help: "Run only this source, whatever its schedule (repeatable).")
    var sources: [String] = []

    @Flag(name: .customLong("all-sources"), help: "Run every source, whatever its schedule (a manual catch-up run).")
    var allSources = false

    func validate() throws {
        if allSources && !sources.isEmpty { throw ValidationError("--all-sources and --source exclude each other") }
    }

    func run() throws {
        let url = ConfigLoader.configURL(explicit: config)
        let loaded = try ConfigLoader.load(from: url)
        let selection = try SourceSelection.resolve(all: allSources, names: sources, in: loaded, file: url.path)
        let code = try RunJob.runHoldingLock(config: loaded, file: url.path, dryRun: dryRun, selection: selection) { outcome in
            printOutcome(outcome)
        }
        if code != .success { throw CommandExit(code: code) }
    }

    /// One line per source, prune and problem of the run.
    func printOutcome(_ outcome: RunOutcome) {
        for source in outcome.sources {
            if let skipped = source.skipped {
                print("skipped \(source.name)  \(skipped)")
                continue
            }
            let state = source.succeeded ? (dryRun ? "planned" : "ok") : "FAILED"
            var line = "\(state.padding(toLength: 7, withPad: " ", startingAt: 0)) \(source.name)"
            if let artifact = source.artifact { line += "  \(artifact.lastPathComponent)  \(formatBytes(UInt64(source.sizeBytes)))" }
            if source.verified { line += "  verified" }
            if let upload = source.upload, upload.ok { line += "  uploaded" }
            if let mirror = source.mirror, mirror.ok { line += "  mirrored (\(mirror.sent) sent)" }
            if let error = source.error { line += "  \(error)" }
            print(line)
        }
        for prune in outcome.prunes {
            print("\(prune.ok ? "prune  " : "FAILED ") \(prune.location): \(prune.summary)")
        }
        for error in outcome.errors { print("FAILED  \(error)") }
        if let problem = outcome.notificationProblem { print("notify  FAILED: \(problem)") }
    }
}
