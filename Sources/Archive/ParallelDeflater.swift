import CZlib
import Dispatch
import Foundation

/// pigz's parallel gzip: 128 KiB blocks deflated concurrently, joined in order into one gzip member.
///
/// The blocks are deflated by `jobs` threads of its own, each with its own zlib stream, as pigz's compress threads
/// are: GCD's shared pool grows and shrinks with the machine's load, and a busy host would leave blocks waiting.
///
/// Each block is raw deflate primed with the previous 32 KiB of input as its dictionary
/// (`deflateSetDictionary`), so matches reach back across block boundaries as in a single-threaded stream.
/// Every block but the last ends with `Z_SYNC_FLUSH` (byte-aligned, empty stored block), the last with
/// `Z_FINISH`, so the concatenation is one valid deflate stream. Each block's CRC-32 is computed beside its
/// compression and the CRCs are joined with `crc32_combine`. The writer keeps at most `4 × jobs` blocks in flight
/// and emits them in order, so memory is bounded by 4 × jobs × (block + compressed block) plus one zlib state per
/// worker, a few MiB.
final class ParallelDeflater {
    static let blockSize = 128 * 1024
    static let dictionarySize = 32 * 1024

    private let level: Int32
    private let jobs: Int
    private let workers: DeflateWorkers
    private var current: [UInt8] = []
    // The previous block's input: the next block's dictionary is its last 32 KiB (shared, not copied).
    private var previous: [UInt8] = []
    private var inFlight: [BlockJob] = []
    private var crc: UInt32 = 0
    private var totalLength: UInt64 = 0
    private var headerWritten = false

    init(level: Int, jobs: Int) throws {
        self.level = Int32(level)
        self.jobs = jobs
        workers = try DeflateWorkers(count: jobs, level: Int32(level))
        current.reserveCapacity(Self.blockSize)
    }

    // Blocks still queued are deflated and dropped; the threads end once the queue is empty.
    deinit { workers.stop() }

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
        let job = BlockJob(input: current, dictionary: previous, last: last)
        previous = current
        current = []
        current.reserveCapacity(Self.blockSize)
        inFlight.append(job)
        workers.submit(job)
    }

    private func emitOldest(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let job = inFlight.removeFirst()
        job.done.wait()
        if let error = job.error { throw error }
        try emit(UnsafeRawBufferPointer(rebasing: job.output[0..<job.outputCount]))
        crc = CRC32.combine(crc, job.crc, secondLength: UInt64(job.input.count))
        totalLength += UInt64(job.input.count)
    }
}

@available(*, unavailable)
extension ParallelDeflater: Sendable {}

/// The deflate threads: each takes the oldest queued block and compresses it with the stream it owns.
final class DeflateWorkers: @unchecked Sendable {
    // Safety: `queue` and `stopping` are only touched with `condition` locked; each thread's z_stream is created,
    // used and freed by that thread alone.
    private let condition = NSCondition()
    private var queue: [BlockJob] = []
    private var stopping = false
    private let exited = DispatchSemaphore(value: 0)
    private let count: Int
    private let level: Int32

    /// Starts `count` threads deflating at `level`; fails with zlib's message if a stream cannot be made.
    init(count: Int, level: Int32) throws {
        self.count = count
        self.level = level
        // Made here so that a failure is reported by the caller, then freed: each thread makes its own.
        freeDeflateStream(try makeDeflateStream(level: level, windowBits: -15))
        for index in 0..<count {
            let thread = Thread { [self] in run() }
            thread.name = "vaultops-deflate-\(index)"
            thread.start()
        }
    }

    /// Queues a block; the first idle thread takes it.
    func submit(_ job: BlockJob) {
        condition.lock()
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the threads finish what is queued, then waits for all of them to end.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        for _ in 0..<count { exited.wait() }
    }

    private func run() {
        defer { exited.signal() }
        var stream: UnsafeMutablePointer<z_stream>?
        var setupError: ArchiveError?
        // Raw deflate (negative windowBits): the gzip header and trailer are written once by the writer.
        do { stream = try makeDeflateStream(level: level, windowBits: -15) } catch { setupError = error }
        defer { if let stream { freeDeflateStream(stream) } }
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            condition.unlock()
            if let stream {
                job.run(stream: stream, level: level)
            } else {
                job.fail(setupError ?? .misuse("no deflate stream"))
            }
        }
    }
}

/// One block's compression, run on a deflate thread; the writer waits on `done` before reading the results.
final class BlockJob: @unchecked Sendable {
    // Safety: `output`, `outputCount`, `crc` and `error` are written only by the one worker running `run`, before
    // it signals `done`; the writer reads them only after `done.wait()`, which orders the accesses. The inputs are
    // immutable arrays.
    let done = DispatchSemaphore(value: 0)
    let input: [UInt8]
    let dictionary: [UInt8]
    let last: Bool
    private(set) var output = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private(set) var outputCount = 0
    private(set) var crc: UInt32 = 0
    private(set) var error: ArchiveError?

