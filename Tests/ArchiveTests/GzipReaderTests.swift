import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("GzipReader on gzip(1) output and damaged files")
struct GzipReaderTests {
    /// Writes `bytes` to a file and gzips it with gzip(1); returns the .gz path.
    func gzipped(_ bytes: [UInt8], in dir: TempDir, name: String, flags: String = "-6") throws -> String {
        let plain = dir.file(name).path
        try writeFile(plain, bytes)
        try sh("gzip \(flags) -n \(q(plain))")
        return plain + ".gz"
    }

    func readAll(_ path: String) throws -> ([UInt8], GzipReader) {
        let reader = try GzipReader(path: path)
        let bytes = try reader.readAll()
        return (bytes, reader)
    }

    @Test("reads gzip(1) output at several levels", arguments: ["-1", "-6", "-9"])
    func readsGzip(flags: String) throws {
        let dir = try TempDir("gzr")
        let input = textBytes(500_000) + randomBytes(100_000)
        let path = try gzipped(input, in: dir, name: "data", flags: flags)
        let (out, reader) = try readAll(path)
        #expect(out == input)
        #expect(reader.members == 1)
        let stats = try GzipReader.verify(path: path)
        #expect(stats == GzipStats(compressedBytes: UInt64(try readFile(path).count), uncompressedBytes: UInt64(input.count), members: 1))
        let (again, sha) = try GzipReader.verifyWithSHA256(path: path)
        #expect(again == stats)
        #expect(sha == sha256Hex(of: try readFile(path)))
    }

    @Test("reads pigz output")
    func readsPigz() throws {
        let dir = try TempDir("gzr-pigz")
        let input = textBytes(2_000_000)
        let plain = dir.file("p").path
        try writeFile(plain, input)
        try sh("pigz -p 2 \(q(plain))")
        #expect(try readAll(plain + ".gz").0 == input)
    }

    @Test("concatenated members read as one stream")
    func multiMember() throws {
        let dir = try TempDir("gzr-multi")
        let a = textBytes(100_000)
        let b = randomBytes(50_000)
        let aPath = try gzipped(a, in: dir, name: "a")
        let bPath = try gzipped(b, in: dir, name: "b")
        let both = dir.file("both.gz").path
        try sh("cat \(q(aPath)) \(q(bPath)) \(q(aPath)) > \(q(both))")
        let (out, reader) = try readAll(both)
        #expect(out == a + b + a)
        #expect(reader.members == 3)
        #expect(try GzipReader.verify(path: both).members == 3)
    }

    @Test("a file cut short is .truncated", arguments: [1, 2, 9, 10, 11, 100, -100, -9, -8, -5, -1])
    func truncated(cut: Int) throws {
        let dir = try TempDir("gzr-trunc")
        let path = try gzipped(textBytes(200_000) + randomBytes(20_000), in: dir, name: "t")
        let whole = try readFile(path)
        let keep = cut > 0 ? cut : whole.count + cut
        try writeFile(path, Array(whole.prefix(keep)))
        let error = archiveError { _ = try GzipReader.verify(path: path) }
        guard case .truncated(let named, _)? = error else {
            Issue.record("cut at \(keep) of \(whole.count): expected .truncated, got \(String(describing: error))")
            return
        }
        #expect(named == path)
        #expect(error!.description.contains(path))
    }

    @Test("an empty file is .truncated")
    func emptyFile() throws {
        let dir = try TempDir("gzr-empty")
        let path = dir.file("empty.gz").path
        try writeFile(path, [])
        guard case .truncated? = archiveError({ _ = try GzipReader.verify(path: path) }) else {
            Issue.record("empty file must be truncated"); return
        }
    }

    @Test("a flipped byte in stored data is a CRC mismatch")
    func flippedStoredByte() throws {
        let dir = try TempDir("gzr-flip")
        // Random data is stored, not compressed, so the flip passes inflate and only the CRC catches it.
        let path = try gzipped(randomBytes(300_000), in: dir, name: "r")
        var bytes = try readFile(path)
        bytes[bytes.count / 2] ^= 0x10
        try writeFile(path, bytes)
        let error = archiveError { _ = try GzipReader.verify(path: path) }
        guard case .checksumMismatch(let named, let detail)? = error else {
            Issue.record("expected .checksumMismatch, got \(String(describing: error))"); return
        }
        #expect(named == path)
        #expect(detail.contains("CRC-32"))
    }

    @Test("a flipped byte in compressed data is corrupt or a CRC mismatch, never silent")
    func flippedCompressedByte() throws {
        let dir = try TempDir("gzr-flip2")
        let path = try gzipped(textBytes(300_000), in: dir, name: "t")
        var bytes = try readFile(path)
        bytes[bytes.count / 2] ^= 0xFF
        try writeFile(path, bytes)
        let error = archiveError { _ = try GzipReader.verify(path: path) }
        switch error {
        case .corrupt(let named, let offset, _)?:
            #expect(named == path)
            #expect(offset != nil)
        case .checksumMismatch(let named, _)?:
            #expect(named == path)
        default:
            Issue.record("expected .corrupt or .checksumMismatch, got \(String(describing: error))")
        }
    }

    @Test("a flipped CRC or length in the trailer is a checksum mismatch", arguments: [(-8, "CRC-32"), (-1, "ISIZE")])
    func flippedTrailer(position: Int, what: String) throws {
        let dir = try TempDir("gzr-crc")
        let path = try gzipped(textBytes(10_000), in: dir, name: "c")
        var bytes = try readFile(path)
        bytes[bytes.count + position] ^= 0x01
        try writeFile(path, bytes)
        let error = archiveError { _ = try GzipReader.verify(path: path) }
        guard case .checksumMismatch(_, let detail)? = error else {
            Issue.record("expected .checksumMismatch, got \(String(describing: error))"); return
        }
        #expect(detail.contains(what))
    }

    @Test("trailing data that is not a gzip member is corrupt", arguments: [
        Array("garbage".utf8), [0, 0, 0, 0], [0x1f, 0x8c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0x42],
    ])
    func trailingGarbage(tail: [UInt8]) throws {
        let dir = try TempDir("gzr-tail")
        let path = try gzipped(textBytes(10_000), in: dir, name: "g")
        try writeFile(path, try readFile(path) + tail)
        let error = archiveError { _ = try GzipReader.verify(path: path) }
        guard case .corrupt(let named, _, let reason)? = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(named == path)
        #expect(reason.contains("trailing garbage"))
        // gzip(1) warns about non-zero garbage too (exit 2); it lets trailing zeros pass, which we do not.
        if tail.contains(where: { $0 != 0 }) {
            #expect(try shell("gzip -t \(q(path))").status != 0)
        }
    }

    @Test("a file that is not gzip is corrupt")
    func notGzip() throws {
        let dir = try TempDir("gzr-not")
        let path = dir.file("plain.gz").path
        try writeFile(path, Array("just text\n".utf8))
        guard case .corrupt(_, let offset, _)? = archiveError({ _ = try GzipReader.verify(path: path) }) else {
            Issue.record("expected .corrupt"); return
        }
        #expect(offset == 0)
    }

    @Test("our writer and reader agree, in small reads")
    func roundTripSmallReads() throws {
        let dir = try TempDir("gzr-rt")
        let path = dir.file("rt.gz").path
        let input = textBytes(123_457) + randomBytes(77_777)
        try ourGzip(input, level: 9, to: path)
        let reader = try GzipReader(path: path)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1000)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        #expect(out == input)
        #expect(reader.uncompressedBytes == UInt64(input.count))
    }
}
