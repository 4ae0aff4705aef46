import CZlib

/// Compresses what is written into a gzip stream (RFC 1952) sent to another sink.
///
/// One gzip member, zlib's deflate with windowBits 31. `finish()` writes the trailer (CRC-32 and length);
/// without it the output is not a valid gzip file. Memory is a fixed 256 KiB output buffer, a 64 KiB input
/// buffer and zlib's state, whatever the amount of data.
///
/// With `jobs > 1` blocks of 128 KiB (1 MiB for `.libdeflatePages`) are deflated by libdeflate on worker threads,
/// joined into the one member as pigz joins its blocks (see `ParallelDeflater`).
///
/// - Important: single-owner and not thread-safe; see <https://zlib.net/manual.html>.
public final class GzipWriter: ByteSink {
    /// Uncompressed bytes written so far.
    public private(set) var uncompressedBytes: UInt64 = 0
    /// Compressed bytes handed to the sink so far (the whole file once finished).
    public private(set) var compressedBytes: UInt64 = 0
    /// The compression level, 0–9.
    public let level: Int
    /// The number of compression threads.
    public let jobs: Int

    private let sink: ByteSink
    private let stream: UnsafeMutablePointer<z_stream>?
    private let parallel: ParallelDeflater?
    private let outBuffer: UnsafeMutableRawBufferPointer
    // Small writes (a dump writes one row at a time) are gathered here so zlib sees large pieces.
    private let inBuffer: UnsafeMutableRawBufferPointer
    private var pending = 0
    private var finished = false
    /// Where a reader may start inflating without reading what comes before (see `GzipRangeReader`): the starts
    /// of independent blocks, about 256 KiB apart. A single-threaded stream (`jobs` 1) has them only when made
    /// with `accessPoints: true`; otherwise its deflate refers back across the whole stream.
    public var accessPoints: [GzipAccessPoint] { parallel?.accessPoints ?? singlePoints }
    // jobs 1 with access points: where zlib's dictionary was reset by a full flush.
    private var singlePoints: [GzipAccessPoint] = []
    private let fullFlushes: Bool
    // The last full flush's point, recorded once data follows it (a point at the very end would start nothing).
    private var flushedPoint: GzipAccessPoint?
    private var failed = false

    static let bufferSize = 256 * 1024
    static let inputBufferSize = 64 * 1024

