import Foundation
@testable import Mirror
import ObjectStorage
import Testing
import TestSupport

@Suite("local walker")
struct LocalWalkerTests {
    @Test("regular files by relative path; symlinks, FIFOs, sockets and non-UTF-8 names are reported, never dropped")
    func walk() throws {
        let dir = try TempDir("walk")
        let root = dir.path
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/a/b/deep.txt"))
        try Data().write(to: URL(fileURLWithPath: root + "/empty"))
        try Data("nfc".utf8).write(to: URL(fileURLWithPath: root + "/caf\u{E9}"))
        try Data("nfd!".utf8).write(to: URL(fileURLWithPath: root + "/cafe\u{301}"))
        try Data("s".utf8).write(to: URL(fileURLWithPath: root + "/with space.txt"))
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: root + "/a/dirlink", withDestinationPath: "/etc")
        #expect(mkfifo(root + "/fifo", 0o644) == 0)
        // A bound Unix socket, made by Python so the test needs no socket code of its own.
        try runCommandOK("python3", ["-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])", root + "/sock"])
        // A name that is not UTF-8 (byte 0xFF), made with printf.
        try runCommandOK("bash", ["-c", "cd \"$1\" && touch \"$(printf 'bad\\377name')\"", "_", root])

        let tree = try LocalWalker.walk(root)
        let expected = ["a/b/deep.txt", "caf\u{E9}", "cafe\u{301}", "empty", "with space.txt"].map { MirrorPath($0) }.sorted()
        #expect(tree.files.map(\.path).sorted() == expected)
        #expect(tree.files.count == 5)
        #expect(Set(tree.files.map(\.path)).count == 5, "NFC and NFD names stay two files")
        #expect(tree.files.first { $0.path == MirrorPath("cafe\u{301}") }?.size == 4)
        #expect(tree.files.first { $0.path == MirrorPath("empty") }?.size == 0)
        #expect(tree.files.first { $0.path == MirrorPath("a/b/deep.txt") }?.fullPath == root + "/a/b/deep.txt")

        let problems = Dictionary(uniqueKeysWithValues: tree.problems.map { ($0.subject, $0.message) })
        #expect(problems[root + "/link"]?.contains("symbolic link -> /etc/passwd") == true)
        #expect(problems[root + "/a/dirlink"]?.contains("symbolic link") == true)
        #expect(problems[root + "/fifo"]?.contains("FIFO") == true)
        #expect(problems[root + "/sock"]?.contains("socket") == true)
        #expect(tree.problems.contains { $0.message.contains("not valid UTF-8") })
        #expect(tree.problems.count == 5)
    }

    @Test("the root must be a folder")
    func notAFolder() throws {
        let dir = try TempDir("walk")
        try Data().write(to: dir.file("f"))
        #expect(throws: MirrorError.self) { try LocalWalker.walk(dir.file("f").path) }
        #expect(throws: MirrorError.self) { try LocalWalker.walk(dir.file("missing").path) }
    }

    @Test("streaming CRC-64 matches the one-shot value")
    func crc() throws {
        let dir = try TempDir("crc")
        var data = Data()
        for i in 0..<(3 << 20) / 8 { var v = UInt64(i) &* 0x9E37_79B9_7F4A_7C15; data.append(Data(bytes: &v, count: 8)) }
        try data.write(to: dir.file("f"))
        #expect(try LocalFiles.crc64(path: dir.file("f").path) == CRC64.checksum(data))
    }
}

func runCommandOK(_ exe: String, _ args: [String]) throws {
    let r = try runProcess(exe, args)
    guard r.status == 0 else { throw TestSupportError("\(exe) failed: \(r.stderr)") }
}