    init(input: [UInt8], dictionary: [UInt8], last: Bool) {
        self.input = input
        self.dictionary = dictionary
        self.last = last
    }

    deinit { output.deallocate() }

    /// Compresses the block with `stream` (reset here) at `level`, then signals `done`.
    func run(stream: UnsafeMutablePointer<z_stream>, level: Int32) {
        defer { done.signal() }
        var checksum = CRC32()
        input.withUnsafeBytes { checksum.update($0) }
        crc = checksum.value
        do {
            // The previous block may have been stored (level 0): every block starts at the writer's level.
            var status = deflateReset(stream)
            if status == Z_OK { status = deflateParams(stream, level, Z_DEFAULT_STRATEGY) }
            guard status == Z_OK else {
                throw ArchiveError.zlib(path: "deflateReset", code: status, message: zlibMessage(stream, status))
            }
            try deflate(stream)
        } catch let error as ArchiveError {
            self.error = error
        } catch {
            self.error = .misuse("unexpected error \(error)")
        }
    }

    /// Ends the job with `error` (the thread has no stream).
    func fail(_ error: ArchiveError) {
        self.error = error
        done.signal()
    }

    private func deflate(_ stream: UnsafeMutablePointer<z_stream>) throws {
        // Photos, archives and other compressed data cost deflate the most CPU per byte (about six times text's)
        // and gain nothing: such blocks go out as stored blocks.
        let store = input.withUnsafeBytes { looksIncompressible($0) }
        if store {
            let status = deflateParams(stream, 0, Z_DEFAULT_STRATEGY)
            guard status == Z_OK else {
                throw ArchiveError.zlib(path: "deflateParams", code: status, message: zlibMessage(stream, status))
            }
        }
        let dictionaryCount = store ? 0 : min(dictionary.count, ParallelDeflater.dictionarySize)
        if dictionaryCount > 0 {
            let status = dictionary.withUnsafeBytes {
                deflateSetDictionary(stream, $0.baseAddress!.advanced(by: $0.count - dictionaryCount).assumingMemoryBound(to: Bytef.self),
                                     uInt(dictionaryCount))
            }
            guard status == Z_OK else {
                throw ArchiveError.zlib(path: "deflateSetDictionary", code: status, message: zlibMessage(stream, status))
            }
        }
        // deflateBound covers the data; the sync flush's empty stored block and the final bits need a few bytes more.
        var capacity = Int(deflateBound(stream, uLong(input.count))) + 64
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        let flush = last ? Z_FINISH : Z_SYNC_FLUSH
        try input.withUnsafeBytes { inBytes in
            stream.pointee.next_in = inBytes.isEmpty ? nil : UnsafeMutablePointer(mutating: inBytes.baseAddress!.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(inBytes.count)
            while true {
                stream.pointee.next_out = output.baseAddress!.advanced(by: outputCount).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(capacity - outputCount)
                let status = CZlib.deflate(stream, flush)
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw ArchiveError.zlib(path: "deflate", code: status, message: zlibMessage(stream, status))
                }
                outputCount = capacity - Int(stream.pointee.avail_out)
                // Z_FINISH is done at Z_STREAM_END; Z_SYNC_FLUSH is done when output space was left over.
                if last ? status == Z_STREAM_END : stream.pointee.avail_out != 0 { break }
                // Out of room (the bound was not enough): grow and go on where deflate stopped.
                let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * 2, alignment: 16)
                grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: output[0..<outputCount]))
                output.deallocate()
                output = grown
                capacity *= 2
            }
        }
    }
}

/// Whether `block` looks like already-compressed data: each of eight 4 KiB samples spread evenly over it, the
/// first at its start and the last at its end, has a byte entropy of at least 7.9 bits per byte.
///
/// Text, SQL, logs and database pages score 3–6.5; JPEG, PNG, zip, gzip and encrypted data 7.9–8. At 7.9 bits
/// the best possible gain from coding bytes is 1.25%, and deflate on such data rarely saves even that, so storing
/// keeps the output within 1% of level-6 gzip while skipping its slowest work. The gaps between samples are under
/// 14 KiB, so any compressible stretch of 14 KiB or more is seen. Blocks under 32 KiB are never judged. Text fails on the first sample,
/// so judging costs compressible data one 4 KiB histogram per block.
func looksIncompressible(_ block: UnsafeRawBufferPointer) -> Bool {
    let sampleSize = 4096
    let samples = 8
    guard block.count >= samples * sampleSize else { return false }
    let step = (block.count - sampleSize) / (samples - 1)
    var counts = [Int](repeating: 0, count: 256)
    for sample in 0..<samples {
        for i in counts.indices { counts[i] = 0 }
        let start = sample * step
        for i in start..<(start + sampleSize) { counts[Int(block[i])] += 1 }
        var weighted = 0.0
        for c in counts where c > 0 { weighted += Double(c) * log2(Double(c)) }
        let entropy = log2(Double(sampleSize)) - weighted / Double(sampleSize)
        if entropy < 7.9 { return false }
    }
    return true
}
