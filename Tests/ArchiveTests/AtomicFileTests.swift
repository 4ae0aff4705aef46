import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("AtomicFile")
struct AtomicFileTests {
    @Test("commit gives the final name, mode 0600, the right SHA-256 and no partial left")
    func commit() throws {
        let dir = try TempDir("atomic")
        let path = dir.file("db_20250101.sql.gz").path
        let file = try AtomicFile(destination: path)
        let payload = textBytes(700_000)
        try file.write(payload)
        #expect(FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(!FileManager.default.fileExists(atPath: path))
        try file.commit()
        #expect(try readFile(path) == payload)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(try lstatOf(path).st_mode & 0o7777 == 0o600)
        #expect(file.bytesWritten == UInt64(payload.count))
        let theirs = try sh("sha256sum \(q(path)) | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(file.sha256Hex == theirs)
        #expect(try sha256Hex(ofFile: path) == theirs)
    }

    @Test("an existing destination is never overwritten, found at start or at commit")
    func neverOverwrites() throws {
        let dir = try TempDir("atomic-exists")
        let path = dir.file("backup.tar.gz").path
        try writeFile(path, Array("original".utf8))
        #expect(archiveError { _ = try AtomicFile(destination: path) } == .destinationExists(path))

        let other = dir.file("race.tar.gz").path
        let file = try AtomicFile(destination: other)
        try file.write(Array("new".utf8))
        try writeFile(other, Array("appeared meanwhile".utf8))   // another writer got there first
        #expect(archiveError { try file.commit() } == .destinationExists(other))
        #expect(try readFile(other) == Array("appeared meanwhile".utf8))
        #expect(!FileManager.default.fileExists(atPath: other + ".partial"))
        #expect(try readFile(path) == Array("original".utf8))
    }

    @Test("without commit there is no final file and no partial", arguments: ["deinit", "discard"])
    func uncommitted(how: String) throws {
        let dir = try TempDir("atomic-drop")
        let path = dir.file("x.db.gz").path
        do {
            let file = try AtomicFile(destination: path)
            try file.write(randomBytes(10_000))
            if how == "discard" {
                file.discard()
                #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
                #expect(archiveError { try file.commit() } != nil)
            }
        }
        #expect(try tree(dir.path).isEmpty)
    }

    @Test("a stale partial from a crashed run is replaced, and the mode is 0600 whatever it had")
    func stalePartial() throws {
        let dir = try TempDir("atomic-stale")
        let path = dir.file("m.json").path
        try writeFile(path + ".partial", Array(repeating: UInt8(ascii: "x"), count: 5000))
        #expect(chmod(path + ".partial", 0o666) == 0)
        let sha = try AtomicFile.write(data: Array("{\"ok\":true}".utf8), to: path)
        #expect(try readFile(path) == Array("{\"ok\":true}".utf8))
        #expect(sha == sha256Hex(of: Array("{\"ok\":true}".utf8)))
        #expect(try lstatOf(path).st_mode & 0o7777 == 0o600)
        #expect(try tree(dir.path) == ["m.json"])
    }

    @Test("errors name the path and the system's reason")
    func errorsNamePath() throws {
        let path = "/nonexistent-vaultops-dir/file.gz"
        let error = archiveError { _ = try AtomicFile(destination: path) }
        #expect(error?.description.contains(path + ".partial") == true)
        #expect(error?.description.contains("No such file or directory") == true)
    }
}
