import Foundation
import Testing
import TestSupport
@testable import Archive

/// Raw deflate `stream` inflated by Python's zlib, which must find the final block exactly at the stream's end.
private func pythonInflate(_ stream: [UInt8]) throws -> Data {
    let dir = try TempDir("raw-deflate")
    let path = dir.file("raw").path
    try writeFile(path, stream)
    let script = "import sys, zlib; d = zlib.decompressobj(-15); out = d.decompress(open(sys.argv[1], 'rb').read()); "
        + "assert d.eof, 'no final block'; assert not d.unused_data, 'bytes after the final block'; sys.stdout.buffer.write(out)"
    return try sh("python3 -c \(q(script)) \(q(path))").stdoutData
}

@Suite("Parallel gzip blocks: libdeflate output joined into one deflate stream")
struct BlockCompressorTests {
    @Test("stored blocks: any length joins and inflates back", arguments: [0, 1, 65_535, 65_536, 200_000])
    func stored(size: Int) throws {
        let data = randomBytes(size, seed: 7)
        let head = randomBytes(1000, seed: 8)
        var stream = head.withUnsafeBytes { storedBlocks($0, last: false) }
        stream += data.withUnsafeBytes { storedBlocks($0, last: true) }
        #expect(try pythonInflate(stream) == Data(head + data))
        // Five bytes of header per 65,535 bytes of data, and an empty input still gets its (final) block.
        #expect(stream.count == head.count + 5 + data.count + 5 * max(1, (data.count + 65_534) / 65_535))
    }

    /// Blocks of different kinds, so that the joins are exercised with every amount of unused bits in the last byte.
    static let blocks: [[UInt8]] = (0..<24).map { i in
        let k = 1024
        switch i % 4 {
        case 0: return textBytes(128 * k - i)
        // Text then random halves: libdeflate ends one deflate block where the statistics change.
        case 1: return textBytes(64 * k) + randomBytes(64 * k - i, seed: UInt64(i))
        case 2: return Array(textBytes(20 * k + 97 * i).reversed())
        default: return randomBytes(40 * k, seed: UInt64(i)) + textBytes(3 * k + i)
        }
    }

    @Test("every block but the last ends unfinished and byte-aligned; the joined stream inflates to the input",
          arguments: [1, 4, 6, 9])
    func joined(level: Int32) throws {
        let compressor = try BlockCompressor(level: level)
        var stream: [UInt8] = []
        var unused = Set<Int>()
        var laterFinalHeader = false
        for (index, block) in Self.blocks.enumerated() {
            let last = index == Self.blocks.count - 1
            let out = try block.withUnsafeBytes { try compressor.compress($0, last: last) }
            if !last {
                #expect(Array(out.suffix(4)) == [0, 0, 0xFF, 0xFF], "block \(index) does not end with an empty stored block")
                // The same block compressed as the final one tells where its final bit sat.
                let final = try block.withUnsafeBytes { try compressor.compress($0, last: true) }
                let (header, bits) = try compressor.finalBlock(of: final)
                unused.insert(bits)
                if header > 0 { laterFinalHeader = true }
            }
            stream += out
        }
        #expect(try pythonInflate(stream) == Data(Self.blocks.joined()))
        // Both ways of appending the empty stored block (in the last byte, or one byte more) were taken, and at least
        // one block's output held several deflate blocks, so the scan walked past the first.
        #expect(unused.contains { $0 >= 3 } && unused.contains { $0 < 3 }, "unused bits seen: \(unused.sorted())")
        #expect(laterFinalHeader)
    }

    @Test("a stream that is not deflate is reported, not joined")
    func scanRejectsGarbage() throws {
        let compressor = try BlockCompressor(level: 6)
        let error = archiveError { _ = try compressor.finalBlock(of: [0xFF, 0xFF, 0xFF, 0xFF]) }
        #expect(error != nil)
    }

    @Test("a level libdeflate does not have is refused with a message")
    func badLevel() {
        let error = archiveError { _ = try BlockCompressor(level: 13) }
        #expect("\(String(describing: error))".contains("level 13"))
    }
}
