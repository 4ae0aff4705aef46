@testable import Artifacts
import Foundation
import Testing
import TestSupport
import VaultopsCore

/// A folder with one big file and one small one.
private func sourceFolder(_ dir: TempDir) throws -> URL {
    let root = dir.file("uploads")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    try Data((0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: root.appendingPathComponent("log.bin"))
    try Data("steady\n".utf8).write(to: root.appendingPathComponent("notes.txt"))
    return root
}

private func outFolder(_ dir: TempDir) throws -> URL {
    let out = dir.file("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    return out
}

@Suite("The artifact and its manifest appear together (issue 17)")
struct ArtifactPairTests {
    @Test("a crash between the two renames never leaves an artifact without its manifest")
    func crashBetweenRenames() throws {
        let dir = try TempDir("pair")
        let root = try sourceFolder(dir)
        let out = try outFolder(dir)
        var atCrash: [String] = []
        struct Crash: Error {}
        #expect(throws: Crash.self) {
            _ = try FilesBackup.run(directories: [root], options: BackupOptions(outputDirectory: out), afterFirstChunk: nil, betweenRenames: {
                atCrash = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
                throw Crash()
            })
        }
        // What a crash at that point leaves on disk: the manifest, and the artifact only as a .partial.
        #expect(!atCrash.contains { $0.hasSuffix(".tar.gz") }, "\(atCrash)")
        #expect(atCrash.contains { $0.hasSuffix(".tar.gz.manifest.json") }, "\(atCrash)")
        // A failure (not a crash) there cleans up after itself: nothing that looks like a backup is left.
        let after = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(after.isEmpty, "\(after)")

        // The next backup is unaffected and complete.
        let result = try FilesBackup.run(directories: [root], options: BackupOptions(outputDirectory: out))
        #expect(FileManager.default.fileExists(atPath: result.manifestURL.path))
        #expect(Verifier.verify(result.artifact).ok)
    }
}

@Suite("backup files and changing files (issue 17)")
struct FilesBackupChangeTests {
    @Test("a file that keeps changing fails the backup, names the file, and leaves no artifact")
    func changingFileFails() throws {
        let dir = try TempDir("files-changing")
        let root = try sourceFolder(dir)
        let out = try outFolder(dir)
        var error: (any Error)?
        do {
            _ = try FilesBackup.run(directories: [root], options: BackupOptions(outputDirectory: out), allowChanged: false,
                                    afterFirstChunk: { path, attempt in
                                        if path.hasSuffix("log.bin") { truncate(path, off_t(100 + attempt)) }
                                    })
        } catch let e { error = e }
        let message = String(describing: try #require(error))
        #expect(message.contains(root.path + "/log.bin"), "\(message)")
        #expect(message.contains("allow-changed"), "\(message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }

    @Test("with allowChanged the file is recorded as changed in the manifest and the result")
    func allowChangedRecords() throws {
        let dir = try TempDir("files-allow")
        let root = try sourceFolder(dir)
        let out = try outFolder(dir)
        let result = try FilesBackup.run(directories: [root], options: BackupOptions(outputDirectory: out), allowChanged: true,
                                         afterFirstChunk: { path, attempt in
                                             if path.hasSuffix("log.bin") { truncate(path, off_t(100 + attempt)) }
                                         })
        #expect(result.changedFiles == [root.path + "/log.bin"])
        #expect(result.manifest.extra?["changed_files"] == root.path + "/log.bin")
        let reloaded = try Manifest.load(from: result.manifestURL)
        #expect(reloaded.extra?["changed_files"] == root.path + "/log.bin")
        #expect(Verifier.verify(result.artifact, deep: true).ok)
    }

    @Test("a file changed once is read again and the backup succeeds with its new content")
    func changedOnceRetried() throws {
        let dir = try TempDir("files-once")
        let root = try sourceFolder(dir)
        let out = try outFolder(dir)
        let result = try FilesBackup.run(directories: [root], options: BackupOptions(outputDirectory: out), allowChanged: false,
                                         afterFirstChunk: { path, attempt in
                                             if path.hasSuffix("log.bin") && attempt == 1 { truncate(path, 1234) }
                                         })
        #expect(result.changedFiles.isEmpty)
        let target = dir.file("restored")
        _ = try FolderRestore.restore(result.artifact, to: target, force: false)
        #expect(try Data(contentsOf: target.appendingPathComponent("log.bin")) == Data(contentsOf: root.appendingPathComponent("log.bin")))
    }
}

@Suite("Folder restore checks free space first (issue 17)")
struct FolderRestoreSpaceTests {
    @Test("not enough free space: a clear error, and nothing is written")
    func insufficientSpace() throws {
        let dir = try TempDir("files-space")
        let root = try sourceFolder(dir)
        let out = try outFolder(dir)
        let result = try FilesBackup.run(directories: [root], options: BackupOptions(outputDirectory: out))
        let target = dir.file("restored")
        var probed: [String] = []
        var error: (any Error)?
        do {
            _ = try FolderRestore.restore(result.artifact, to: target, force: false, freeSpace: { path in
                probed.append(path)
                return 4096
            })
        } catch let e { error = e }
        let message = String(describing: try #require(error))
        #expect(message.contains("\(result.manifest.uncompressedBytes)"), "\(message)")
        #expect(message.contains("4096"), "\(message)")
        #expect(message.contains("nothing was restored"), "\(message)")
        #expect(!probed.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("log.bin").path))

        // Enough space: the restore goes ahead.
        _ = try FolderRestore.restore(result.artifact, to: target, force: false, freeSpace: { _ in 1 << 40 })
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("log.bin").path))
    }
}
