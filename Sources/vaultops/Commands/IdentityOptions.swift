import ArgumentParser
import Artifacts

/// `--identity FILE` and `--passphrase-file FILE`: the keys that read encrypted artifacts (`restore`, `verify`,
/// `download --decrypt`), else those `VAULTOPS_IDENTITY_FILE` / `VAULTOPS_PASSPHRASE_FILE` name.
struct IdentityOptions: ParsableArguments {
    @Option(help: "age identity file that reads encrypted (.age) artifacts (default: $VAULTOPS_IDENTITY_FILE).")
    var identity: String?

    @Option(name: .customLong("passphrase-file"), help: "File whose first line is the passphrase of passphrase-encrypted artifacts (default: $VAULTOPS_PASSPHRASE_FILE).")
    var passphraseFile: String?

    /// The keys named, or nil when nothing names any.
    func keys() throws -> DecryptionKeys? {
        try DecryptionKeys.load(identityFile: identity, passphraseFile: passphraseFile)
    }
}
