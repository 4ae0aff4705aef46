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
        guard !loaded.sources.isEmpty else {
            throw ConfigError(file: url.path, line: nil, keyPath: "sources", message: "no sources configured: nothing to back up")
        }
        for name in sources where loaded.source(named: name) == nil {
            throw ConfigError(file: url.path, line: nil, keyPath: "sources",
                              message: "--source \(name): no such source (configured: \(loaded.sources.map(\.name).joined(separator: ", ")))")
        }
        let selection: SourceSelection = allSources ? .all : sources.isEmpty ? .due : .named(sources)
        let logger = VaultopsLogging.logger("vaultops.run")
        // Failures at error level and retries at warning level, so `grep -E 'ERROR|WARN'` finds what needs a look.
        let log: @Sendable (String) -> Void = { line in
            switch RunLogLevel(line: line) {
            case .error: logger.error("\(line)")
            case .warning: logger.warning("\(line)")
            case .info: logger.info("\(line)")
            }
        }
        var lock: ProcessLock?
        if !dryRun, let path = loaded.lockPath {
            do {
                lock = try ProcessLock.acquire(path: path, command: "vaultops run")
            } catch {
                // An unusable lock file (a full or broken backup folder) or a run stuck for longer than the source
                // timeouts must reach the webhook and the metrics like any failed run.
                RunJob.reportLockFailure(error, config: loaded, log: log)
                throw error
            }
            if let problem = lock?.recordProblem { log(problem) }
        }
        defer { lock?.release() }
        logger.info("run started: \(loaded.sources.count) sources from \(url.path)\(dryRun ? " (dry run)" : "")")
        let outcome = try RunJob.run(config: loaded, dryRun: dryRun, selection: selection, log: log)
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
        let code = outcome.exitCode
        let ran = outcome.sources.filter { $0.skipped == nil }
        let done = ran.filter(\.succeeded).count
        let skipped = outcome.sources.count - ran.count
        logger.info("run finished: \(done) of \(ran.count) sources done\(skipped > 0 ? ", \(skipped) not due" : ""), exit \(code.rawValue)")
        if code != .success { throw CommandExit(code: code) }
    }
}
