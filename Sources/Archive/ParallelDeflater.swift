import CLibDeflate
import CZlib
import Dispatch
import Foundation

/// How the parallel gzip writer compresses its blocks.
public enum DeflateEngine: Sendable, Equatable {
    /// libdeflate, each 128 KiB block on its own: about half zlib's CPU, and on text (SQL dumps, logs, source) a
    /// smaller output at the same level (10% on the benchmark's dump).
    case libdeflate
    /// libdeflate one level deeper (at most 9) on 1 MiB blocks, for binary pages such as SQLite's.
    ///
    /// On such pages libdeflate's level N searches less than zlib's level N and comes out bigger (by 3% at level 6
    /// on the benchmark's database); one level deeper and on bigger blocks it is within half a percent of `gzip -N`
    /// or smaller, at every level, in about half of zlib's CPU.
    case libdeflatePages

    /// How much input each block holds.
    var blockSize: Int { self == .libdeflatePages ? 1024 * 1024 : 128 * 1024 }

    /// The level a block is compressed at when the stream's level is `level`.
    func blockLevel(_ level: Int32) -> Int32 {
        self == .libdeflatePages && level > 0 ? min(level + 1, 9) : level
    }

    /// How many blocks may wait or be compressed at once, per worker: about 512 KiB of input, and at least two
    /// blocks so that the producer can run ahead of the workers.
    var blocksPerWorker: Int { max(2, 512 * 1024 / blockSize) }
}

/// Parallel gzip after pigz: blocks of 128 KiB (1 MiB for `.libdeflatePages`) deflated concurrently, joined in order
/// into one gzip member.
///
/// The blocks are deflated by `jobs` threads of its own, as pigz's compress threads are: GCD's shared pool grows
/// and shrinks with the machine's load, and a busy host would leave blocks waiting.
///
/// Each block is compressed by libdeflate, which deflates a whole buffer in about half zlib's time. It takes no
/// dictionary (pigz primes zlib with the previous 32 KiB), so a block cannot refer back into the previous one (about
/// 1% of size at 128 KiB). A block's raw deflate output ends with a final block, so (`BlockCompressor.compress`)
/// the final bit is found by walking the block boundaries with zlib's `inflate(Z_BLOCK)`, cleared, and an empty
/// stored block appended (what `Z_SYNC_FLUSH` writes, as pigz does). Every block but the last then ends
/// byte-aligned and unfinished, so the concatenation is one valid deflate stream. Each block's
/// CRC-32 is computed beside its compression and the CRCs are joined with `crc32_combine`. The writer keeps at
/// most `blocksPerWorker × jobs` blocks in flight (4 of 128 KiB or 2 of 1 MiB) and emits them in order, so memory
/// is bounded by jobs × 2 MiB × 2 (block + compressed block) plus one compressor per worker (about 1 MiB each).
final class ParallelDeflater {
    private let level: Int32
    private let engine: DeflateEngine
    private let jobs: Int
    private let workers: DeflateWorkers
    private var current: [UInt8] = []
    private var inFlight: [BlockJob] = []
    private var crc: UInt32 = 0
    private var totalLength: UInt64 = 0
    private var headerWritten = false
    /// Compressed bytes emitted so far (header included).
    private var emitted: UInt64 = 0
    /// Block starts a reader may begin inflating at, at least `GzipAccessPoint.spacing` apart.
    private(set) var accessPoints: [GzipAccessPoint] = []

    init(level: Int, jobs: Int, engine: DeflateEngine = .libdeflate) throws {
        self.level = Int32(level)
        self.jobs = jobs
        self.engine = engine
        workers = try DeflateWorkers(count: jobs, level: Int32(level), engine: engine)
        current.reserveCapacity(engine.blockSize)
    }

    // Blocks still queued are compressed and dropped; the threads end once the queue is empty.
    deinit { workers.stop() }

    func write(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset = 0
        while offset < bytes.count {
            let take = min(engine.blockSize - current.count, bytes.count - offset)
            current.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            offset += take
            if current.count == engine.blockSize {
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
            emitted += UInt64(header.count)
            headerWritten = true
        }
        // More blocks queued than workers: the producer (COPY, VACUUM INTO reading, tar) can run ahead while
        // the workers deflate, instead of waiting for the oldest block at every boundary.
        while inFlight.count >= engine.blocksPerWorker * jobs { try emitOldest(emit) }
        let job = BlockJob(input: current, last: last)
        current = []
        current.reserveCapacity(engine.blockSize)
        inFlight.append(job)
        workers.submit(job)
    }

    private func emitOldest(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let job = inFlight.removeFirst()
        job.done.wait()
        if let error = job.error { throw error }
        // Every block starts byte-aligned and refers to nothing before it (libdeflate takes no dictionary), so a raw
        // inflate can start at any block: some of those starts are recorded for ranged reads.
        if !job.input.isEmpty, accessPoints.last.map({ totalLength - $0.uncompressed >= GzipAccessPoint.spacing }) ?? true {
            accessPoints.append(GzipAccessPoint(compressed: emitted, uncompressed: totalLength))
        }
        try job.output.withUnsafeBytes { try emit($0) }
        emitted += UInt64(job.output.count)
        crc = CRC32.combine(crc, job.crc, secondLength: UInt64(job.input.count))
        totalLength += UInt64(job.input.count)
    }
}

@available(*, unavailable)
extension ParallelDeflater: Sendable {}

/// The deflate threads: each takes the oldest queued block and compresses it with the compressor it owns.
final class DeflateWorkers: @unchecked Sendable {
    // Safety: `queue` and `stopping` are only touched with `condition` locked; each thread's BlockCompressor is
    // created, used and freed by that thread alone.
    private let condition = NSCondition()
    private var queue: [BlockJob] = []
    private var stopping = false
    private let exited = DispatchSemaphore(value: 0)
    private let count: Int
    private let level: Int32
    private let engine: DeflateEngine

