import ArgumentParser
import BackupJobs
import Foundation
import VaultopsCore

/// `vaultops run`: the nightly job — every configured source backed up, verified, then pruned.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up and verify every source in the config, then prune; for cron.",
        discussion: """
        Takes the lock beside the backups (a second run exits 4 at once, naming the holder). One failing \
        source never stops the others. Exit status: 0 all done, 5 some sources failed, 1 all failed, \
        2 configuration error.
        """
    )

    @Option(help: "The config file (default: $VAULTOPS_CONFIG, ./vaultops.yml, /etc/vaultops/vaultops.yml).")
    var config: String?

    @Flag(name: .customLong("dry-run"), help: "Say what would be done; write and remove nothing.")
    var dryRun = false

    func run() throws {
        let url = ConfigLoader.configURL(explicit: config)
        let loaded = try ConfigLoader.load(from: url)
        guard !loaded.sources.isEmpty else {
            throw ConfigError(file: url.path, line: nil, keyPath: "sources", message: "no sources configured: nothing to back up")
        }
        let logger = VaultopsLogging.logger("vaultops.run")
        var lock: ProcessLock?
        if !dryRun, let path = loaded.lockPath {
            lock = try ProcessLock.acquire(path: path, command: "vaultops run")
        }
        defer { lock?.release() }
        logger.info("run started: \(loaded.sources.count) sources from \(url.path)")
        let outcome = try RunJob.run(config: loaded, dryRun: dryRun) { line in logger.info("\(line)") }
        let failed = outcome.sources.filter { !$0.succeeded }
        for source in outcome.sources {
            let state = source.succeeded ? (dryRun ? "planned" : "ok") : "FAILED"
            var line = "\(state.padding(toLength: 7, withPad: " ", startingAt: 0)) \(source.name)"
            if let artifact = source.artifact { line += "  \(artifact.lastPathComponent)  \(formatBytes(UInt64(source.sizeBytes)))" }
            if let error = source.error { line += "  \(error)" }
            print(line)
        }
        if let prune = outcome.prune { print("prune   \(prune)") }
        let code = outcome.exitCode
        logger.info("run finished: \(outcome.sources.count - failed.count) of \(outcome.sources.count) sources done, exit \(code.rawValue)")
        if code != .success { throw CommandExit(code: code) }
    }
}
