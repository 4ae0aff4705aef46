import Archive
import Foundation
import Testing

/// Collects what is written; fails on the write that would pass `failAfter` bytes.
private final class Collector: ByteSink {
    struct Boom: Error, Equatable {}
    var bytes: [UInt8] = []
    var finished = false
    let failAfter: Int?

    init(failAfter: Int? = nil) { self.failAfter = failAfter }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        if let failAfter, bytes.count + buffer.count > failAfter { throw Boom() }
        bytes += buffer
    }
}

@Suite("Write-behind sink")
struct WriteBehindSinkTests {
    static let data: [UInt8] = (0..<300_001).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }

    /// (chunk, depth, writer's piece size): pieces smaller, equal and larger than the buffers.
    @Test(arguments: [(1 << 20, 4, 65_536), (4096, 2, 100), (4096, 2, 4096), (64, 3, 1000), (1000, 8, 300_001), (7, 2, 1)])
    func passesEveryByteInOrderAndFinishesOnce(shape: (Int, Int, Int)) throws {
        let (chunk, depth, piece) = shape
        let collector = Collector()
        var finishes = 0
        let sink = WriteBehindSink(collector, chunkSize: chunk, depth: depth) {
            finishes += 1
            collector.finished = true
        }
        var offset = 0
        while offset < Self.data.count {
            let end = min(offset + piece, Self.data.count)
            try Self.data[offset..<end].withUnsafeBytes { try sink.write($0) }
            offset = end
        }
        try sink.finish()
        #expect(collector.bytes == Self.data)
        #expect(collector.finished)
        #expect(finishes == 1)
    }

    @Test func emptyStreamStillFinishes() throws {
        let collector = Collector()
        let sink = WriteBehindSink(collector, chunkSize: 16) { collector.finished = true }
        try sink.finish()
        #expect(collector.bytes.isEmpty)
        #expect(collector.finished)
    }

    @Test func errorOfTheWrappedSinkReachesTheWriterAndFinishIsSkipped() throws {
        let collector = Collector(failAfter: 10_000)
        let sink = WriteBehindSink(collector, chunkSize: 4096, depth: 2) { collector.finished = true }
        #expect(throws: Collector.Boom.self) {
            for _ in 0..<100 { try Self.data.withUnsafeBytes { try sink.write($0) } }
            try sink.finish()
        }
        #expect(!collector.finished)
        #expect(collector.bytes.count <= 10_000)
    }

    @Test func errorInFinishIsReported() throws {
        let sink = WriteBehindSink(Collector(), chunkSize: 64) { throw Collector.Boom() }
        try Self.data.withUnsafeBytes { try sink.write($0) }
        #expect(throws: Collector.Boom.self) { try sink.finish() }
    }

    @Test func cancelStopsWithoutFinishing() throws {
        let collector = Collector()
        let sink = WriteBehindSink(collector, chunkSize: 64) { collector.finished = true }
        try Self.data.withUnsafeBytes { try sink.write($0) }
        sink.cancel()
        #expect(!collector.finished)
        #expect(throws: ArchiveError.self) { try sink.write([1]) }
    }
}
