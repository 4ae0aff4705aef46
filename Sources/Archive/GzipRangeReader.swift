import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A place in a gzip file where inflating may start: the compressed offset of an independent, byte-aligned
/// deflate block and the offset of its first byte in the decompressed stream.
public struct GzipAccessPoint: Sendable, Equatable {
    /// Offset in the gzip file.
    public var compressed: UInt64
    /// Offset in the decompressed data.
    public var uncompressed: UInt64

    /// How far apart (in decompressed bytes) the parallel writer records access points: reading one range costs
    /// at most this much more than the range itself at each end (a 300 MB dump records about 1,200).
    public static let spacing: UInt64 = 256 << 10

    public init(compressed: UInt64, uncompressed: UInt64) {
        self.compressed = compressed
        self.uncompressed = uncompressed
    }
}

/// Counts the bytes read from a file across every source that shares it.
public final class ReadCounter: @unchecked Sendable {
    // Safety: only the thread running one restore reads the sources that share a counter.
    /// Bytes read so far.
    public private(set) var bytes: UInt64 = 0

    public init() {}

    func add(_ n: Int) { bytes += UInt64(n) }
}

/// Reads `length` bytes of a file from `offset` on (`pread`), counting them.
public final class FileRangeSource: ByteSource {
    private let file: FileSource
    private var offset: UInt64
    private var remaining: UInt64
    private let counter: ReadCounter?

    /// Opens `path` to read `[offset, offset + length)`.
    public init(path: String, offset: UInt64, length: UInt64, counter: ReadCounter? = nil) throws {
        file = try FileSource(path: path)
        self.offset = offset
        remaining = length
        self.counter = counter
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let want = Int(min(UInt64(buffer.count), remaining))
        guard want > 0 else { return 0 }
        let fd = file.fileDescriptor
        let start = off_t(offset)
        let n = retryOnEINTR { pread(fd, buffer.baseAddress, want, start) }
        guard n >= 0 else { throw ArchiveError.posix("read", file.path) }
        guard n > 0 else { throw ArchiveError.truncated(file.path, detail: "the file ends at byte \(offset), before the range read from it") }
        offset += UInt64(n)
        remaining -= UInt64(n)
        counter?.add(n)
        return n
    }
}

@available(*, unavailable)
extension FileRangeSource: Sendable {}

/// Inflates raw deflate data (no gzip header or trailer) that starts at a block boundary.
///
/// The data need not end: reading stops when the source does, which is how a reader takes a slice of a longer
/// stream. It has no checksum of its own to check (the gzip trailer covers the whole member).
public final class RawInflateSource: ByteSource {
    private let source: ByteSource
    private let path: String
    private let stream: UnsafeMutablePointer<z_stream>
    private let inBuffer: UnsafeMutableRawBufferPointer
    private var sourceAtEnd = false
    private var streamEnded = false

    /// Inflates `source`; `path` names it in errors.
    public init(source: ByteSource, path: String) throws {
        self.source = source
        self.path = path
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = vaultops_inflateInit2(stream, -15)
        guard status == Z_OK else {
            let message = zlibMessage(stream, status)
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw ArchiveError.zlib(path: path, code: status, message: message)
        }
        self.stream = stream
        inBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        inBuffer.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !streamEnded, buffer.count > 0 else { return 0 }
        let chunk = min(buffer.count, Int(UInt32.max))
        stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(chunk)
        while stream.pointee.avail_out == uInt(chunk) {
            if stream.pointee.avail_in == 0 {
                if sourceAtEnd { return 0 }
                let n = try source.read(into: inBuffer)
                if n == 0 {
                    sourceAtEnd = true
                    continue
                }
                stream.pointee.next_in = inBuffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(n)
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR: continue
            case Z_STREAM_END:
                streamEnded = true
                return chunk - Int(stream.pointee.avail_out)
            default:
                throw ArchiveError.corrupt(path, offset: nil, reason: "deflate data: \(zlibMessage(stream, status))")
            }
        }
        return chunk - Int(stream.pointee.avail_out)
    }
}

@available(*, unavailable)
extension RawInflateSource: Sendable {}

