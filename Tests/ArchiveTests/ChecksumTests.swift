import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("Checksums")
struct ChecksumTests {
    @Test("sha256Hex(ofFile:) and HashingSink agree with sha256sum", arguments: [0, 1, 262_144, 1_000_003])
    func sha256(size: Int) throws {
        let dir = try TempDir("sha")
        let path = dir.file("f").path
        let bytes = randomBytes(size, seed: UInt64(size + 1))
        try writeFile(path, bytes)
        let theirs = try sh("sha256sum \(q(path)) | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try sha256Hex(ofFile: path) == theirs)

        let copy = dir.file("copy").path
        let sink = try FileSink(path: copy)
        let hashing = HashingSink(forwardingTo: sink)
        try FileSource(path: path).copy(to: hashing, bufferSize: 4093)
        try sink.close()
        #expect(hashing.finalizeHex() == theirs)
        #expect(hashing.bytesWritten == UInt64(size))
        #expect(try readFile(copy) == bytes)
    }

    @Test("CRC-32 and crc32_combine agree with Python's zlib")
    func crc() throws {
        let a = textBytes(10_000)
        let b = randomBytes(3333)
        var crcA = CRC32()
        a.withUnsafeBytes { crcA.update($0) }
        var crcB = CRC32()
        b.withUnsafeBytes { crcB.update($0) }
        var whole = CRC32()
        (a + b).withUnsafeBytes { whole.update($0) }
        #expect(CRC32.combine(crcA.value, crcB.value, secondLength: UInt64(b.count)) == whole.value)
        let dir = try TempDir("crc")
        try writeFile(dir.file("ab").path, a + b)
        let py = try runProcess("python3", ["-c", "import sys, zlib; print(zlib.crc32(open(sys.argv[1], 'rb').read()))", dir.file("ab").path])
        #expect(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(whole.value))
    }

    @Test("FileSource and FileSink errors carry the path and errno text")
    func fileErrors() throws {
        let missing = "/nonexistent-vaultops/x"
        let error = archiveError { _ = try FileSource(path: missing) }
        #expect(error == .io(path: missing, operation: "open", errno: ENOENT))
        #expect(error?.description == "open \(missing): No such file or directory (errno 2)")
        let dir = try TempDir("sink")
        let path = dir.file("exists").path
        try writeFile(path, [1])
        #expect(archiveError { _ = try FileSink(path: path) } == .destinationExists(path))
    }
}
