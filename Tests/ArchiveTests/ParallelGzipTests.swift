import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("GzipWriter with jobs > 1 (pigz's layout; libdeflate or zlib blocks)")
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
          arguments: [(2, 1), (2, 6), (4, 9), (3, 0)], [DeflateEngine.libdeflate, .zlib])
    func parallel(setting: (jobs: Int, level: Int), engine: DeflateEngine) throws {
        let (jobs, level) = setting
        let dir = try TempDir("pgz")
        let path = dir.file("p.gz").path
        let writer = try ourGzip(Self.input, level: level, jobs: jobs, engine: engine, to: path, piece: 77_777)
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
          arguments: [0, 1, 128 * 1024, 128 * 1024 + 1, 3 * 128 * 1024], [DeflateEngine.libdeflate, .zlib])
    func edgeSizes(size: Int, engine: DeflateEngine) throws {
        let dir = try TempDir("pgz-edge")
        let path = dir.file("e.gz").path
        let input = textBytes(size)
        try ourGzip(input, level: 6, jobs: 2, engine: engine, to: path)
        try sh("gzip -t \(q(path))")
        #expect(try sh("gunzip -c \(q(path))").stdoutData == Data(input))
    }

    /// Deflate output of word-salad text (what a .gz, .png or .zip inside an uploads folder holds).
    static func gzippedWords(_ count: Int) throws -> [UInt8] {
        let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let noise = randomBytes(8 * count, seed: 3)
        var words: [[UInt8]] = []
        for i in 0..<2000 { words.append((0..<(2 + i % 8)).map { letters[Int(noise[i * 10 + $0]) % 26] }) }
        var text: [UInt8] = []
        var i = 0
        while text.count < 3 * count {
            let pick = Int(noise[i % noise.count]) << 8 | Int(noise[(i + 1) % noise.count])
            text += words[pick % words.count] + [32]
            i += 2
        }
        let dir = try TempDir("pgz-gz")
        let path = dir.file("t.gz").path
        try ourGzip(text, level: 9, to: path)
        return Array(try readFile(path).dropFirst(10).prefix(count))
    }

    /// The blocks `looksIncompressible` is judged on, by name (so a failure prints a name, not 128 KiB).
    static func block(_ name: String) throws -> [UInt8] {
        let k = 1024
        switch name {
        case "random bytes": return randomBytes(128 * k)
        case "deflate output": return try gzippedWords(128 * k)
        case "text": return textBytes(128 * k)
        case "base64 of random bytes": return Array(Data(randomBytes(96 * k, seed: 5)).base64EncodedData())
        case "zeros": return [UInt8](repeating: 0, count: 128 * k)
        case "random, then 16 KiB of text": return randomBytes(112 * k) + textBytes(16 * k)
        case "16 KiB of text, then random": return textBytes(16 * k) + randomBytes(112 * k)
        case "16 KiB of text amid random": return randomBytes(56 * k) + textBytes(16 * k) + randomBytes(56 * k)
        case "random but too short to judge": return randomBytes(32 * k - 1)
        default: throw TestSupportError("no block called \(name)")
        }
    }

    @Test("incompressible blocks are recognised by their byte entropy; anything with structure is not",
          arguments: [("random bytes", true), ("deflate output", true), ("text", false), ("base64 of random bytes", false),
                      ("zeros", false), ("random, then 16 KiB of text", false), ("16 KiB of text, then random", false),
                      ("16 KiB of text amid random", false), ("random but too short to judge", false)])
    func incompressible(name: String, expected: Bool) throws {
        let block = try Self.block(name)
        #expect(block.withUnsafeBytes { looksIncompressible($0) } == expected)
    }

    @Test("stored random blocks between deflated text: valid, identical, no bigger than single-threaded level 6",
          arguments: [DeflateEngine.libdeflate, .zlib])
    func storedBlocksBetweenText(engine: DeflateEngine) throws {
        var input: [UInt8] = []
        for i in 0..<3 { input += randomBytes(700_000, seed: UInt64(i + 40)) + textBytes(900_000) }
        let dir = try TempDir("pgz-store")
        let path = dir.file("p.gz").path
        let writer = try ourGzip(input, level: 6, jobs: 2, engine: engine, to: path)
        try sh("gzip -t \(q(path))")
        #expect(try sh("gunzip -c \(q(path))").stdoutData == Data(input))
        let single = try ourGzip(input, level: 6, jobs: 1, to: dir.file("s.gz").path)
        #expect(Double(writer.compressedBytes) / Double(single.compressedBytes) < 1.01,
                "parallel \(writer.compressedBytes) vs single \(single.compressedBytes)")
    }
}