/// Hands out `length` bytes of another source after skipping `skip` bytes of it.
public final class SliceSource: ByteSource {
    private let source: ByteSource
    private var skip: UInt64
    private var remaining: UInt64
    private let name: String

    /// The bytes `[skip, skip + length)` of `source`; `name` names it when the source ends early.
    public init(_ source: ByteSource, skip: UInt64, length: UInt64, name: String) {
        self.source = source
        self.skip = skip
        remaining = length
        self.name = name
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while skip > 0 {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(UInt64(buffer.count), skip))]))
            guard n > 0 else { throw ArchiveError.truncated(name, detail: "the data ends before the range read from it") }
            skip -= UInt64(n)
        }
        guard remaining > 0, buffer.count > 0 else { return 0 }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(UInt64(buffer.count), remaining))]))
        guard n > 0 else { throw ArchiveError.truncated(name, detail: "the data ends \(remaining) bytes before the end of the range read from it") }
        remaining -= UInt64(n)
        return n
    }
}

@available(*, unavailable)
extension SliceSource: Sendable {}

/// Reads ranges of a file's decompressed content without reading the rest where the file allows it.
///
/// A plain file is read at the ranges' offsets. A gzip file with access points (`GzipWriter.accessPoints`,
/// recorded in a dump's manifest) is inflated from the access point before each range to the one after it, so
/// only those blocks are read. Any other gzip file is inflated from its start, once, forward: ranges must then be
/// asked for in increasing order. `counter` counts the bytes read from the file.
///
/// Ranged reads of a gzip file check no CRC-32 (it covers the whole member): a restore built on them trades the
/// whole-file checks for reading less, and says so.
public final class GzipRangeReader {
    /// How the file is laid out.
    public enum Layout: Sendable {
        /// Not compressed.
        case plain
        /// gzip with access points; `compressedSize` is the file's size.
        case indexedGzip(points: [GzipAccessPoint], compressedSize: UInt64)
        /// gzip without access points: read from the start.
        case gzip
    }

    public let path: String
    public let layout: Layout
    /// Bytes read from the file so far.
    public let counter = ReadCounter()
    private var sequential: GzipReader?
    private var sequentialPosition: UInt64 = 0

    public init(path: String, layout: Layout) {
        self.path = path
        self.layout = layout
    }

    /// The decompressed bytes in `range`.
    public func source(for range: Range<UInt64>) throws -> any ByteSource {
        let length = UInt64(range.count)
        switch layout {
        case .plain:
            return try FileRangeSource(path: path, offset: range.lowerBound, length: length, counter: counter)
        case let .indexedGzip(points, compressedSize):
            guard let first = points.last(where: { $0.uncompressed <= range.lowerBound }) else {
                throw ArchiveError.misuse("no access point before byte \(range.lowerBound) of \(path)")
            }
            // Up to the first block that starts at or after the range's end; the last block runs to the trailer.
            let stop = points.first(where: { $0.uncompressed >= range.upperBound })?.compressed ?? (compressedSize - 8)
            let file = try FileRangeSource(path: path, offset: first.compressed, length: stop - first.compressed, counter: counter)
            return SliceSource(try RawInflateSource(source: file, path: path), skip: range.lowerBound - first.uncompressed,
                               length: length, name: path)
        case .gzip:
            if sequential == nil || range.lowerBound < sequentialPosition {
                sequential = try GzipReader(source: CountingSource(try FileSource(path: path), counter: counter), path: path)
                sequentialPosition = 0
            }
            let skip = range.lowerBound - sequentialPosition
            sequentialPosition = range.upperBound
            return SliceSource(sequential!, skip: skip, length: length, name: path)
        }
    }
}

@available(*, unavailable)
extension GzipRangeReader: Sendable {}

/// Passes another source's bytes on, counting them.
public final class CountingSource: ByteSource {
    private let source: ByteSource
    private let counter: ReadCounter

    public init(_ source: ByteSource, counter: ReadCounter) {
        self.source = source
        self.counter = counter
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        counter.add(n)
        return n
    }
}

@available(*, unavailable)
extension CountingSource: Sendable {}
