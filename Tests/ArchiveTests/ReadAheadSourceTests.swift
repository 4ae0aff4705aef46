import Archive
import Foundation
import Synchronization
import Testing

/// A source that serves `bytes` and then fails instead of reporting the end (like a bad gzip trailer).
private final class FailingAfter: ByteSource {
    struct Boom: Error, Equatable { let at: Int }
    private let inner: BytesSource
    private var served = 0

    init(_ bytes: [UInt8], chunk: Int) {
        inner = BytesSource(bytes, chunkSize: chunk)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try inner.read(into: buffer)
        served += n
        if n == 0 { throw Boom(at: served) }
        return n
    }
}

/// An endless source that notes when it is released.
private final class Endless: ByteSource {
    let released: ReleaseFlag
    init(_ released: ReleaseFlag) { self.released = released }
    deinit { released.set() }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        for i in 0..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: i) }
        return buffer.count
    }
}

private final class ReleaseFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}

/// Everything `source` yields, read `readSize` bytes at a time.
private func drain(_ source: ByteSource, readSize: Int) throws -> [UInt8] {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 1)
    defer { buffer.deallocate() }
    var out: [UInt8] = []
    while true {
        let n = try source.read(into: buffer)
        if n == 0 { return out }
        out.append(contentsOf: buffer[0..<n])
    }
}

@Suite("Read-ahead source")
struct ReadAheadSourceTests {
    static let data: [UInt8] = (0..<300_001).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }

    /// (inner chunk, read-ahead chunk, depth, consumer read size): buffers smaller, equal and larger than each other.
    static let shapes: [(Int, Int, Int, Int)] = [
        (.max, 1 << 20, 4, 1 << 20), (1000, 4096, 2, 100), (4096, 4096, 2, 4096), (7, 64, 3, 1000),
        (65_536, 1000, 8, 333), (300_001, 300_001, 2, 1),
    ]

    @Test("hands out exactly the wrapped bytes, in order, whatever the buffer sizes", arguments: shapes)
    func sameBytes(shape: (Int, Int, Int, Int)) throws {
        let (inner, chunk, depth, readSize) = shape
        let source = ReadAheadSource(BytesSource(Self.data, chunkSize: inner), chunkSize: chunk, depth: depth)
        #expect(try drain(source, readSize: readSize) == Self.data)
        // The end is sticky.
        #expect(try drain(source, readSize: 10) == [])
    }

    @Test("an error of the wrapped source comes after every byte read before it, and again on later reads",
          arguments: [(1, 16), (4096, 1 << 16), (100_000, 4096)])
    func errorAfterData(inner: Int, chunk: Int) throws {
        let source = ReadAheadSource(FailingAfter(Self.data, chunk: inner), chunkSize: chunk, depth: 3)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 5000, alignment: 1)
        defer { buffer.deallocate() }
        var got: [UInt8] = []
        var caught: Error?
        while caught == nil {
            do {
                let n = try source.read(into: buffer)
                #expect(n > 0, "the end must not be reported before the failure")
                if n == 0 { break }
                got.append(contentsOf: buffer[0..<n])
            } catch {
                caught = error
            }
        }
        #expect(got == Self.data)
        #expect(caught as? FailingAfter.Boom == FailingAfter.Boom(at: Self.data.count))
        #expect(throws: FailingAfter.Boom.self) { _ = try source.read(into: buffer) }
    }

    @Test("dropping the reader early stops the producer and frees the wrapped source before deinit returns")
    func stopsEarly() throws {
        let released = ReleaseFlag()
        do {
            let source = ReadAheadSource(Endless(released), chunkSize: 4096, depth: 2)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 10_000, alignment: 1)
            defer { buffer.deallocate() }
            #expect(try source.read(into: buffer) > 0)
            #expect(!released.isSet)
        }
        #expect(released.isSet)
    }
}
