import ArgumentParser
import Artifacts
import VaultopsCore

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

    /// The keys named when one of `artifacts` is encrypted (ends in `.age`), else nil: plain artifacts never read
    /// them, so a stale `VAULTOPS_IDENTITY_FILE` stops nothing.
    func keys(for artifacts: [String]) throws -> DecryptionKeys? {
        artifacts.contains { $0.hasSuffix(ArtifactName.encryptedSuffix) } ? try keys() : nil
    }
}
