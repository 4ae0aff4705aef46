@testable import Age
import Archive
import Foundation
import Testing
import TestSupport

@Suite("age keys, header encoding and STREAM")
struct AgeFormatTests {
    // The example keys of the age specification.
    static let specIdentity = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
    static let specRecipient = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"

    @Test("the specification's example identity gives its example recipient, and both re-encode identically")
    func specKeys() throws {
        let identity = try X25519Identity(Self.specIdentity)
        #expect(identity.recipient.string == Self.specRecipient)
        #expect(identity.secretString == Self.specIdentity)
        #expect(try X25519Recipient(Self.specRecipient).string == Self.specRecipient)
        #expect(!identity.description.contains("SECRET"))
    }

    @Test("Bech32: wrong checksum, mixed case, wrong HRP and wrong length are refused", arguments: [
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwk",  // last character changed
        "age1Zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj",  // mixed case
        "AGE1ZVKYG2LQZRAA2LNJVQEJ32NKUU0UES2S82HZRYE869XEEXVN73EQUNUJWJ",  // recipients are lowercase
        "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq6xz3yk",  // not 32 bytes
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "",
    ])
    func badRecipients(_ text: String) {
        #expect(throws: AgeError.self) { try X25519Recipient(text) }
    }

    @Test("an identity must be uppercase AGE-SECRET-KEY-1 with a valid checksum")
    func badIdentities() {
        #expect(throws: AgeError.self) { try X25519Identity(Self.specIdentity.lowercased()) }
        #expect(throws: AgeError.self) { try X25519Identity(String(Self.specIdentity.dropLast()) + "Q") }
        #expect(throws: AgeError.self) { try X25519Identity(Self.specRecipient) }
    }

    @Test("canonical unpadded base64 only: padding, stray bits and bad characters are refused")
    func base64() {
        #expect(RawBase64.decode(Array("YWdl".utf8)) == Array("age".utf8))
        #expect(RawBase64.decode(Array("YQ".utf8)) == [0x61])
        #expect(RawBase64.decode(Array("YR".utf8)) == nil)  // non-zero unused bits
        #expect(RawBase64.decode(Array("YQ==".utf8)) == nil)
        #expect(RawBase64.decode(Array("Y".utf8)) == nil)
        #expect(RawBase64.decode(Array("YW\rl".utf8)) == nil)
        for length in 0..<70 {
            let bytes = patternBytes(length)
            #expect(RawBase64.decode(RawBase64.encode(bytes)) == bytes)
        }
    }

    @Test("a header round-trips; a body of 48 bytes ends with an empty line")
    func headerRoundTrip() throws {
        let stanzas = [Stanza(arguments: ["X25519", "abc"], body: patternBytes(32)),
                       Stanza(arguments: ["example.com/enigma", "x", "y"], body: patternBytes(48)),
                       Stanza(arguments: ["grease"], body: [])]
        let key = patternBytes(16)
        let encoded = Header.encode(stanzas: stanzas, fileKey: key)
        let text = String(decoding: encoded, as: UTF8.self)
        #expect(text.contains("-> example.com/enigma x y\n\(RawBase64.encodeString(patternBytes(48)))\n\n"))
        let header = try Header.read(from: BufferedInput(MemorySource(encoded, step: 3)))
        #expect(header.stanzas == stanzas)
        #expect(header.verifyMAC(fileKey: key))
        #expect(!header.verifyMAC(fileKey: patternBytes(16, seed: 9)))
    }

    @Test("plaintext sizes around the 64 KiB chunk round-trip, and the file has the expected number of chunks",
          arguments: [0, 1, 65535, 65536, 65537, 2 * 65536, 2 * 65536 + 1, 3_000_000])
    func roundTrip(size: Int) throws {
        let identity = X25519Identity.generate()
        let plaintext = patternBytes(size)
        let file = try encrypt(plaintext, to: [identity.recipient], step: 4093)
        let header = Header.encode(stanzas: [Stanza(arguments: ["X25519", String(repeating: "A", count: 43)],
                                                    body: patternBytes(32))], fileKey: patternBytes(16))
        // Chunks: ceil(size / 64 KiB), and one (empty) for an empty payload; never an empty final chunk otherwise.
        let chunks = max(1, (size + 65535) / 65536)
        #expect(file.count == header.count + 16 + size + 16 * chunks)
        for step in [Int.max, 1000] {
            let result = decrypt(file, with: [identity], step: step)
            #expect(result.error == nil)
            #expect(result.released == plaintext)
        }
    }

    @Test("several recipients: each identity decrypts alone; another identity does not")
    func severalRecipients() throws {
        let identities = (0..<3).map { _ in X25519Identity.generate() }
        let plaintext = patternBytes(100_000)
        let file = try encrypt(plaintext, to: identities.map(\.recipient))
        for identity in identities { #expect(decrypt(file, with: [identity]).released == plaintext) }
        let stranger = decrypt(file, with: [X25519Identity.generate()])
        #expect(stranger.error as? AgeError == .noMatchingIdentity)
        #expect(decrypt(file, with: [X25519Identity.generate(), identities[2]]).released == plaintext)
    }

    @Test("passphrase: round-trips; a wrong passphrase is no match; scrypt cannot be mixed; work factor capped")
    func passphrase() throws {
        let plaintext = patternBytes(70_000)
        let file = try encrypt(plaintext, to: [try ScryptRecipient(passphrase: "correct horse", workFactor: 10)])
        #expect(String(decoding: file.prefix(40), as: UTF8.self).contains("-> scrypt "))
        #expect(decrypt(file, with: [try ScryptIdentity(passphrase: "correct horse")]).released == plaintext)
        #expect(decrypt(file, with: [try ScryptIdentity(passphrase: "wrong")]).error as? AgeError == .noMatchingIdentity)
        let capped = decrypt(file, with: [try ScryptIdentity(passphrase: "correct horse", maximumWorkFactor: 9)])
        #expect(capped.error as? AgeError == .workFactorTooHigh(10, maximum: 9))
        #expect(throws: AgeError.self) {
            try AgeWriter(recipients: [try ScryptRecipient(passphrase: "p", workFactor: 10),
                                       X25519Identity.generate().recipient], output: MemorySink())
        }
        #expect(throws: AgeError.self) { try ScryptRecipient(passphrase: "") }
    }

    @Test("write after finish is refused; finish twice is harmless")
    func misuse() throws {
        let writer = try AgeWriter(recipients: [X25519Identity.generate().recipient], output: MemorySink())
        try writer.finish()
        try writer.finish()
        #expect(throws: AgeError.misuse("write after finish")) { try writer.write([1]) }
        #expect(throws: AgeError.self) { try AgeWriter(recipients: [], output: MemorySink()) }
    }
}
