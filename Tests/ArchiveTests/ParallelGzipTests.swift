import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("GzipWriter with jobs > 1 (pigz's design)")
struct ParallelGzipTests {
    static let input: [UInt8] = {
        var bytes: [UInt8] = []
        for i in 0..<4 {
            bytes += textBytes(1_500_000)
            bytes += randomBytes(500_000 + i, seed: UInt64(i + 11))
        }
        return bytes
    }()

    @Test("parallel output passes gzip -t, round-trips and stays within 1% of single-threaded size",
          arguments: [(2, 1), (2, 6), (4, 9), (3, 0)])
    func parallel(jobs: Int, level: Int) throws {
        let dir = try TempDir("pgz")
        let path = dir.file("p.gz").path
        let writer = try ourGzip(Self.input, level: level, jobs: jobs, to: path, piece: 77_777)
        try sh("gzip -t \(q(path))")
        let theirs = try sh("gunzip -c \(q(path)) | sha256sum | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(theirs == sha256Hex(of: Self.input))
        #expect(try GzipReader.verify(path: path) == GzipStats(compressedBytes: writer.compressedBytes,
                                                                uncompressedBytes: UInt64(Self.input.count), members: 1))
        let single = try ourGzip(Self.input, level: level, jobs: 1, to: dir.file("s.gz").path)
        let ratio = Double(writer.compressedBytes) / Double(single.compressedBytes)
        #expect(ratio < 1.01, "parallel \(writer.compressedBytes) vs single \(single.compressedBytes)")
    }

    @Test("parallel edge sizes: empty, one byte, exactly one block, one block and a byte",
          arguments: [0, 1, 128 * 1024, 128 * 1024 + 1, 3 * 128 * 1024])
    func edgeSizes(size: Int) throws {
        let dir = try TempDir("pgz-edge")
        let path = dir.file("e.gz").path
        let input = textBytes(size)
        try ourGzip(input, level: 6, jobs: 2, to: path)
        try sh("gzip -t \(q(path))")
        #expect(try sh("gunzip -c \(q(path))").stdoutData == Data(input))
    }
}
