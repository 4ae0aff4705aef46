import Foundation
import Testing
import TestSupport
import Archive

/// `AtomicFile.replace`: the status, metrics and replicator state files are replaced whole, with their mode.
@Suite("AtomicFile.replace") struct AtomicFileReplaceTests {
    @Test("replaces the content, sets the mode past the umask, and leaves no temporary file",
          arguments: [(mode: mode_t(0o600), durable: true), (0o644, true), (0o600, false)])
    func replaces(_ c: (mode: mode_t, durable: Bool)) throws {
        let dir = try TempDir("atomic")
        let file = dir.file("status.json")
        try Data("old\n".utf8).write(to: file)
        let previous = umask(0o077)
        defer { umask(previous) }
        try AtomicFile.replace(at: file, with: Data("new\n".utf8), mode: c.mode, durable: c.durable)
        #expect(try String(contentsOf: file, encoding: .utf8) == "new\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.uint16Value == UInt16(c.mode))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["status.json"])
    }

    @Test("a folder that does not exist fails naming the temporary file's path and the reason")
    func missingFolder() throws {
        let dir = try TempDir("atomic")
        let file = dir.file("absent/status.json")
        #expect {
            try AtomicFile.replace(at: file, with: Data("x".utf8), mode: 0o600)
        } throws: { error in
            let message = "\(error)"
            return message.contains("create \(dir.url.path)/absent/.status.json.tmp-") && message.contains("No such file")
        }
    }

    @Test("a target that is a folder fails at the rename, and the temporary file is removed")
    func targetIsFolder() throws {
        let dir = try TempDir("atomic")
        let file = dir.file("status.json")
        try FileManager.default.createDirectory(at: file, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(at: file.appendingPathComponent("inside"), withIntermediateDirectories: false)
        #expect {
            try AtomicFile.replace(at: file, with: Data("x".utf8), mode: 0o600)
        } throws: { error in
            "\(error)".contains("rename into place \(file.path)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["status.json"])
    }
}
