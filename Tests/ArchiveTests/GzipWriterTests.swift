import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("GzipWriter interop with gzip(1)")
struct GzipWriterTests {
    static let mixed = randomBytes(70_000, seed: 7) + textBytes(300_000) + randomBytes(5, seed: 9)

    @Test("every level passes gzip -t and gunzip gives the input back", arguments: 0...9)
    func everyLevel(level: Int) throws {
        let dir = try TempDir("gz-level")
        let path = dir.file("out.gz").path
        let writer = try ourGzip(Self.mixed, level: level, to: path)
        try sh("gzip -t \(q(path))")
        let out = try sh("gunzip -c \(q(path))")
        #expect(out.stdoutData == Data(Self.mixed))
        #expect(writer.uncompressedBytes == UInt64(Self.mixed.count))
        #expect(writer.compressedBytes == UInt64(try readFile(path).count))
        if level == 0 {
            // Stored blocks: the output is bigger than the input.
            #expect(writer.compressedBytes > writer.uncompressedBytes)
        } else {
            #expect(writer.compressedBytes < writer.uncompressedBytes)
        }
    }

    @Test("empty input is a valid empty gzip file")
    func emptyInput() throws {
        let dir = try TempDir("gz-empty")
        let path = dir.file("empty.gz").path
        let writer = try ourGzip([], to: path)
        try sh("gzip -t \(q(path))")
        #expect(try sh("gunzip -c \(q(path)) | wc -c").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(writer.uncompressedBytes == 0)
        #expect(writer.compressedBytes == 20)   // 10-byte header, empty final block, 8-byte trailer
    }

    @Test("20 MB of random and text data round-trips through gunzip")
    func twentyMegabytes() throws {
        let dir = try TempDir("gz-20mb")
        let path = dir.file("big.gz").path
        var input: [UInt8] = []
        for i in 0..<10 {
            input += randomBytes(1_000_000, seed: UInt64(i + 1))
            input += textBytes(1_000_000)
        }
        let writer = try ourGzip(input, level: 6, to: path, piece: 1_048_573)
        try sh("gzip -t \(q(path))")
        let theirs = try sh("gunzip -c \(q(path)) | sha256sum | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(theirs == sha256Hex(of: input))
        #expect(writer.uncompressedBytes == 20_000_000)
    }

    @Test("one huge write is split for zlib and still correct")
    func singleLargeWrite() throws {
        let dir = try TempDir("gz-one")
        let path = dir.file("one.gz").path
        let input = textBytes(3_000_000)
        try ourGzip(input, level: 1, to: path, piece: input.count)
        #expect(try sh("gunzip -c \(q(path))").stdoutData == Data(input))
    }

    @Test("small and boundary-sized writes are gathered correctly", arguments: [1, 7, 300, 65_535, 65_536, 65_537, 200_000])
    func writeSizes(piece: Int) throws {
        let dir = try TempDir("gz-pieces")
        let path = dir.file("p.gz").path
        let input = textBytes(150_000) + randomBytes(70_000, seed: UInt64(piece))
        let writer = try ourGzip(input, level: 6, to: path, piece: piece)
        #expect(try sh("gunzip -c \(q(path))").stdoutData == Data(input))
        #expect(writer.uncompressedBytes == UInt64(input.count))
        #expect(writer.compressedBytes == UInt64(try readFile(path).count))
    }

    @Test("misuse is refused: bad level, write after finish, finish twice")
    func misuse() throws {
        let dir = try TempDir("gz-misuse")
        let sink = try FileSink(path: dir.file("x.gz").path)
        #expect(archiveError { _ = try GzipWriter(sink: sink, level: 10) } == .misuse("gzip level 10 is not in 0...9"))
        let writer = try GzipWriter(sink: sink, level: 6)
        try writer.write([1, 2, 3])
        try writer.finish()
        if case .misuse? = archiveError({ try writer.write([4]) }) {} else { Issue.record("write after finish must be misuse") }
        if case .misuse? = archiveError({ try writer.finish() }) {} else { Issue.record("finish twice must be misuse") }
    }
}
