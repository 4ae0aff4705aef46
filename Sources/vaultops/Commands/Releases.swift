import ArgumentParser
import Deploy
import Foundation
import VaultopsCore

/// `vaultops releases`: the release history from `<state_dir>/releases.jsonl`.
struct Releases: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List deploys and rollbacks: version, time, backup point, outcome, duration.",
        discussion: "The current release (what runs now) is marked with '*'. Reads the history only; takes no lock."
    )

    @Option(help: "The config file (default: $VAULTOPS_CONFIG, ./vaultops.yml, /etc/vaultops/vaultops.yml).")
    var config: String?

    @Flag(help: "Print JSON: {\"current\": id, \"releases\": [...]}, each with its steps and backup point.")
    var json = false

    func run() throws {
        let loaded = try ConfigLoader.load(from: ConfigLoader.configURL(explicit: config))
        let deployer = try Deployer(config: loaded) { printError($0) }
        let releases = try deployer.releases()
        let current = ReleaseHistory.current(releases)
        if json {
            FileHandle.standardOutput.write(ReleaseTable.json(releases, current: current))
            return
        }
        guard !releases.isEmpty else {
            printLine("no releases yet (\(deployer.history.url.path))")
            return
        }
        FileHandle.standardOutput.write(Data(ReleaseTable.text(releases, current: current, timeZone: loaded.effectiveTimeZone).utf8))
    }
}