    /// Starts a gzip stream into `sink` at `level` (0 = store, 1 = fastest, 9 = smallest) on `jobs` threads, whose
    /// blocks `engine` compresses.
    ///
    /// With `accessPoints`, a single-threaded stream also gets `accessPoints`: every `GzipAccessPoint.spacing`
    /// bytes a full flush (`Z_FULL_FLUSH`) ends the block and resets the dictionary, at a small cost in size. The
    /// parallel writer's blocks are independent anyway.
    public init(sink: ByteSink, level: Int = 6, jobs: Int = 1, engine: DeflateEngine = .libdeflate,
                accessPoints: Bool = false) throws {
        guard (0...9).contains(level) else { throw ArchiveError.misuse("gzip level \(level) is not in 0...9") }
        guard jobs >= 1 else { throw ArchiveError.misuse("gzip jobs \(jobs) must be at least 1") }
        fullFlushes = accessPoints && jobs == 1
        // zlib's gzip header (no name, no extra fields) is 10 bytes: the first block starts after it.
        if fullFlushes { singlePoints = [GzipAccessPoint(compressed: 10, uncompressed: 0)] }
        self.sink = sink
        self.level = level
        self.jobs = jobs
        if jobs > 1 {
            stream = nil
            outBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 1)
            inBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 1)
            parallel = try ParallelDeflater(level: level, jobs: jobs, engine: engine)
            return
        }
        parallel = nil
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        stream = try makeDeflateStream(level: Int32(level), windowBits: 31)
        outBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        inBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.inputBufferSize, alignment: 16)
    }

    deinit {
        if let stream { freeDeflateStream(stream) }
        outBuffer.deallocate()
        inBuffer.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished, !failed else { throw ArchiveError.misuse("write to a GzipWriter after finish() or an error") }
        guard bytes.count > 0 else { return }
        if let parallel {
            try guarded { try parallel.write(bytes) { try self.emit($0) } }
        } else if fullFlushes {
            try guarded { try writeWithFullFlushes(bytes) }
            return
        } else {
            try guarded {
                if pending + bytes.count <= inBuffer.count {
                    UnsafeMutableRawBufferPointer(rebasing: inBuffer[pending..<(pending + bytes.count)]).copyMemory(from: bytes)
                    pending += bytes.count
                    if pending == inBuffer.count { try flushPending() }
                } else {
                    try flushPending()
                    try deflate(bytes, flush: Z_NO_FLUSH)
                }
            }
        }
        uncompressedBytes += UInt64(bytes.count)
    }

    /// `write` for a single stream with access points: the input is cut at every multiple of the spacing, where
    /// a full flush ends the block.
    private func writeWithFullFlushes(_ bytes: UnsafeRawBufferPointer) throws {
        let spacing = GzipAccessPoint.spacing
        var offset = 0
        while offset < bytes.count {
            if let point = flushedPoint {
                singlePoints.append(point)
                flushedPoint = nil
            }
            let take = min(Int(spacing - uncompressedBytes % spacing), bytes.count - offset)
            let piece = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)])
            if pending + take <= inBuffer.count {
                UnsafeMutableRawBufferPointer(rebasing: inBuffer[pending..<(pending + take)]).copyMemory(from: piece)
                pending += take
            } else {
                try flushPending()
                try deflate(piece, flush: Z_NO_FLUSH)
            }
            offset += take
            uncompressedBytes += UInt64(take)
            if uncompressedBytes % spacing == 0 {
                try flushPending()
                try deflate(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FULL_FLUSH)
                flushedPoint = GzipAccessPoint(compressed: compressedBytes, uncompressed: uncompressedBytes)
            } else if pending == inBuffer.count {
                try flushPending()
            }
        }
    }

    /// Ends the stream: flushes all pending data and writes the gzip trailer. Call exactly once.
    public func finish() throws {
        guard !finished, !failed else { throw ArchiveError.misuse("GzipWriter.finish() called twice or after an error") }
        if let parallel {
            try guarded { try parallel.finish { try self.emit($0) } }
        } else {
            try guarded {
                try flushPending()
                try deflate(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH)
            }
        }
        finished = true
    }

    private func guarded(_ body: () throws -> Void) throws {
        do { try body() } catch {
            failed = true
            throw error
        }
    }

    private func flushPending() throws {
        guard pending > 0 else { return }
        let count = pending
        pending = 0
        try deflate(UnsafeRawBufferPointer(rebasing: inBuffer[0..<count]), flush: Z_NO_FLUSH)
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        try sink.write(bytes)
        compressedBytes += UInt64(bytes.count)
    }

    private func deflate(_ input: UnsafeRawBufferPointer, flush: Int32) throws {
        guard let stream else { return }
        // zlib's avail_in is a 32-bit count: feed very large buffers in pieces.
        var offset = 0
        repeat {
            let piece = min(input.count - offset, 1 << 30)
            stream.pointee.next_in = piece > 0
                ? UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self))
                : nil
            stream.pointee.avail_in = uInt(piece)
            offset += piece
            let pieceFlush = offset < input.count ? Z_NO_FLUSH : flush
            while true {
                stream.pointee.next_out = outBuffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(outBuffer.count)
                let status = CZlib.deflate(stream, pieceFlush)
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw ArchiveError.zlib(path: "deflate", code: status, message: zlibMessage(stream, status))
                }
                let produced = outBuffer.count - Int(stream.pointee.avail_out)
                if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: outBuffer[0..<produced])) }
                if pieceFlush == Z_FINISH {
                    if status == Z_STREAM_END { break }
                } else if stream.pointee.avail_out != 0 {
                    break
                }
            }
        } while offset < input.count
    }
}

@available(*, unavailable)
extension GzipWriter: Sendable {}

/// zlib's message for a failed call, or its generic text for the code.
func zlibMessage(_ stream: UnsafeMutablePointer<z_stream>, _ status: Int32) -> String {
    if let msg = stream.pointee.msg { return String(cString: msg) }
    return String(cString: zError(status))
}

/// A new deflate stream at `level` (memLevel 8, zlib's default); free it with `freeDeflateStream`.
func makeDeflateStream(level: Int32, windowBits: Int32) throws(ArchiveError) -> UnsafeMutablePointer<z_stream> {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let status = vaultops_deflateInit2(stream, level, windowBits, 8, Z_DEFAULT_STRATEGY)
    guard status == Z_OK else {
        let error = ArchiveError.zlib(path: "deflateInit2", code: status, message: zlibMessage(stream, status))
        stream.deinitialize(count: 1)
        stream.deallocate()
        throw error
    }
    return stream
}

/// Ends and frees a stream from `makeDeflateStream`.
func freeDeflateStream(_ stream: UnsafeMutablePointer<z_stream>) {
    deflateEnd(stream)
    stream.deinitialize(count: 1)
    stream.deallocate()
}
