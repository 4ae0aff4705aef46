import ArgumentParser
import Deploy
import Foundation
import VaultopsCore

/// `vaultops rollback [RELEASE] [--with-data]`: run an earlier release's version again, after a fresh backup point.
struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Roll back to an earlier release (code, and data with --with-data), after a fresh backup point.",
        discussion: """
        Without RELEASE, undoes the release running now (the newest deploy or rollback that succeeded; after a \
        deploy that failed and was rolled back automatically, the release it went back to): the version that ran \
        before it runs again, and --with-data restores the backup point taken just before it. The first line \
        printed names the release gone back to, the releases undone and the backup point. With RELEASE (an id from 'vaultops releases'), that release's version runs again, undoing every \
        release after it. A fresh verified backup point is taken first, so the rollback can itself be undone. \
        Without --with-data the databases are left alone (the report says so). With --with-data the stop: \
        command runs, then every source of the backup point taken just before the first undone release is \
        restored (PostgreSQL: in one transaction, dropping what the dump creates first; SQLite: the old file \
        is kept beside it), then the stages and gates run.
        Exit status: 0 rolled back; 6 aborted before any change; 8 the rollback failed (see its log); \
        2 nothing to roll back to or a configuration error; 4 another vaultops holds the lock.
        """
    )

    @Argument(help: "The release to go back to (e.g. r0002); default: the one before the release running now.")
    var release: String?

    @Option(help: "The config file (default: $VAULTOPS_CONFIG, ./vaultops.yml, /etc/vaultops/vaultops.yml).")
    var config: String?

    @Flag(name: .customLong("with-data"), help: "Also restore the data from the backup point (writers are stopped first).")
    var withData = false

    func run() throws {
        let loaded = try ConfigLoader.load(from: ConfigLoader.configURL(explicit: config))
        let deployer = try Deployer(config: loaded) { printLine($0) }
        let report = try deployer.rollback(to: release, withData: withData)
        if report.exitCode != .success { throw CommandExit(code: report.exitCode) }
    }
}
