import Archive
import Foundation

/// Decrypts an age v1 file as a `ByteSource`: reads the encrypted file from another source, chunk by chunk.
///
/// Making the reader parses the header, unwraps the file key with the first identity that opens a stanza, checks
/// the header MAC and reads the payload nonce. Reading then releases a chunk's plaintext only once its tag has
/// checked; the end of the data is only reported after a valid final chunk, so a cut file is an error
/// (`AgeError.truncated`), never a short plaintext.
///
/// - Important: a caller that stops reading early has not authenticated the rest of the file. Single-owner and
///   not thread-safe.
public final class AgeReader: ByteSource {
    private let input: BufferedInput
    private var stream: PayloadStream
    /// One encrypted chunk plus one byte of look-ahead (to tell a full chunk at the end from one in the middle).
    private let chunkBuffer: UnsafeMutableRawBufferPointer
    private var carried = 0
    private var plaintext = Data()
    /// Kept one chunk longer, for the reason `AgeWriter.previousBox` gives.
    private var previousPlaintext = Data()
    private var plaintextOffset = 0
    private var finished = false
    /// The error every later read repeats: a failed payload never resumes.
    private var pendingError: Error?
    /// The recipient stanzas of the header (types and arguments: public, never a key).
    public let stanzas: [Stanza]

    /// Opens the age file in `source` with `identities`, tried in order.
    public init(source: ByteSource, identities: [any AgeIdentity]) throws {
        let input = BufferedInput(source)
        let header = try Header.read(from: input)
        // The spec: an scrypt stanza must be the only stanza (it is read as the sender's authentication).
        if header.stanzas.count > 1, header.stanzas.contains(where: { $0.type == ScryptRecipient.stanzaType }) {
            throw AgeError.badHeader("an scrypt stanza must be alone in the header")
        }
        var fileKey: [UInt8]?
        for identity in identities {
            if let key = try identity.unwrap(stanzas: header.stanzas) { fileKey = key; break }
        }
        guard let fileKey else { throw AgeError.noMatchingIdentity }
        guard header.verifyMAC(fileKey: fileKey) else { throw AgeError.headerMACMismatch }
        var nonce = [UInt8](repeating: 0, count: PayloadStream.nonceSize)
        let n = try nonce.withUnsafeMutableBytes { try input.readFully(into: $0) }
        guard n == PayloadStream.nonceSize else { throw AgeError.badHeader("file ends before the payload nonce") }
        self.input = input
        self.stanzas = header.stanzas
        self.stream = PayloadStream(fileKey: fileKey, nonce: nonce)
        chunkBuffer = .allocate(byteCount: PayloadStream.encryptedChunkSize + 1, alignment: 16)
    }

    deinit { chunkBuffer.deallocate() }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while plaintextOffset == plaintext.count {
            if let pendingError { throw pendingError }
            if finished { return 0 }
            do { try nextChunk() } catch {
                pendingError = error
                throw error
            }
        }
        let n = min(buffer.count, plaintext.count - plaintextOffset)
        plaintext.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + plaintextOffset, byteCount: n) }
        plaintextOffset += n
        return n
    }

    /// Reads, authenticates and releases the next chunk, or records why the payload ends badly.
    private func nextChunk() throws {
        let full = PayloadStream.encryptedChunkSize
        let n = carried + (try input.readFully(into: UnsafeMutableRawBufferPointer(rebasing: chunkBuffer[carried...])))
        let index = stream.counter
        if n == 0 {
            throw AgeError.truncated(index == 0 ? "the payload has no chunk" : "no final chunk after chunk \(index - 1)")
        }
        if n < PayloadStream.tagSize { throw AgeError.truncated("chunk \(index) is shorter than its tag") }
        let chunk = UnsafeRawBufferPointer(rebasing: chunkBuffer[..<min(n, full)])
        if n > full {
            // More data follows: this must be a middle chunk. A chunk that only opens as final means trailing
            // data; its plaintext is authentic and released first (as the reference implementation does).
            if let opened = stream.open(chunk, last: false) {
                release(opened)
                chunkBuffer[0] = chunkBuffer[full]
                carried = 1
                return
            }
            guard let opened = stream.open(chunk, last: true) else { throw AgeError.tamperedChunk(index: index) }
            release(opened)
            finished = true
            pendingError = AgeError.trailingData
            return
        }
        // The data ends within this chunk: it must be the final one.
        guard let opened = stream.open(chunk, last: true) else {
            guard let middle = stream.open(chunk, last: false) else { throw AgeError.tamperedChunk(index: index) }
            let cut = AgeError.truncated("chunk \(index) is not marked final and nothing follows it")
            // A full middle chunk is authentic and released before the error (as the reference implementation
            // does, which the test vectors record); a short one cannot be a middle chunk, so it is not.
            guard n == full else { throw cut }
            release(middle)
            finished = true
            pendingError = cut
            return
        }
        if opened.isEmpty && index > 0 { throw AgeError.emptyFinalChunk }
        release(opened)
        finished = true
    }

    private func release(_ chunk: Data) {
        previousPlaintext = plaintext
        plaintext = chunk
        plaintextOffset = 0
        carried = 0
        stream.advance()
    }
}

@available(*, unavailable)
extension AgeReader: Sendable {}
