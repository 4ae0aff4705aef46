@testable import Age
import Foundation
import Testing

@Suite("age refuses tampered, truncated, swapped and wrongly keyed files")
struct AgeTamperTests {
    let identity = X25519Identity.generate()
    let plaintext = patternBytes(3 * 65536 + 100)

    /// Where the payload starts: after the header and the 16-byte nonce.
    func payloadStart(_ file: [UInt8]) throws -> Int {
        let text = file.prefix(4096)
        let mac = try #require(text.indices.first { text[$0...].starts(with: Array("\n--- ".utf8)) })
        let end = try #require(text[(mac + 1)...].firstIndex(of: 0x0a))
        return end + 1 + 16
    }

    @Test("a changed byte in chunk N is refused at chunk N, and only earlier chunks were released",
          arguments: [0, 1, 3])
    func tamperedChunk(chunk: Int) throws {
        var file = try encrypt(plaintext, to: [identity.recipient])
        file[try payloadStart(file) + chunk * (65536 + 16) + 5] ^= 0x01
        let result = decrypt(file, with: [identity])
        #expect(result.error as? AgeError == .tamperedChunk(index: UInt64(chunk)))
        #expect(result.released == Array(plaintext.prefix(chunk * 65536)))
    }

    @Test("a file cut at a chunk boundary, inside a chunk or inside the nonce is refused, never short plaintext")
    func truncated() throws {
        let file = try encrypt(plaintext, to: [identity.recipient])
        let start = try payloadStart(file)
        let atBoundary = decrypt(Array(file.prefix(start + 2 * (65536 + 16))), with: [identity])
        #expect(atBoundary.error as? AgeError == .truncated("chunk 1 is not marked final and nothing follows it"))
        // Both chunks authenticate (as middle chunks), so both are released, and then the cut is an error.
        #expect(atBoundary.released == Array(plaintext.prefix(2 * 65536)))
        let inside = decrypt(Array(file.prefix(start + 65536 + 16 + 1000)), with: [identity])
        #expect(inside.error as? AgeError == .tamperedChunk(index: 1))
        let noChunk = decrypt(Array(file.prefix(start)), with: [identity])
        #expect(noChunk.error as? AgeError == .truncated("the payload has no chunk"))
        #expect(throws: AgeError.self) { try AgeReader(source: MemorySource(Array(file.prefix(start - 3))), identities: [identity]) }
        let dropLast = decrypt(Array(file.dropLast()), with: [identity])
        #expect(dropLast.error as? AgeError == .tamperedChunk(index: 3))
        #expect(dropLast.released == Array(plaintext.prefix(3 * 65536)))
    }

    @Test("a stanza swapped in from another file fails the MAC; a whole header swapped in fails the first chunk")
    func swappedHeader() throws {
        let first = try encrypt(plaintext, to: [identity.recipient])
        let second = try encrypt(patternBytes(1000, seed: 3), to: [identity.recipient])
        // The stanza lines of the second file with the MAC line of the first: the file key opens, the MAC fails.
        let stanzaEnd = { (file: [UInt8]) in file.indices.first { file[$0...].starts(with: Array("\n--- ".utf8)) }! }
        let swappedStanza = Array(second[..<stanzaEnd(second)]) + first[stanzaEnd(first)...]
        #expect(decrypt(swappedStanza, with: [identity]).error as? AgeError == .headerMACMismatch)
        // A whole header is self-consistent: its file key does not open the other file's first chunk.
        let swapped = Array(second.prefix(try payloadStart(second) - 16)) + first[(try payloadStart(first) - 16)...]
        let whole = decrypt(swapped, with: [identity])
        #expect(whole.error as? AgeError == .tamperedChunk(index: 0))
        #expect(whole.released.isEmpty)
        // A stanza edited in place (a recipient added by someone without the file key) fails the MAC too.
        var text = String(decoding: first.prefix(try payloadStart(first) - 16), as: UTF8.self)
        text = text.replacingOccurrences(of: "\n---", with: "\n-> grease\n\n---")
        let edited = Array(text.utf8) + first[(try payloadStart(first) - 16)...]
        #expect(decrypt(edited, with: [identity]).error as? AgeError == .headerMACMismatch)
    }

    @Test("a wrong key is no match; trailing bytes after the final chunk are refused after it")
    func wrongKeyAndTrailing() throws {
        let file = try encrypt(plaintext, to: [identity.recipient])
        #expect(decrypt(file, with: [X25519Identity.generate()]).error as? AgeError == .noMatchingIdentity)
        let trailing = decrypt(file + [0], with: [identity])
        #expect(trailing.error != nil)
        let exact = try encrypt(patternBytes(65536), to: [identity.recipient])
        let exactTrailing = decrypt(exact + [1, 2, 3], with: [identity])
        #expect(exactTrailing.error as? AgeError == .trailingData)
    }

    @Test("not an age file, another version, and a header over 1 MiB are bad headers")
    func notAge() {
        #expect(decrypt(Array("hello\n".utf8), with: [identity]).error as? AgeError
                == .badHeader("not an age file (no version line)"))
        #expect(decrypt(Array("age-encryption.org/v2\n".utf8), with: [identity]).error as? AgeError
                == .unsupportedVersion("age-encryption.org/v2"))
        let huge = Array("age-encryption.org/v1\n-> x\n".utf8)
            + [UInt8](repeating: UInt8(ascii: "A"), count: 2 << 20)
        #expect(decrypt(huge, with: [identity]).error as? AgeError == .badHeader("header longer than 1048576 bytes"))
    }
}
