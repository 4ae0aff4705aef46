import CZlib

/// What a full read of a gzip file found.
public struct GzipStats: Sendable, Equatable {
    /// Size of the compressed file.
    public var compressedBytes: UInt64
    /// Size of the data once decompressed.
    public var uncompressedBytes: UInt64
    /// How many gzip members (concatenated streams) the file holds.
    public var members: Int

    /// Creates stats from their parts.
    public init(compressedBytes: UInt64, uncompressedBytes: UInt64, members: Int) {
        self.compressedBytes = compressedBytes
        self.uncompressedBytes = uncompressedBytes
        self.members = members
    }
}

/// Decompresses a gzip stream read from another source.
///
/// Every member's CRC-32 and length (ISIZE) are checked by zlib as its trailer is reached; concatenated members
/// (`cat a.gz b.gz`) are read as one stream. Nothing is ignored silently: data after the last member that is not
/// another member is `.corrupt`, a stream that ends early is `.truncated`, a bad trailer is `.checksumMismatch`.
/// Errors name `path` and the compressed byte offset.
///
/// - Important: single-owner and not thread-safe; see <https://zlib.net/manual.html#Advanced>.
public final class GzipReader: ByteSource {
    /// The name used in error messages (usually the file's path).
    public let path: String
    /// Compressed bytes consumed so far.
    public private(set) var compressedBytes: UInt64 = 0
    /// Decompressed bytes returned so far.
    public private(set) var uncompressedBytes: UInt64 = 0
    /// Members completed so far (trailer checked).
    public private(set) var members = 0

    private let source: ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let inBuffer: UnsafeMutableRawBufferPointer
    private var sourceAtEOF = false
    private var inMember = false   // a member has started and its trailer has not been checked yet
    private var done = false

    static let bufferSize = 256 * 1024

    /// Decompresses `source`; `path` names it in errors.
    public init(source: ByteSource, path: String) throws {
        self.source = source
        self.path = path
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16: gzip only, so zlib checks the header, CRC-32 and ISIZE of each member.
        let status = vaultops_inflateInit2(stream, 31)
        guard status == Z_OK else {
            let message = zlibMessage(stream, status)
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw ArchiveError.zlib(path: path, code: status, message: message)
        }
        self.stream = stream
        inBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    /// Opens and decompresses the file at `path`.
    public convenience init(path: String) throws {
        try self.init(source: FileSource(path: path), path: path)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        inBuffer.deallocate()
    }

    /// Reads the whole file, checking every member; returns its sizes.
    public static func verify(path: String) throws -> GzipStats {
        let reader = try GzipReader(path: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while try reader.read(into: buffer) > 0 {}
        return reader.stats
    }

    /// Reads the whole file once, checking every member and computing the SHA-256 of the compressed bytes.
    ///
    /// One pass for what a restore checks first: the gzip trailers and the manifest's checksum.
    public static func verifyWithSHA256(path: String) throws -> (stats: GzipStats, sha256Hex: String) {
        let hashing = HashingSource(try FileSource(path: path))
        let reader = try GzipReader(source: hashing, path: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while try reader.read(into: buffer) > 0 {}
        return (reader.stats, hashing.finalizeHex())
    }

    /// The sizes so far (complete once `read` has returned 0).
    public var stats: GzipStats {
        GzipStats(compressedBytes: compressedBytes, uncompressedBytes: uncompressedBytes, members: members)
    }

    private var offset: UInt64 { compressedBytes - UInt64(stream.pointee.avail_in) }

    /// Makes input available; returns false at the end of the source.
    private func refill() throws -> Bool {
        if stream.pointee.avail_in > 0 { return true }
        if sourceAtEOF { return false }
        let n = try source.read(into: inBuffer)
        if n == 0 {
            sourceAtEOF = true
            return false
        }
        stream.pointee.next_in = inBuffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(n)
        compressedBytes += UInt64(n)
        return true
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if done || buffer.count == 0 { return 0 }
        let chunk = min(buffer.count, Int(UInt32.max))
        stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(chunk)
        while stream.pointee.avail_out == uInt(chunk) {
            if !inMember {
                // Between members: the end of the data, another member, or garbage.
                guard try refill() else {
                    if members == 0 { throw ArchiveError.truncated(path, detail: "the file is empty, not even a gzip header") }
                    done = true
                    return 0
                }
                let first = stream.pointee.next_in[0]
                if first != 0x1f {
                    throw ArchiveError.corrupt(path, offset: offset, reason: members == 0
                        ? "not a gzip file (no gzip magic number)"
                        : "data after gzip member \(members) is not another gzip member (trailing garbage)")
                }
                inMember = true
            }
            if stream.pointee.avail_in == 0 {
                guard try refill() else {
                    throw ArchiveError.truncated(path, detail: "the data ends inside gzip member \(members + 1) after \(compressedBytes) bytes")
                }
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                members += 1
                inMember = false
                let resetStatus = inflateReset(stream)
                guard resetStatus == Z_OK else {
                    throw ArchiveError.zlib(path: path, code: resetStatus, message: zlibMessage(stream, resetStatus))
                }
            case Z_DATA_ERROR:
                let message = zlibMessage(stream, status)
                switch message {
                case "incorrect data check":
                    throw ArchiveError.checksumMismatch(path, detail: "CRC-32 of gzip member \(members + 1) does not match its data (trailer ends at byte \(offset))")
                case "incorrect length check":
                    throw ArchiveError.checksumMismatch(path, detail: "length (ISIZE) of gzip member \(members + 1) does not match its data (trailer ends at byte \(offset))")
                case "incorrect header check" where members > 0:
                    throw ArchiveError.corrupt(path, offset: offset, reason: "data after gzip member \(members) is not another gzip member (trailing garbage)")
                default:
                    throw ArchiveError.corrupt(path, offset: offset, reason: "gzip member \(members + 1): \(message)")
                }
            default:
                throw ArchiveError.zlib(path: path, code: status, message: zlibMessage(stream, status))
            }
        }
        let produced = chunk - Int(stream.pointee.avail_out)
        uncompressedBytes += UInt64(produced)
        return produced
    }
}

@available(*, unavailable)
extension GzipReader: Sendable {}
