import Archive
import Crypto
import Foundation

/// A byte source that hashes and counts everything read through it.
final class HashingSource: ByteSource {
    private let base: ByteSource
    private var hasher = SHA256()
    private(set) var bytesRead: UInt64 = 0

    init(_ base: ByteSource) { self.base = base }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try base.read(into: buffer)
        if n > 0 {
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher.update(bufferPointer: chunk)
            bytesRead += UInt64(n)
        }
        return n
    }

    /// Hex SHA-256 of everything read so far; call once, at the end.
    func finalizeHex() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// A sink that drops everything: reading a stream to its end only to check it.
final class DiscardSink: ByteSink {
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
}

@available(*, unavailable) extension HashingSource: Sendable {}
