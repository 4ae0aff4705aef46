import ArgumentParser

/// The vaultops command line: backups, restores, retention, migration, OSS and deploys.
@main
struct Vaultops: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vaultops",
        abstract: "Keep a small team's data safe: backups, restores, retention, OSS, deploys.",
        subcommands: [Upload.self, Download.self, Ls.self, Rm.self, Presign.self]
    )
}
