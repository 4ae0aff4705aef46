/// `encryption:` — who can read the backups: age recipients (`age1…` public keys, in the config or a recipients
/// file), or a passphrase read from a file. Globally or per source (a source's own replaces the global one).
///
/// Only public keys and file paths live here: the host that makes backups needs no secret to write them, except
/// with `passphrase_file`, whose passphrase reads them too.
public struct EncryptionConfig: Sendable, Equatable {
    /// `recipients:` — `age1…` X25519 public keys.
    public var recipients: [String]
    /// `recipients_file:` — a file of `age1…` lines as `age -R` reads (comments and blank lines allowed).
    public var recipientsFile: String?
    /// `passphrase_file:` — a file whose first line is the passphrase (never in the config or on a command line);
    /// age allows no other recipient beside a passphrase.
    public var passphraseFile: String?

    public init(recipients: [String] = [], recipientsFile: String? = nil, passphraseFile: String? = nil) {
        self.recipients = recipients
        self.recipientsFile = recipientsFile
        self.passphraseFile = passphraseFile
    }

    /// Why this setting cannot be used, or nil: it names nobody, or mixes a passphrase with recipients, or an
    /// entry of `recipients` is not shaped like an X25519 recipient (the Bech32 checksum is checked when it is used).
    public var problem: String? {
        if recipients.isEmpty && recipientsFile == nil && passphraseFile == nil {
            return "names no one to encrypt to: give recipients, recipients_file or passphrase_file"
        }
        if passphraseFile != nil && (!recipients.isEmpty || recipientsFile != nil) {
            return "passphrase_file cannot be combined with recipients (age allows a passphrase only alone)"
        }
        if let bad = recipients.first(where: { !Self.looksLikeRecipient($0) }) {
            if Self.isSecret(bad) {
                return "\(Self.shown(bad)) is given as a recipient: put its public key there (age-keygen -y FILE prints "
                    + "the age1… recipient), and keep the identity off this host"
            }
            return "\(Self.shown(bad)) is not an age X25519 recipient (age1… of 62 characters, as age-keygen prints it)"
        }
        return nil
    }

    /// A recipient entry as an error may show it: quoted and cut to 80 characters, or, for an age identity (a
    /// secret key pasted where its public key belongs), not at all.
    public static func shown(_ text: String) -> String {
        isSecret(text) ? "(an age identity, a secret key: not shown)" : "'\(text.prefix(80))'"
    }

    /// Whether `text` is an age identity (`AGE-SECRET-KEY-1…`, or a plugin's `AGE-PLUGIN-…`), in any case.
    public static func isSecret(_ text: String) -> Bool {
        let upper = text.trimmingCharacters(in: .whitespaces).uppercased()
        return upper.hasPrefix("AGE-SECRET-KEY-") || upper.hasPrefix("AGE-PLUGIN-")
    }

    /// `age1` and 58 Bech32 characters (lowercase); an `AGE-SECRET-KEY-1…` is refused as not a recipient.
    static func looksLikeRecipient(_ text: String) -> Bool {
        let charset = Set("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
        return text.count == 62 && text.hasPrefix("age1") && text.dropFirst(4).allSatisfy { charset.contains($0) }
    }
}
