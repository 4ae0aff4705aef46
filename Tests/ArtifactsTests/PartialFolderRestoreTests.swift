import Foundation
import Testing
import TestSupport
import Archive
import VaultopsCore
@testable import Artifacts

/// `restore ARCHIVE.tar.gz --path`: one file or folder back from a folder archive, and `--list`.
@Suite("Restoring part of a folder archive")
struct PartialFolderRestoreTests {
    /// A folder `uploads` with files in nested folders, archived by a files backup.
    static func archive(in dir: TempDir) throws -> URL {
        let root = dir.url.appendingPathComponent("uploads")
        let files = ["2025/01/a.jpg": "jpeg a", "2025/01/b.jpg": "jpeg b", "2025/02/c.txt": "text c",
                     "readme.txt": "read me", "odd name\\with\ttab.txt": "odd"]
        for (path, content) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("2025/latest").path, withDestinationPath: "02")
        let out = dir.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        return try FilesBackup.run(directories: [root], options: BackupOptions(outputDirectory: out, name: "uploads")).artifact
    }

    /// Every path under `folder`, relative, folders with a trailing slash.
    static func tree(_ folder: URL) throws -> [String] {
        let items = try FileManager.default.subpathsOfDirectory(atPath: folder.path)
        return items.map { item in
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: folder.appendingPathComponent(item).path, isDirectory: &isDir)
            let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent(item).path)) != nil
            return item + (isDir.boolValue && !link ? "/" : "")
        }.sorted()
    }

    @Test("--list prints what GNU tar tzf prints, from the library and the command")
    func listMatchesTar() throws {
        let dir = try TempDir("partial-folder")
        let artifact = try Self.archive(in: dir)
        let tar = try runProcess("tar", ["tzf", artifact.path])
        #expect(tar.status == 0)
        let expected = tar.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        #expect(expected.contains("uploads/odd name\\\\with\\ttab.txt"))
        #expect(try ArtifactContents.list(artifact) { _ in } == expected)
        let cli = try vaultops(["restore", artifact.path, "--list"])
        #expect(cli.status == 0)
        #expect(cli.stdout == tar.stdout)
    }

    @Test("--path restores one file, and nothing else", arguments: ["uploads/2025/01/a.jpg", "./uploads/2025/01/a.jpg"])
    func oneFile(path: String) throws {
        let dir = try TempDir("partial-folder")
        let artifact = try Self.archive(in: dir)
        let target = dir.url.appendingPathComponent("restored")
        var request = RestoreRequest(target: target.path)
        request.paths = [path]
        _ = try ArtifactKind.files.handler.restore(artifact, named: artifact.path, request: request)
        #expect(try Self.tree(target) == ["2025/", "2025/01/", "2025/01/a.jpg"])
        #expect(try String(contentsOf: target.appendingPathComponent("2025/01/a.jpg"), encoding: .utf8) == "jpeg a")
    }

    @Test("--path restores a folder with everything below it, or what a glob matches", arguments: [
        (["uploads/2025/02"], ["2025/", "2025/02/", "2025/02/c.txt"]),
        (["uploads/2025/02/"], ["2025/", "2025/02/", "2025/02/c.txt"]),
        (["uploads/2025/*/b.jpg", "uploads/readme.txt"], ["2025/", "2025/01/", "2025/01/b.jpg", "readme.txt"]),
        (["uploads/2025/latest"], ["2025/", "2025/latest"]),
    ])
    func folderAndGlobs(paths: [String], expected: [String]) throws {
        let dir = try TempDir("partial-folder")
        let artifact = try Self.archive(in: dir)
        let target = dir.url.appendingPathComponent("restored")
        let summary = try FolderRestore.restore(artifact, to: target, force: false, paths: paths)
        #expect(try Self.tree(target) == expected)
        #expect(summary.target.path == target.path)
    }

    @Test("A hard link chosen by --path (in a GNU tar archive) brings the file it links to")
    func hardLinks() throws {
        let dir = try TempDir("partial-folder")
        let root = dir.url.appendingPathComponent("uploads")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("b"), withIntermediateDirectories: true)
        try Data("shared".utf8).write(to: root.appendingPathComponent("a/one.txt"))
        try FileManager.default.linkItem(at: root.appendingPathComponent("a/one.txt"), to: root.appendingPathComponent("b/two.txt"))
        let artifact = dir.file("gnu.tar.gz")
        let tar = try runProcess("tar", ["czf", artifact.path, "-C", dir.url.path, "uploads"])
        #expect(tar.status == 0)
        // tar stores whichever it meets first as the file and the other as a link to it.
        let link = try #require(try TarReader(path: artifact.path).readEntries().first { $0.kind == .hardlink })
        let target = dir.url.appendingPathComponent("restored")
        _ = try FolderRestore.restore(artifact, to: target, force: false, paths: [link.name])
        let folders = Set([link.name, link.linkName].map { ($0 as NSString).deletingLastPathComponent + "/" })
        #expect(try Self.tree(target) == (["uploads/", link.name, link.linkName] + folders).sorted())
        #expect(try String(contentsOf: target.appendingPathComponent(link.name), encoding: .utf8) == "shared")
    }

    @Test("The safety rules of a whole restore hold: existing files need --force, nothing matching is refused")
    func safety() throws {
        let dir = try TempDir("partial-folder")
        let artifact = try Self.archive(in: dir)
        let target = dir.url.appendingPathComponent("restored")
        try FileManager.default.createDirectory(at: target.appendingPathComponent("2025/01"), withIntermediateDirectories: true)
        try Data("newer".utf8).write(to: target.appendingPathComponent("2025/01/a.jpg"))
        #expect(throws: ArtifactError.self) { try FolderRestore.restore(artifact, to: target, force: false, paths: ["uploads/2025/01/a.jpg"]) }
        #expect(try String(contentsOf: target.appendingPathComponent("2025/01/a.jpg"), encoding: .utf8) == "newer")
        _ = try FolderRestore.restore(artifact, to: target, force: true, paths: ["uploads/2025/01/a.jpg"])
        #expect(try String(contentsOf: target.appendingPathComponent("2025/01/a.jpg"), encoding: .utf8) == "jpeg a")
        #expect(throws: ArtifactError.self) { try FolderRestore.restore(artifact, to: target, force: true, paths: ["uploads/nope"]) }
    }

    @Test("--table asked of a folder archive, or --path of a dump, is refused before anything is read")
    func wrongKind() throws {
        let dir = try TempDir("partial-folder")
        let artifact = try Self.archive(in: dir)
        var request = RestoreRequest(target: dir.url.appendingPathComponent("restored").path)
        try request.restrict(tables: ["public.t"], schemas: [], renameTo: nil, intoSchema: nil)
        #expect(throws: RestoreRequestError.self) { try ArtifactKind.files.handler.restore(artifact, named: "a", request: request) }
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("restored").path))
        var paths = RestoreRequest(target: "postgresql://nowhere/db")
        paths.paths = ["x"]
        #expect(throws: RestoreRequestError.self) { try ArtifactKind.postgres.handler.restore(dir.file("x.sql.gz"), named: "x", request: paths) }
        let cli = try vaultops(["restore", dir.file("x.db.gz").path, "--table", "a.b"])
        #expect(cli.status != 0 && cli.stderr.contains("do not apply to SQLite snapshots"))
    }

    @Test("Which stored names a --path chooses", arguments: [
        ("uploads/2025/01/a.jpg", ["uploads/2025/01/a.jpg"], true),
        ("uploads/2025/01/", ["uploads/2025"], true),
        ("uploads/2025/01/a.jpg", ["uploads/2025"], true),
        ("uploads/2025", ["uploads/2025/01"], false),
        ("uploads/2025/01/a.jpg", ["uploads/2025/0"], false),
        ("uploads/2025/01/a.jpg", ["*.jpg"], true),
        ("uploads/2025/01/a.jpg", ["uploads/*/01"], true),
        ("./uploads/x", ["uploads/x"], true),
    ])
    func matching(name: String, patterns: [String], expected: Bool) {
        #expect(ArchivePaths.matches(name, any: patterns) == expected)
    }
}

extension TarReader {
    /// Every entry, in order.
    func readEntries() throws -> [TarEntry] {
        var entries: [TarEntry] = []
        while let entry = try next() { entries.append(entry) }
        return entries
    }
}
