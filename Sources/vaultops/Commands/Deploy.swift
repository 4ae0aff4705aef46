import ArgumentParser
import Deploy
import Foundation
import VaultopsCore

/// `vaultops deploy --version V`: a release wrapped around a verified backup point, rolled back automatically
/// when a health gate fails.
struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy a version: verified backup point, stages with health gates, automatic rollback.",
        discussion: """
        Takes the lock 'run' uses (exit 4 if held, or waits deploy.lock_wait), checks the config, the \
        required variables and the free space, backs up and verifies every deploy.backup_point source, runs \
        pre_deploy, then each stage's command followed by its health gate. Every command runs with VERSION, \
        PREVIOUS_VERSION, RELEASE and BACKUP_POINT (the backup point's artifact paths, ':'-separated) in its \
        environment; output goes to <state_dir>/logs/<release>.log. When a stage or gate fails: on_failure \
        runs, the stage's output tail (or its logs: command) is shown, and the stages run again with the \
        previous release's version (data restored from the backup point first only with \
        restore_data_on_rollback: always). Every step is recorded in <state_dir>/releases.jsonl. SIGINT, \
        SIGTERM or SIGHUP stop the running command's process group and record the release as failed \
        without a rollback (a second signal ends vaultops at once).
        Exit status: 0 deployed; 6 aborted before any change (preflight, backup point, pre_deploy); 7 failed \
        and rolled back (the previous release passes its gates again); 8 failed and the rollback failed too \
        (or there was nothing to roll back to); 2 configuration error; 4 another vaultops holds the lock.
        """
    )

    @Option(help: "The config file (default: $VAULTOPS_CONFIG, ./vaultops.yml, /etc/vaultops/vaultops.yml).")
    var config: String?

    @Option(help: "The version to deploy (given to every command as VERSION).")
    var version: String

    @Flag(name: .customLong("dry-run"), help: "Print the plan: what would be backed up, run and checked; change nothing.")
    var dryRun = false

    func validate() throws {
        guard !version.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--version is empty") }
        guard !version.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ValidationError("--version contains a control character")
        }
    }

    func run() throws {
        let loaded = try ConfigLoader.load(from: ConfigLoader.configURL(explicit: config))
        let deployer = try Deployer(config: loaded) { printLine($0) }
        if dryRun {
            let plan = try deployer.plan(version: version)
            printLine("dry run, nothing is changed:")
            FileHandle.standardOutput.write(Data(plan.text.utf8))
            if !plan.problems.isEmpty { throw CommandExit(code: .deployAborted) }
            return
        }
        let report = try deployer.deploy(version: version)
        if report.exitCode != .success { throw CommandExit(code: report.exitCode) }
    }
}

/// Writes a line to standard output at once (progress must not sit in a buffer while a stage runs).
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
