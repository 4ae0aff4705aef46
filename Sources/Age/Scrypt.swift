import _CryptoExtras
import Crypto

/// A passphrase recipient: the file key wrapped with an scrypt-derived key.
///
/// A file with a passphrase recipient carries no other stanza (the age specification: a passphrase implies the
/// sender is authenticated, which another recipient would break).
public struct ScryptRecipient: AgeRecipient {
    static let stanzaType = "scrypt"
    static let saltLabel = Array("age-encryption.org/v1/scrypt".utf8)
    /// age's own default: about a second of work and 256 MiB of memory.
    public static let defaultWorkFactor = 18

    private let passphrase: [UInt8]
    /// log2 of the scrypt cost N.
    public let workFactor: Int

    /// A recipient for `passphrase` (not empty) with `workFactor` (log2 N, 1...30).
    public init(passphrase: String, workFactor: Int = defaultWorkFactor) throws {
        guard !passphrase.isEmpty else { throw AgeError.misuse("the passphrase is empty") }
        guard (1...30).contains(workFactor) else { throw AgeError.misuse("scrypt work factor \(workFactor) is not 1...30") }
        self.passphrase = Array(passphrase.utf8)
        self.workFactor = workFactor
    }

    public var mustBeAlone: Bool { true }

    public func wrap(fileKey: [UInt8]) throws -> [Stanza] {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = generator.next() }
        let key = try scryptKey(passphrase: passphrase, salt: salt, workFactor: workFactor)
        let body = try sealFileKey(fileKey, with: key)
        return [Stanza(arguments: [Self.stanzaType, RawBase64.encodeString(salt), String(workFactor)], body: body)]
    }
}

/// A passphrase identity: opens the scrypt stanza of a file, refusing work factors above `maximumWorkFactor`.
public struct ScryptIdentity: AgeIdentity, CustomStringConvertible {
    /// age's own limit: 2^22 (4 GiB of memory) at most.
    public static let defaultMaximumWorkFactor = 22
    private let passphrase: [UInt8]
    /// The largest work factor this identity will attempt.
    public let maximumWorkFactor: Int

    /// An identity for `passphrase` (not empty) that attempts work factors up to `maximumWorkFactor` (1...30).
    public init(passphrase: String, maximumWorkFactor: Int = defaultMaximumWorkFactor) throws {
        guard !passphrase.isEmpty else { throw AgeError.misuse("the passphrase is empty") }
        guard (1...30).contains(maximumWorkFactor) else {
            throw AgeError.misuse("scrypt maximum work factor \(maximumWorkFactor) is not 1...30")
        }
        self.passphrase = Array(passphrase.utf8)
        self.maximumWorkFactor = maximumWorkFactor
    }

    public var description: String { "ScryptIdentity(passphrase hidden)" }

    public func unwrap(stanzas: [Stanza]) throws -> [UInt8]? {
        for stanza in stanzas where stanza.type == ScryptRecipient.stanzaType {
            // The header check already refuses scrypt beside other stanzas; this keeps the identity safe alone.
            guard stanzas.count == 1 else { throw AgeError.badHeader("an scrypt stanza must be alone in the header") }
            let (salt, workFactor) = try Self.parse(stanza)
            guard workFactor <= maximumWorkFactor else {
                throw AgeError.workFactorTooHigh(workFactor, maximum: maximumWorkFactor)
            }
            let key = try scryptKey(passphrase: passphrase, salt: salt, workFactor: workFactor)
            return openFileKey(stanza.body, with: key)
        }
        return nil
    }

    private static func parse(_ stanza: Stanza) throws -> (salt: [UInt8], workFactor: Int) {
        guard stanza.arguments.count == 3 else { throw AgeError.badHeader("scrypt stanza needs a salt and a work factor") }
        guard let salt = RawBase64.decode(Array(stanza.arguments[1].utf8)), salt.count == 16 else {
            throw AgeError.badHeader("scrypt salt is not canonical base64 of 16 bytes")
        }
        // ^[1-9][0-9]*$: no sign, no leading zero, no hex; Int() alone accepts "+5".
        let text = stanza.arguments[2]
        guard let first = text.utf8.first, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first),
              text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw AgeError.badHeader("scrypt work factor is not a decimal number without leading zeros")
        }
        guard text.count <= 2, let workFactor = Int(text), workFactor <= 64 else {
            throw AgeError.badHeader("scrypt work factor \(text.prefix(20)) is out of range")
        }
        guard stanza.body.count == 32 else { throw AgeError.badHeader("scrypt stanza body is not 32 bytes") }
        return (salt, workFactor)
    }
}

/// scrypt(N = 2^workFactor, r = 8, p = 1, dkLen = 32, S = label || salt, P = passphrase).
private func scryptKey(passphrase: [UInt8], salt: [UInt8], workFactor: Int) throws -> SymmetricKey {
    try KDF.Scrypt.deriveKey(from: passphrase, salt: ScryptRecipient.saltLabel + salt, outputByteCount: 32,
                             rounds: 1 << workFactor, blockSize: 8, parallelism: 1)
}
