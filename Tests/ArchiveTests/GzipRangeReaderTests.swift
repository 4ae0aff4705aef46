import Foundation
import Testing
import TestSupport
@testable import Archive

/// Ranged reads of a gzip file through the access points the parallel writer records.
@Suite("Gzip ranges")
struct GzipRangeReaderTests {
    /// Text-like data of `count` bytes that compresses about as a dump does.
    static func data(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        var n: UInt64 = 1
        while bytes.count < count {
            n = n &* 6364136223846793005 &+ 1442695040888963407
            bytes += Array("\(n % 100000)\trow \(n >> 40)\tsome text\n".utf8)
        }
        return Array(bytes.prefix(count))
    }

    static func write(_ data: [UInt8], to path: String, jobs: Int, accessPoints: Bool = false) throws -> [GzipAccessPoint] {
        let file = try FileSink(path: path)
        let gzip = try GzipWriter(sink: file, level: 6, jobs: jobs, accessPoints: accessPoints)
        try gzip.write(data)
        try gzip.finish()
        try file.close()
        return gzip.accessPoints
    }

    @Test("The parallel writer records a block start every 256 KiB; one stream records none")
    func accessPoints() throws {
        let dir = try TempDir("ranges")
        let data = Self.data(6 << 20)
        let points = try Self.write(data, to: dir.file("p.gz").path, jobs: 2)
        #expect(points.first == GzipAccessPoint(compressed: 10, uncompressed: 0))
        #expect(points.count == 24)
        for (a, b) in zip(points, points.dropFirst()) {
            #expect(b.uncompressed - a.uncompressed == GzipAccessPoint.spacing && b.compressed > a.compressed)
        }
        #expect(try Self.write(data, to: dir.file("s.gz").path, jobs: 1).isEmpty)
        // Still one standard gzip member.
        #expect(try GzipReader.verify(path: dir.file("p.gz").path).uncompressedBytes == UInt64(data.count))
    }

    @Test("One stream with access points: a full flush every 256 KiB, a valid gzip file, under 1% bigger")
    func singleStreamPoints() throws {
        let dir = try TempDir("ranges")
        let data = Self.data(3 << 20)
        let points = try Self.write(data, to: dir.file("f.gz").path, jobs: 1, accessPoints: true)
        #expect(points.map(\.uncompressed) == (0..<12).map { UInt64($0) * GzipAccessPoint.spacing })
        _ = try Self.write(data, to: dir.file("n.gz").path, jobs: 1)
        #expect(try GzipReader.verify(path: dir.file("f.gz").path).uncompressedBytes == UInt64(data.count))
        let sizes = try ["f.gz", "n.gz"].map { try FileManager.default.attributesOfItem(atPath: dir.file($0).path)[.size] as! NSNumber }
        #expect(sizes[0].doubleValue < sizes[1].doubleValue * 1.01)
    }

    @Test("A range read through the access points equals the slice, and reads only its blocks",
          arguments: [(0, 100), (1_500_000, 1_600_000), (3 << 20, 3 << 20 + 1), (5_000_000, 6 << 20), (0, 6 << 20)], [2, 1])
    func indexed(range: (start: Int, end: Int), jobs: Int) throws {
        let (start, end) = range
        let dir = try TempDir("ranges")
        let data = Self.data(6 << 20)
        let path = dir.file("p.gz").path
        let points = try Self.write(data, to: path, jobs: jobs, accessPoints: true)
        let size = UInt64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber)
        let reader = GzipRangeReader(path: path, layout: .indexedGzip(points: points, compressedSize: size))
        let got = try reader.source(for: UInt64(start)..<UInt64(end)).readAll()
        #expect(got == Array(data[start..<end]))
        // At most the blocks the range touches, plus one access point's spacing at each end.
        let blocks = (UInt64(end - start) + 2 * GzipAccessPoint.spacing) * size / UInt64(data.count) + 4096
        #expect(reader.counter.bytes <= blocks)
    }

    @Test("Without access points and in a plain file, ranges read forward give the same bytes")
    func sequentialAndPlain() throws {
        let dir = try TempDir("ranges")
        let data = Self.data(3 << 20)
        _ = try Self.write(data, to: dir.file("s.gz").path, jobs: 1)
        try Data(data).write(to: dir.file("plain"))
        let ranges: [Range<UInt64>] = [10..<20, 1_000_000..<1_200_000, 3_000_000..<UInt64(3 << 20)]
        for layout in [GzipRangeReader.Layout.gzip, .plain] {
            let path = dir.file(layout.isPlain ? "plain" : "s.gz").path
            let reader = GzipRangeReader(path: path, layout: layout)
            for range in ranges {
                #expect(try reader.source(for: range).readAll() == Array(data[Int(range.lowerBound)..<Int(range.upperBound)]))
            }
            if layout.isPlain { #expect(reader.counter.bytes == ranges.reduce(0) { $0 + UInt64($1.count) }) }
        }
    }

    @Test("A damaged block is an error, not wrong bytes")
    func damaged() throws {
        let dir = try TempDir("ranges")
        let data = Self.data(3 << 20)
        let path = dir.file("p.gz").path
        let points = try Self.write(data, to: path, jobs: 2)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let inside = Int(points[1].compressed) + 100
        for i in inside..<(inside + 64) { bytes[i] ^= 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: path))
        let reader = GzipRangeReader(path: path, layout: .indexedGzip(points: points, compressedSize: UInt64(bytes.count)))
        #expect(throws: ArchiveError.self) {
            let got = try reader.source(for: points[1].uncompressed..<(points[1].uncompressed + 500_000)).readAll()
            if got != Array(data[Int(points[1].uncompressed)..<Int(points[1].uncompressed + 500_000)]) { throw ArchiveError.misuse("wrong bytes") }
        }
    }
}

extension GzipRangeReader.Layout {
    var isPlain: Bool { if case .plain = self { true } else { false } }
}
