import CLibDeflate
import Crypto
import CZlib
import Foundation

/// A streaming SHA-256 over data of any size.
public struct SHA256Hasher {
    private var hasher = SHA256()

    /// Creates a hasher with no data yet.
    public init() {}

    /// Adds `bytes` to the digest.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// Adds `bytes` to the digest.
    public mutating func update(_ bytes: some DataProtocol) {
        hasher.update(data: bytes)
    }

    /// The lowercase hex digest of everything added; the hasher can be used no further.
    public func finalizeHex() -> String {
        hexString(hasher.finalize())
    }
}

/// The lowercase hex SHA-256 of the file at `path`, read in 256 KiB pieces.
public func sha256Hex(ofFile path: String) throws -> String {
    let source = try FileSource(path: path)
    let sink = HashingSink(forwardingTo: nil)
    try source.copy(to: sink)
    return sink.finalizeHex()
}

/// The lowercase hex SHA-256 of bytes in memory.
public func sha256Hex(of bytes: some DataProtocol) -> String {
    var hasher = SHA256Hasher()
    hasher.update(bytes)
    return hasher.finalizeHex()
}

/// A sink that hashes (SHA-256) and counts what passes through, then forwards it to another sink.
public final class HashingSink: ByteSink {
    private let next: ByteSink?
    private var hasher = SHA256Hasher()
    private var digest: String?
    /// Bytes written so far.
    public private(set) var bytesWritten: UInt64 = 0

    /// Forwards to `next` (or nowhere, to only hash).
    public init(forwardingTo next: ByteSink?) {
        self.next = next
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard digest == nil else { throw ArchiveError.misuse("write to a HashingSink after finalizeHex()") }
        hasher.update(bytes)
        bytesWritten += UInt64(bytes.count)
        try next?.write(bytes)
    }

    /// The hex digest of everything written; later writes are refused.
    public func finalizeHex() -> String {
        if let digest { return digest }
        let value = hasher.finalizeHex()
        digest = value
        return value
    }
}

@available(*, unavailable)
extension HashingSink: Sendable {}

/// A source that hashes (SHA-256) and counts what is read through it from another source.
public final class HashingSource: ByteSource {
    private let source: ByteSource
    private var hasher = SHA256Hasher()
    /// Bytes read so far.
    public private(set) var bytesRead: UInt64 = 0

    /// Reads from `source`.
    public init(_ source: ByteSource) {
        self.source = source
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        if n > 0 {
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            bytesRead += UInt64(n)
        }
        return n
    }

    /// The hex digest of everything read so far.
    public func finalizeHex() -> String { hasher.finalizeHex() }
}

@available(*, unavailable)
extension HashingSource: Sendable {}

/// CRC-32 (the gzip polynomial), the value zlib's `crc32` gives.
public struct CRC32: Sendable, Equatable {
    /// The current value.
    public private(set) var value: UInt32 = 0

    /// Starts at the CRC of no data.
    public init() {}

    /// Adds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        // libdeflate's CRC-32 (carry-less multiplication where the CPU has it) is several times zlib 1.2's, and
        // the same function: every gzip writer and reader pays it on every byte.
        value = libdeflate_crc32(value, base, bytes.count)
    }

    /// The CRC of `first` followed by `secondLength` bytes whose CRC is `second` (zlib's `crc32_combine`).
    public static func combine(_ first: UInt32, _ second: UInt32, secondLength: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_combine(uLong(first), uLong(second), off_t(secondLength)))
    }
}

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}