    /// Starts `count` threads compressing at `level`; fails with the library's message if a compressor cannot be made.
    init(count: Int, level: Int32, engine: DeflateEngine) throws {
        self.count = count
        self.level = level
        self.engine = engine
        // Made here so that a failure is reported by the caller, then dropped: each thread makes its own.
        _ = try BlockCompressor(level: level, engine: engine)
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
        let compressor: BlockCompressor?
        var setupError: ArchiveError?
        do { compressor = try BlockCompressor(level: level, engine: engine) } catch {
            compressor = nil
            setupError = error
        }
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            condition.unlock()
            if let compressor {
                job.run(compressor)
            } else {
                job.fail(setupError ?? .misuse("no deflate compressor"))
            }
        }
    }
}

/// One block's compression, run on a deflate thread; the writer waits on `done` before reading the results.
final class BlockJob: @unchecked Sendable {
    // Safety: `output`, `crc` and `error` are written only by the one worker running `run`, before it signals
    // `done`; the writer reads them only after `done.wait()`, which orders the accesses. The input is immutable.
    let done = DispatchSemaphore(value: 0)
    let input: [UInt8]
    let last: Bool
    private(set) var output: [UInt8] = []
    private(set) var crc: UInt32 = 0
    private(set) var error: ArchiveError?

    init(input: [UInt8], last: Bool) {
        self.input = input
        self.last = last
    }

    /// Compresses the block with `compressor`, then signals `done`.
    func run(_ compressor: BlockCompressor) {
        defer { done.signal() }
        var checksum = CRC32()
        input.withUnsafeBytes { checksum.update($0) }
        crc = checksum.value
        do {
            output = try input.withUnsafeBytes { try compressor.compress($0, last: last) }
        } catch let error as ArchiveError {
            self.error = error
        } catch {
            self.error = .misuse("unexpected error \(error)")
        }
    }

    /// Ends the job with `error` (the thread has no compressor).
    func fail(_ error: ArchiveError) {
        self.error = error
        done.signal()
    }
}

/// A deflate thread's tools: a libdeflate compressor and a zlib inflate stream that finds the final block's bit.
final class BlockCompressor {
    private let compressor: OpaquePointer
    private let scanner: UnsafeMutablePointer<z_stream>
    private let level: Int32
    // inflate needs somewhere to write while it walks the blocks; what it writes is thrown away, and it keeps the
    // 32 KiB window that later matches refer to itself, so the scratch need not hold a whole block.
    private var scratch: [UInt8] = []
    // libdeflate's output for the block in hand, before it is copied out.
    private var compressed: [UInt8] = []

    /// A compressor for `engine`'s blocks of a stream at `level` (0–9; 0 stores); fails if libdeflate or zlib
    /// cannot allocate.
    init(level: Int32, engine: DeflateEngine = .libdeflate) throws(ArchiveError) {
        self.level = engine.blockLevel(level)
        guard let compressor = libdeflate_alloc_compressor(self.level) else {
            throw ArchiveError.misuse("libdeflate cannot make a compressor at level \(self.level) (out of memory?)")
        }
        let scanner = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        scanner.initialize(to: z_stream())
        let status = vaultops_inflateInit2(scanner, -15)
        guard status == Z_OK else {
            let error = ArchiveError.zlib(path: "inflateInit2", code: status, message: zlibMessage(scanner, status))
            scanner.deinitialize(count: 1)
            scanner.deallocate()
            libdeflate_free_compressor(compressor)
            throw error
        }
        self.compressor = compressor
        self.scanner = scanner
        scratch = [UInt8](repeating: 0, count: 128 * 1024)
    }

    deinit {
        inflateEnd(scanner)
        scanner.deinitialize(count: 1)
        scanner.deallocate()
        libdeflate_free_compressor(compressor)
    }

    /// Raw deflate of `input`: ends with the final block when `last`, else byte-aligned after an empty stored block.
    func compress(_ input: UnsafeRawBufferPointer, last: Bool) throws(ArchiveError) -> [UInt8] {
        // Photos, archives and other compressed data cost deflate the most CPU per byte and gain nothing: such
        // blocks, and any block that deflate would not shrink, go out stored.
        guard level > 0, !input.isEmpty, !looksIncompressible(input) else { return storedBlocks(input, last: last) }
        return try libdeflate(input, last: last)
    }

