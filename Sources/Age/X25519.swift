import Crypto
import Foundation

/// An age X25519 recipient, `age1…`: a Curve25519 public key.
public struct X25519Recipient: AgeRecipient, Equatable {
    /// The 32-byte public key (raw bytes: swift-crypto's key types are not Sendable).
    public let publicKeyBytes: [UInt8]
    /// The public key as swift-crypto's type.
    public var publicKey: Curve25519.KeyAgreement.PublicKey {
        try! Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKeyBytes)  // 32 bytes: cannot fail
    }
    static let stanzaType = "X25519"
    static let wrapInfo = Array("age-encryption.org/v1/X25519".utf8)

    /// A recipient for `publicKey`.
    public init(publicKey: Curve25519.KeyAgreement.PublicKey) { publicKeyBytes = Array(publicKey.rawRepresentation) }

    /// Parses `age1…` (Bech32, lowercase, 32 bytes).
    public init(_ text: String) throws {
        guard let (hrp, data) = Bech32.decode(text), hrp == "age" else {
            throw AgeError.invalidRecipient("not an age1… X25519 recipient")
        }
        guard data.count == 32 else {
            throw AgeError.invalidRecipient("an X25519 recipient holds 32 bytes, this one \(data.count)")
        }
        publicKeyBytes = data
    }

    /// The `age1…` string.
    public var string: String { Bech32.encode(hrp: "age", data: publicKeyBytes) }

    public func wrap(fileKey: [UInt8]) throws -> [Stanza] {
        // A fresh ephemeral key for every stanza of every file (spec: MUST).
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = Array(ephemeral.publicKey.rawRepresentation)
        let shared = try ephemeral.sharedSecretFromKeyAgreement(with: publicKey)
        let salt = share + publicKeyBytes
        let wrapKey = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: salt, sharedInfo: Self.wrapInfo,
                                                     outputByteCount: 32)
        let body = try sealFileKey(fileKey, with: wrapKey)
        return [Stanza(arguments: [Self.stanzaType, RawBase64.encodeString(share)], body: body)]
    }
}

/// An age X25519 identity, `AGE-SECRET-KEY-1…`: a Curve25519 private key.
///
/// - Important: holds a secret; its `description` never shows it.
public struct X25519Identity: AgeIdentity, CustomStringConvertible {
    // Raw bytes: swift-crypto's key types are not Sendable.
    private let secret: [UInt8]
    private var privateKey: Curve25519.KeyAgreement.PrivateKey {
        try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secret)  // 32 bytes: cannot fail
    }

    /// A new random identity, as `age-keygen` makes.
    public static func generate() -> X25519Identity {
        X25519Identity(secret: Array(Curve25519.KeyAgreement.PrivateKey().rawRepresentation))
    }

    private init(secret: [UInt8]) { self.secret = secret }

    /// Parses `AGE-SECRET-KEY-1…` (Bech32, uppercase, 32 bytes).
    public init(_ text: String) throws {
        guard let (hrp, data) = Bech32.decode(text), hrp == "AGE-SECRET-KEY-" else {
            throw AgeError.invalidIdentity("not an AGE-SECRET-KEY-1… X25519 identity")
        }
        guard data.count == 32 else {
            throw AgeError.invalidIdentity("an X25519 identity holds 32 bytes, this one \(data.count)")
        }
        secret = data
    }

    /// The `AGE-SECRET-KEY-1…` string: the secret itself.
    public var secretString: String {
        Bech32.encode(hrp: "AGE-SECRET-KEY-", data: secret)
    }

    /// The recipient that encrypts to this identity.
    public var recipient: X25519Recipient { X25519Recipient(publicKey: privateKey.publicKey) }

    public var description: String { "X25519Identity(\(recipient.string))" }

    public func unwrap(stanzas: [Stanza]) throws -> [UInt8]? {
        for stanza in stanzas where stanza.type == X25519Recipient.stanzaType {
            if let fileKey = try unwrap(stanza) { return fileKey }
        }
        return nil
    }

    private func unwrap(_ stanza: Stanza) throws -> [UInt8]? {
        guard stanza.arguments.count == 2 else { throw AgeError.badHeader("X25519 stanza needs exactly one share") }
        guard let share = RawBase64.decode(Array(stanza.arguments[1].utf8)), share.count == 32 else {
            throw AgeError.badHeader("X25519 share is not canonical base64 of 32 bytes")
        }
        // Checked before any decryption, against partitioning-oracle attacks (spec: MUST).
        guard stanza.body.count == 32 else { throw AgeError.badHeader("X25519 stanza body is not 32 bytes") }
        let sharePoint = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: share)
        let privateKey = self.privateKey
        let shared = try privateKey.sharedSecretFromKeyAgreement(with: sharePoint)
        // swift-crypto does not refuse the all-zero secret of a low-order share; the spec says to abort.
        let isZero = shared.withUnsafeBytes { bytes in bytes.reduce(0) { $0 | $1 } == 0 }
        if isZero { throw AgeError.badHeader("X25519 share is a low-order point") }
        let salt = share + Array(privateKey.publicKey.rawRepresentation)
        let wrapKey = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: salt,
                                                     sharedInfo: X25519Recipient.wrapInfo, outputByteCount: 32)
        return openFileKey(stanza.body, with: wrapKey)
    }
}

/// ChaCha20-Poly1305 with the all-zero nonce, as every native stanza wraps the 16-byte file key.
func sealFileKey(_ fileKey: [UInt8], with key: SymmetricKey) throws -> [UInt8] {
    let box = try ChaChaPoly.seal(fileKey, using: key, nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)))
    return Array(box.ciphertext) + Array(box.tag)
}

/// The file key in a 32-byte stanza body, or nil when the tag does not check (not this identity's stanza).
func openFileKey(_ body: [UInt8], with key: SymmetricKey) -> [UInt8]? {
    guard body.count == 32,
          let nonce = try? ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)),
          let box = try? ChaChaPoly.SealedBox(nonce: nonce, ciphertext: body[..<16], tag: body[16...]),
          let fileKey = try? ChaChaPoly.open(box, using: key) else { return nil }
    return Array(fileKey)
}
