import CZlib
import Dispatch

/// pigz's parallel gzip: 128 KiB blocks deflated concurrently, joined in order into one gzip member.
///
/// Each block is raw deflate primed with the previous 32 KiB of input as its dictionary
/// (`deflateSetDictionary`), so matches reach back across block boundaries as in a single-threaded stream.
/// Every block but the last ends with `Z_SYNC_FLUSH` (byte-aligned, empty stored block), the last with
/// `Z_FINISH`, so the concatenation is one valid deflate stream. Each block's CRC-32 is computed beside its
/// compression and the CRCs are joined with `crc32_combine`. The writer keeps at most `4 × jobs` blocks in flight
/// and emits them in order, so memory is bounded by 4 × jobs × (block + compressed block + zlib state), a few MiB.
final class ParallelDeflater {
    static let blockSize = 128 * 1024
    static let dictionarySize = 32 * 1024

    private let level: Int32
    private let jobs: Int
    private var current: [UInt8] = []
    private var previousTail: [UInt8] = []
    private var inFlight: [BlockJob] = []
    private var crc: UInt32 = 0
    private var totalLength: UInt64 = 0
    private var headerWritten = false

    init(level: Int, jobs: Int) throws {
        self.level = Int32(level)
        self.jobs = jobs
        current.reserveCapacity(Self.blockSize)
    }

    func write(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset = 0
        while offset < bytes.count {
            let take = min(Self.blockSize - current.count, bytes.count - offset)
            current.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            offset += take
            if current.count == Self.blockSize {
                try submit(last: false, emit: emit)
            }
        }
    }

    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        // The last block is submitted even when empty: it carries the final deflate block.
        try submit(last: true, emit: emit)
        while !inFlight.isEmpty { try emitOldest(emit) }
        var trailer = [UInt8](repeating: 0, count: 8)
        for i in 0..<4 {
            trailer[i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i)))
            trailer[4 + i] = UInt8(truncatingIfNeeded: totalLength >> (8 * UInt64(i)))   // ISIZE is the length mod 2^32
        }
        try trailer.withUnsafeBytes { try emit($0) }
    }

    private func submit(last: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        if !headerWritten {
            // The header zlib writes for windowBits 31 by default: no name, mtime 0, OS 3 (Unix).
            let header: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level == 9 ? 2 : level == 1 ? 4 : 0, 3]
            try header.withUnsafeBytes { try emit($0) }
            headerWritten = true
        }
        // More blocks queued than workers: the producer (COPY, VACUUM INTO reading, tar) can run ahead while
        // the workers deflate, instead of waiting for the oldest block at every boundary.
        while inFlight.count >= 4 * jobs { try emitOldest(emit) }
        let input = current
        let dictionary = previousTail
        previousTail = Array(input.suffix(Self.dictionarySize))
        current = []
        current.reserveCapacity(Self.blockSize)
        let job = BlockJob()
        let level = self.level
        inFlight.append(job)
        DispatchQueue.global(qos: .userInitiated).async {
            job.run(input: input, dictionary: dictionary, level: level, last: last)
        }
    }

    private func emitOldest(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let job = inFlight.removeFirst()
        job.done.wait()
        if let error = job.error { throw error }
        try job.output.withUnsafeBytes { try emit($0) }
        crc = CRC32.combine(crc, job.crc, secondLength: UInt64(job.inputLength))
        totalLength += UInt64(job.inputLength)
    }
}

@available(*, unavailable)
extension ParallelDeflater: Sendable {}

/// One block's compression, run on a global-queue thread; the writer waits on `done` before reading the results.
final class BlockJob: @unchecked Sendable {
    // Safety: `output`, `crc`, `inputLength` and `error` are written only by the one worker running `run`, before
    // it signals `done`; the writer reads them only after `done.wait()`, which orders the accesses.
    let done = DispatchSemaphore(value: 0)
    var output: [UInt8] = []
    var crc: UInt32 = 0
    var inputLength = 0
    var error: ArchiveError?

    func run(input: [UInt8], dictionary: [UInt8], level: Int32, last: Bool) {
        defer { done.signal() }
        inputLength = input.count
        var checksum = CRC32()
        input.withUnsafeBytes { checksum.update($0) }
        crc = checksum.value
        do {
            output = try Self.deflateBlock(input, dictionary: dictionary, level: level, last: last)
        } catch let error as ArchiveError {
            self.error = error
        } catch {
            self.error = .misuse("unexpected error \(error)")
        }
    }

    static func deflateBlock(_ input: [UInt8], dictionary: [UInt8], level: Int32, last: Bool) throws -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        // Raw deflate (negative windowBits): the gzip header and trailer are written once by the writer.
        let status = vaultops_deflateInit2(stream, level, -15, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
            throw ArchiveError.zlib(path: "deflateInit2", code: status, message: zlibMessage(stream, status))
        }
        defer { deflateEnd(stream) }
        if !dictionary.isEmpty {
            let status = dictionary.withUnsafeBytes {
                deflateSetDictionary(stream, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt($0.count))
            }
            guard status == Z_OK else {
                throw ArchiveError.zlib(path: "deflateSetDictionary", code: status, message: zlibMessage(stream, status))
            }
        }
        let room = Int(deflateBound(stream, uLong(input.count))) + 64
        var output: [UInt8] = []
        output.reserveCapacity(room)
        var chunk = [UInt8](repeating: 0, count: room)
        let flush = last ? Z_FINISH : Z_SYNC_FLUSH
        try input.withUnsafeBytes { inBytes in
            stream.pointee.next_in = inBytes.isEmpty ? nil : UnsafeMutablePointer(mutating: inBytes.baseAddress!.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(inBytes.count)
            while true {
                let (status, produced, full) = chunk.withUnsafeMutableBytes { outBytes in
                    stream.pointee.next_out = outBytes.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(outBytes.count)
                    let status = deflate(stream, flush)
                    return (status, outBytes.count - Int(stream.pointee.avail_out), stream.pointee.avail_out == 0)
                }
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw ArchiveError.zlib(path: "deflate", code: status, message: zlibMessage(stream, status))
                }
                output += chunk[0..<produced]
                // Z_FINISH is done at Z_STREAM_END; Z_SYNC_FLUSH is done when output space was left over.
                if last ? status == Z_STREAM_END : !full { break }
            }
        }
        return output
    }
}
