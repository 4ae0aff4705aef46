import Archive
import Crypto
import Foundation

/// Encrypts to age v1 as a `ByteSink`: plaintext in, the encrypted file out to another sink, one chunk in memory.
///
/// The header (one stanza set per recipient) and the payload nonce are written when the writer is made; each
/// 64 KiB of plaintext becomes one chunk. A chunk is sealed only when the next byte arrives or at `finish()`, so
/// the final chunk carries the last-chunk flag and is never empty unless the whole payload is.
///
/// - Important: call `finish()` to write the final chunk; without it the file is truncated and age refuses it.
///   Single-owner and not thread-safe, like every sink.
public final class AgeWriter: ByteSink {
    private let output: ByteSink
    private var stream: PayloadStream
    private var pending: [UInt8] = []
    /// The previous sealed chunk, released only once the next one exists: freeing each 64 KiB chunk at the top
    /// of the heap let glibc trim it and fault it back in for the next (measured: 74,000 page faults and +0.2 s
    /// of system time per 256 MiB); with two chunks alternating, the memory is reused.
    private var previousBox: ChaChaPoly.SealedBox?
    private var finished = false
    /// Plaintext bytes written so far.
    public private(set) var plaintextBytes: UInt64 = 0

    /// Starts an age file for `recipients` (at least one; a passphrase recipient only alone) on `output`.
    public init(recipients: [any AgeRecipient], output: ByteSink) throws {
        guard !recipients.isEmpty else { throw AgeError.misuse("no recipients to encrypt to") }
        if recipients.count > 1, recipients.contains(where: { $0.mustBeAlone }) {
            throw AgeError.misuse("a passphrase recipient cannot be combined with other recipients")
        }
        let fileKey = randomBytes(16)
        var stanzas: [Stanza] = []
        for recipient in recipients { stanzas += try recipient.wrap(fileKey: fileKey) }
        let nonce = randomBytes(PayloadStream.nonceSize)
        self.output = output
        self.stream = PayloadStream(fileKey: fileKey, nonce: nonce)
        pending.reserveCapacity(PayloadStream.chunkSize)
        try output.write(Header.encode(stanzas: stanzas, fileKey: fileKey) + nonce)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw AgeError.misuse("write after finish") }
        var offset = 0
        while offset < bytes.count {
            if pending.count == PayloadStream.chunkSize { try flush(last: false) }
            let n = min(PayloadStream.chunkSize - pending.count, bytes.count - offset)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            offset += n
        }
        plaintextBytes += UInt64(bytes.count)
    }

    /// Seals the final chunk and writes it; the output sink is not closed.
    public func finish() throws {
        guard !finished else { return }
        try flush(last: true)
        finished = true
    }

    private func flush(last: Bool) throws {
        let box = try stream.seal(pending, last: last)
        previousBox = box
        pending.removeAll(keepingCapacity: true)
        try output.write(box.ciphertext)
        try output.write(box.tag)
    }
}

@available(*, unavailable)
extension AgeWriter: Sendable {}

/// `count` bytes from the system CSPRNG.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in generator.next() }
}
