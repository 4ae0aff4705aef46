import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("GzipWriter with jobs > 1 (pigz's layout, libdeflate blocks)")
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
          arguments: [(2, 1), (2, 6), (4, 9), (3, 0)], [DeflateEngine.libdeflate, .libdeflatePages])
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

    @Test("parallel edge sizes: empty, one byte, exactly one block, one block and a byte, three blocks",
          arguments: [(0, 0), (0, 1), (1, 0), (1, 1), (3, 0)], [DeflateEngine.libdeflate, .libdeflatePages])
    func edgeSizes(size: (blocks: Int, bytes: Int), engine: DeflateEngine) throws {
        let dir = try TempDir("pgz-edge")
        let path = dir.file("e.gz").path
        let input = textBytes(size.blocks * engine.blockSize + size.bytes)
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
        case "1 MiB random": return randomBytes(1024 * k, seed: 6)
        case "16 KiB of text amid 1 MiB random": return randomBytes(500 * k, seed: 7) + textBytes(16 * k) + randomBytes(508 * k, seed: 8)
        default: throw TestSupportError("no block called \(name)")
        }
    }

    @Test("incompressible blocks are recognised by their byte entropy; anything with structure is not",
          arguments: [("random bytes", true), ("deflate output", true), ("text", false), ("base64 of random bytes", false),
                      ("zeros", false), ("random, then 16 KiB of text", false), ("16 KiB of text, then random", false),
                      ("16 KiB of text amid random", false), ("random but too short to judge", false),
                      ("1 MiB random", true), ("16 KiB of text amid 1 MiB random", false)])
    func incompressible(name: String, expected: Bool) throws {
        let block = try Self.block(name)
        #expect(block.withUnsafeBytes { looksIncompressible($0) } == expected)
    }

    @Test("stored random blocks between deflated text: valid, identical, no bigger than single-threaded level 6",
          arguments: [DeflateEngine.libdeflate, .libdeflatePages])
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

@Suite("GzipWriter on SQLite pages (the blocks SQLite snapshots get)")
struct SQLitePagesGzipTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("libdeflatePages blocks on 2 threads stay within 1% of gzip -N's size at every level; plain libdeflate blocks do not")
    func withinOnePercentOfGzip() throws {
        let dir = try TempDir("pgz-pages")
        let db = dir.file("mms.db").path
        // The benchmark's own database (text, reals and random blobs in a table and its index), at 8% of its size.
        try sh("python3 -c \(q("import sys; sys.path.insert(0, sys.argv[1]); import bench; bench.make_sqlite(sys.argv[2], 0.08)")) "
               + "\(q(Self.repositoryRoot.appendingPathComponent("Benchmarks").path)) \(q(db))")
        let pages = try readFile(db)
        #expect(pages.count > 6 * 1024 * 1024, "the database is \(pages.count) bytes")
        for level in 1...9 {
            let path = dir.file("\(level).gz").path
            let ours = try ourGzip(pages, level: level, jobs: 2, engine: .libdeflatePages, to: path, piece: 65_536)
            #expect(try sh("gunzip -c \(q(path)) | cmp - \(q(db))").status == 0, "level \(level)")
            let gzip = try #require(Int(try sh("gzip -\(level) -c \(q(db)) | wc -c").stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)))
            let ratio = Double(ours.compressedBytes) / Double(gzip)
            #expect(ratio < 1.01, "level \(level): \(ours.compressedBytes) bytes against gzip's \(gzip)")
            if level == 6 {
                // The same pages in text's blocks (libdeflate at the level asked, 128 KiB) come out bigger: the
                // deeper search is what keeps the size.
                let plain = try ourGzip(pages, level: 6, jobs: 2, engine: .libdeflate, to: dir.file("plain.gz").path)
                #expect(Double(plain.compressedBytes) / Double(gzip) > 1.02, "\(plain.compressedBytes) against \(gzip)")
            }
        }
    }
}
