import Crypto
import Foundation

/// The STREAM construction of the age payload: ChaCha20-Poly1305 over 64 KiB chunks, nonce = 11-byte big-endian
/// chunk counter || last-chunk flag.
struct PayloadStream {
    static let chunkSize = 64 * 1024
    static let tagSize = 16
    static let encryptedChunkSize = chunkSize + tagSize
    static let nonceSize = 16

    let key: SymmetricKey
    /// The index of the next chunk.
    private(set) var counter: UInt64 = 0
    private var previousBox: ChaChaPoly.SealedBox?

    /// The payload key: HKDF-SHA-256(file key, salt = the file's 16-byte nonce, info "payload").
    init(fileKey: [UInt8], nonce: [UInt8]) {
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: fileKey), salt: nonce,
                                     info: Array("payload".utf8), outputByteCount: 32)
    }

    private func nonce(last: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        // A UInt64 counter fills the low 8 of the 11 counter bytes; 2^64 chunks are out of reach.
        for i in 0..<8 { bytes[3 + i] = UInt8(truncatingIfNeeded: counter >> UInt64(56 - 8 * i)) }
        bytes[11] = last ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes)  // 12 bytes: cannot fail
    }

    /// Encrypts the next chunk; the file carries its `ciphertext` then its `tag`.
    mutating func seal<D: DataProtocol>(_ plaintext: D, last: Bool) throws -> ChaChaPoly.SealedBox {
        let box = try ChaChaPoly.seal(plaintext, using: key, nonce: nonce(last: last))
        counter += 1
        return box
    }

    /// Opens `chunk` (ciphertext || tag) as the next chunk with the given flag; nil when it does not authenticate.
    ///
    /// The sealed box is kept until the next call (see `AgeWriter.previousBox`: it spares glibc a heap trim and
    /// the page faults after it on every chunk).
    mutating func open(_ chunk: UnsafeRawBufferPointer, last: Bool) -> Data? {
        guard chunk.count >= Self.tagSize else { return nil }
        let split = chunk.count - Self.tagSize
        guard let box = try? ChaChaPoly.SealedBox(nonce: nonce(last: last),
                                                  ciphertext: UnsafeRawBufferPointer(rebasing: chunk[..<split]),
                                                  tag: UnsafeRawBufferPointer(rebasing: chunk[split...])),
              let plaintext = try? ChaChaPoly.open(box, using: key) else { return nil }
        previousBox = box
        return plaintext
    }

    /// Moves to the next chunk after a successful `open`.
    mutating func advance() { counter += 1 }
}