    private func libdeflate(_ input: UnsafeRawBufferPointer, last: Bool) throws(ArchiveError) -> [UInt8] {
        if compressed.count < input.count { compressed = [UInt8](repeating: 0, count: input.count) }
        // Room for one byte less than the input: libdeflate returns 0 when the block would not shrink.
        let count = compressed.withUnsafeMutableBytes {
            libdeflate_deflate_compress(compressor, input.baseAddress, input.count, $0.baseAddress, input.count - 1)
        }
        guard count > 0 else { return storedBlocks(input, last: last) }
        // Copied out at its own size (plus the stored block's 5 bytes): queued outputs hold no more memory than
        // they need, and the worker's buffer is reused for its next block.
        var output: [UInt8] = []
        output.reserveCapacity(count + 5)
        output.append(contentsOf: compressed[..<count])
        if last { return output }
        let (finalHeaderBit, unusedBits) = try finalBlock(of: output)
        output[finalHeaderBit >> 3] &= ~(UInt8(1) << UInt8(finalHeaderBit & 7))
        // The bits after the end-of-block code must be zero: they become the empty stored block's header (000)
        // and its padding. If fewer than the header's 3 bits are free, the header spills into one more byte.
        output[output.count - 1] &= UInt8(0xFF) >> UInt8(unusedBits)
        if unusedBits < 3 { output.append(0) }
        output += [0x00, 0x00, 0xFF, 0xFF]
        return output
    }

    /// The bit offset of the final block's header in `stream`, and how many bits of its last byte are unused.
    func finalBlock(of stream: [UInt8]) throws(ArchiveError) -> (headerBit: Int, unusedBits: Int) {
        var status = inflateReset(scanner)
        guard status == Z_OK else {
            throw ArchiveError.zlib(path: "inflateReset", code: status, message: zlibMessage(scanner, status))
        }
        var headerBit = 0
        let result: Result<(Int, Int), ArchiveError> = stream.withUnsafeBytes { input in
            scratch.withUnsafeMutableBytes { out in
                scanner.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
                scanner.pointee.avail_in = uInt(input.count)
                while true {
                    scanner.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    scanner.pointee.avail_out = uInt(out.count)
                    // Z_BLOCK stops at every block boundary; data_type then says (bit 7) that it did, (bit 6) that
                    // the block just decoded was the final one, and (bits 0-5) how many bits of the last byte
                    // read are still unused.
                    status = inflate(scanner, Z_BLOCK)
                    guard status == Z_OK || status == Z_BUF_ERROR && scanner.pointee.avail_in > 0 else {
                        return .failure(ArchiveError.zlib(path: "inflate (block scan)", code: status,
                                                          message: zlibMessage(scanner, status)))
                    }
                    let type = Int(scanner.pointee.data_type)
                    guard type & 128 != 0 else { continue }
                    let bit = (input.count - Int(scanner.pointee.avail_in)) * 8 - (type & 63)
                    if type & 64 != 0 {
                        guard scanner.pointee.avail_in == 0, type & 63 < 8 else {
                            return .failure(.misuse("deflate block scan: the final block does not end the block's output"))
                        }
                        return .success((headerBit, type & 63))
                    }
                    headerBit = bit
                }
            }
        }
        return try result.get()
    }
}

@available(*, unavailable)
extension BlockCompressor: Sendable {}

/// `input` as stored deflate blocks of at most 65,535 bytes; the last one is final when `last`.
func storedBlocks(_ input: UnsafeRawBufferPointer, last: Bool) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(input.count + 5 * (input.count / 65_535 + 1))
    var offset = 0
    repeat {
        let length = min(65_535, input.count - offset)
        let final = last && offset + length == input.count
        output += [final ? 1 : 0, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[offset..<(offset + length)]))
        offset += length
    } while offset < input.count
    return output
}

/// Whether `block` looks like already-compressed data: each of its 4 KiB samples (eight, or one per 16 KiB in bigger
/// blocks) spread evenly over it, the first at its start and the last at its end, has a byte entropy of at least
/// 7.9 bits per byte.
///
/// Text, SQL, logs and database pages score 3–6.5; JPEG, PNG, zip, gzip and encrypted data 7.9–8. At 7.9 bits
/// the best possible gain from coding bytes is 1.25%, and deflate on such data rarely saves even that, so storing
/// keeps the output within 1% of level-6 gzip while skipping its slowest work. The gaps between samples are under
/// 14 KiB, so any compressible stretch of 14 KiB or more is seen. Blocks under 32 KiB are never judged. Text fails on the first sample,
/// so judging costs compressible data one 4 KiB histogram per block.
func looksIncompressible(_ block: UnsafeRawBufferPointer) -> Bool {
    let sampleSize = 4096
    let samples = max(8, block.count / (16 * 1024))
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
