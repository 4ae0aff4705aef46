import ArgumentParser
import Artifacts
import Foundation

/// `vaultops keygen [-o FILE]`: a new age identity for encrypted backups, as `age-keygen` makes it.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make an age identity (X25519 key pair) for encrypted backups and print its recipient.",
        discussion: """
        With -o FILE the identity is written to FILE (mode 0600; an existing file is never overwritten) and its \
        recipient (age1…) printed; without it the identity file's text goes to standard output and the recipient \
        to standard error, as age-keygen does. Put the recipient in the config (encryption: recipients:) and keep \
        the identity OFF the backup host: it is the only thing that reads the backups.
        """
    )

    @Option(name: .shortAndLong, help: "Write the identity to this file (mode 0600) instead of standard output.")
    var output: String?

    func run() throws {
        if let output {
            let recipient = try IdentityGeneration.write(to: output)
            printError("vaultops: wrote the identity to \(output); keep it secret and off the backup host")
            print(recipient)
        } else {
            let (text, recipient) = IdentityGeneration.text()
            print(text, terminator: "")
            printError("Public key: \(recipient)")
        }
    }
}
