import Age
import Archive
import Foundation
import VaultopsCore

/// Whom a backup encrypts to: the age recipients of an `encryption:` setting or of `--recipient`, resolved.
///
/// Holds public keys only, except with a passphrase file (whose passphrase reads the backups as well).
public struct EncryptionRecipients: Sendable {
    /// The recipients the file key is wrapped for.
    let recipients: [any AgeRecipient]
    /// What the manifest records: the `age1…` public keys, or `passphrase (scrypt)`.
    public let described: [String]

    /// The words a manifest uses for a passphrase recipient.
    public static let passphraseDescription = "passphrase (scrypt)"

    /// Reads the recipients of `config`: its `age1…` strings and recipients file, or its passphrase file (first
    /// line; the passphrase is never on a command line).
    public static func resolve(_ config: EncryptionConfig) throws(ArtifactError) -> EncryptionRecipients {
        if let problem = config.problem { throw ArtifactError.encryptionSetting(problem) }
        if let file = config.passphraseFile {
            let passphrase = try readPassphrase(file)
            do {
                return EncryptionRecipients(recipients: [try ScryptRecipient(passphrase: passphrase)],
                                            described: [passphraseDescription])
            } catch {
                throw ArtifactError.encryptionSetting("passphrase_file \(file): \(error)")
            }
        }
        var recipients: [X25519Recipient] = []
        do {
            for (index, text) in config.recipients.enumerated() {
                do { recipients.append(try X25519Recipient(text)) } catch {
                    // The parser's words could quote the text, and a pasted identity must never be shown.
                    let why = EncryptionConfig.isSecret(text) ? "give its public key (age-keygen -y FILE)" : "\(error)"
                    throw ArtifactError.encryptionSetting("recipient \(index + 1) \(EncryptionConfig.shown(text)) is not a valid age1… recipient: \(why)")
                }
            }
            if let file = config.recipientsFile {
                do { recipients += try AgeKeyFile.recipients(atPath: file) } catch {
                    throw ArtifactError.encryptionSetting("recipients_file \(file): \(error)")
                }
            }
        } catch let error as ArtifactError {
            throw error
        } catch {
            throw ArtifactError.encryptionSetting("\(error)")
        }
        var seen = Set<String>()
        let unique = recipients.filter { seen.insert($0.string).inserted }
        return EncryptionRecipients(recipients: unique, described: unique.map(\.string))
    }

    /// The first line of `path`, without its line end.
    static func readPassphrase(_ path: String) throws(ArtifactError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArtifactError.encryptionSetting("passphrase file \(path) cannot be read")
        }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        let passphrase = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        guard !passphrase.isEmpty else { throw ArtifactError.encryptionSetting("passphrase file \(path) starts with an empty line") }
        return passphrase
    }
}

/// The secrets that read encrypted artifacts: the X25519 identities of an identity file (as `age-keygen` writes),
/// or a passphrase read from a file.
///
/// - Important: holds secrets; its `description` names only where they came from.
public struct DecryptionKeys: Sendable, CustomStringConvertible {
    let identities: [any AgeIdentity]
    /// Where the keys came from, for messages (`identity file /root/key.txt`).
    public let origin: String

    /// The environment variable naming an identity file, for commands without `--identity` (deploy's restore, drills).
    public static let identityFileVariable = "VAULTOPS_IDENTITY_FILE"
    /// The environment variable naming a passphrase file.
    public static let passphraseFileVariable = "VAULTOPS_PASSPHRASE_FILE"

    public var description: String { origin }

    /// Reads `identityFile` and/or `passphraseFile`, else the files the environment names; nil when nothing names any.
    public static func load(identityFile: String? = nil, passphraseFile: String? = nil,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(ArtifactError) -> DecryptionKeys? {
        let identityPath = identityFile ?? environment[identityFileVariable].flatMap { $0.isEmpty ? nil : $0 }
        let passphrasePath = passphraseFile ?? environment[passphraseFileVariable].flatMap { $0.isEmpty ? nil : $0 }
        var identities: [any AgeIdentity] = []
        var origins: [String] = []
        if let identityPath {
            do {
                identities += try AgeKeyFile.identities(atPath: identityPath)
            } catch {
                throw ArtifactError.identity(path: identityPath, reason: "\(error)")
            }
            origins.append("identity file \(identityPath)")
        }
        if let passphrasePath {
            let passphrase: String
            do { passphrase = try EncryptionRecipients.readPassphrase(passphrasePath) } catch {
                throw ArtifactError.identity(path: passphrasePath, reason: "\(error)")
            }
            do { identities.append(try ScryptIdentity(passphrase: passphrase)) } catch {
                throw ArtifactError.identity(path: passphrasePath, reason: "\(error)")
            }
            origins.append("passphrase file \(passphrasePath)")
        }
        guard !identities.isEmpty else { return nil }
        return DecryptionKeys(identities: identities, origin: origins.joined(separator: " and "))
    }
}

/// `vaultops keygen`: a new X25519 identity in the file format of `age-keygen`.
public enum IdentityGeneration {
    /// Writes a new identity to `path` (mode 0600; an existing file is refused) and returns its recipient (`age1…`).
    public static func write(to path: String) throws -> String {
        do {
            return try AgeKeyFile.generate(to: path).recipient.string
        } catch let error as ArchiveError {
            if case .destinationExists = error {
                throw ArtifactError.refused(path: path, reason: "already exists; an identity file is never overwritten (the backups it reads would be lost)")
            }
            throw error
        }
    }

    /// A new identity as the text of an identity file, and its recipient.
    public static func text() -> (text: String, recipient: String) {
        let identity = X25519Identity.generate()
        return (AgeKeyFile.keygenText(for: identity), identity.recipient.string)
    }
}
