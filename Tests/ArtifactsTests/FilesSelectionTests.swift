@testable import Artifacts
import Foundation
import Testing
import TestSupport
import VaultopsCore

/// The entry names of a .tar.gz, as GNU tar lists them (folders end in `/`).
private func tarNames(_ archive: URL) throws -> Set<String> {
    let r = try runProcess("tar", ["-tzf", archive.path])
    guard r.status == 0 else { throw TestSupportError("tar -t failed: \(r.stderr)") }
    return Set(r.stdout.split(separator: "\n").map(String.init))
}

/// The entry names GNU tar itself archives for `tar OPTIONS -C parent base`.
private func gnuTarNames(parent: String, base: String, options: [String]) throws -> Set<String> {
    let quoted = options.map { "'\($0)'" }.joined(separator: " ")
    let r = try shell("tar \(quoted) -cf - -C '\(parent)' '\(base)' 2>/dev/null | tar -tf -")
    return Set(r.stdout.split(separator: "\n").map(String.init))
}

private func write(_ text: String, _ url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
}

@Suite("files sources: single files, exclude, one_file_system")
struct FilesSelectionTests {
    @Test("exclude leaves out what GNU tar's --exclude leaves out, and lists it in the manifest")
    func excludeMatchesGNUTar() throws {
        let dir = try TempDir("files-exclude")
        let app = dir.file("app")
        for path in ["app.log", "keep.txt", "sub/x.log", "sub/y.txt", "node_modules/pkg/index.js", "web/node_modules/a.js",
                     "cache/c.bin", "sub/cache/d.bin", "tmp/t", "a/b/tmp/u", "a/b/v.txt"] {
            try write(path, app.appendingPathComponent(path))
        }
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let rules = try ExcludeRules.parse(["*.log", "node_modules/", "/cache", "**/tmp"])
        let result = try FilesBackup.run(directories: [app], options: BackupOptions(outputDirectory: out), exclude: rules)
        // GNU tar: unanchored patterns match any trailing part of the name; `app/cache` anchors at the folder.
        let oracle = try gnuTarNames(parent: dir.path, base: "app",
                                     options: ["--exclude=*.log", "--exclude=node_modules", "--exclude=app/cache", "--exclude=tmp"])
        #expect(oracle.contains("app/sub/cache/") && !oracle.contains("app/cache/"), "\(oracle.sorted())")
        #expect(try tarNames(result.artifact) == oracle)
        let excluded = ["app.log", "a/b/tmp", "cache", "node_modules", "sub/x.log", "tmp", "web/node_modules"]
        #expect(Set(result.excluded) == Set(excluded.map { app.appendingPathComponent($0).path }))
        let extra = try #require(result.manifest.extra)
        #expect(extra["excluded_count"] == "7")
        #expect(Set(extra["excluded"]?.split(separator: "\n").map(String.init) ?? []) == Set(result.excluded))
        #expect(extra["exclude"] == "*.log\nnode_modules/\n/cache\n**/tmp")
        // What is archived still verifies and restores.
        #expect(Verifier.verify(result.artifact, deep: true).ok)
        let target = dir.file("restored")
        _ = try FolderRestore.restore(result.artifact, to: target, force: false)
        #expect(try String(contentsOf: target.appendingPathComponent("a/b/v.txt"), encoding: .utf8) == "a/b/v.txt")
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("sub/x.log").path))
    }

    @Test("the manifest lists at most 1000 excluded paths; the count is complete")
    func excludedListCapped() throws {
        let dir = try TempDir("files-cap")
        let app = dir.file("app")
        try FileManager.default.createDirectory(at: app, withIntermediateDirectories: true)
        for i in 0..<1003 { try Data().write(to: app.appendingPathComponent("f\(i).log")) }
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let result = try FilesBackup.run(directories: [app], options: BackupOptions(outputDirectory: out),
                                         exclude: try ExcludeRules.parse(["*.log"]))
        #expect(result.excluded.count == 1003)
        let listed = result.manifest.extra?["excluded"]?.split(separator: "\n") ?? []
        #expect(listed.count == 1001 && listed.last == "… and 3 more")
        #expect(result.manifest.extra?["excluded_count"] == "1003")
    }

    @Test("'!' re-includes a file an earlier pattern excluded")
    func negation() throws {
        let dir = try TempDir("files-negate")
        let app = dir.file("app")
        for path in ["a.log", "keep.log", "deep/keep.log", "deep/b.log"] { try write(path, app.appendingPathComponent(path)) }
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let result = try FilesBackup.run(directories: [app], options: BackupOptions(outputDirectory: out),
                                         exclude: try ExcludeRules.parse(["*.log", "!keep.log"]))
        #expect(try tarNames(result.artifact) == ["app/", "app/keep.log", "app/deep/", "app/deep/keep.log"])
    }

    @Test("a single file (a .env) is archived beside a folder, verifies and restores with --to")
    func singleFile() throws {
        let dir = try TempDir("files-single")
        let app = dir.file("app")
        try write("server\n", app.appendingPathComponent("server.js"))
        let env = dir.file(".env")
        try write("POSTGRES_PASSWORD=x\n", env)
        chmod(env.path, 0o600)
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let both = try FilesBackup.run(directories: [app, env], options: BackupOptions(outputDirectory: out, name: "both"))
        #expect(try tarNames(both.artifact) == ["app/", "app/server.js", ".env"])
        #expect(Verifier.verify(both.artifact, deep: true).ok)

        let alone = try FilesBackup.run(directories: [env], options: BackupOptions(outputDirectory: out, name: "env"))
        #expect(try tarNames(alone.artifact) == [".env"])
        #expect(alone.manifest.originalPath == nil, "restore of a single file needs --to: it has no folder to strip")
        #expect(Verifier.verify(alone.artifact, deep: true).ok)
        let target = dir.file("restored")
        _ = try FolderRestore.restore(alone.artifact, to: target, force: false)
        #expect(try String(contentsOf: target.appendingPathComponent(".env"), encoding: .utf8) == "POSTGRES_PASSWORD=x\n")
        #expect((try FileManager.default.attributesOfItem(atPath: target.appendingPathComponent(".env").path)[.posixPermissions] as? Int) == 0o600)
        // A missing path names itself.
        let error = #expect(throws: ArtifactError.self) {
            try FilesBackup.run(directories: [dir.file("nope.env")], options: BackupOptions(outputDirectory: out))
        }
        #expect("\(error!)".contains("nope.env") && "\(error!)".contains("no such file or folder"), "\(error!)")
    }

    @Test("one_file_system stores mount points empty, as GNU tar --one-file-system does, and records them")
    func oneFileSystem() throws {
        // /dev holds other file systems (/dev/pts, /dev/shm) on every Linux host and container.
        var devStat = stat(), ptsStat = stat(), shmStat = stat()
        try #require(stat("/dev", &devStat) == 0 && stat("/dev/pts", &ptsStat) == 0 && stat("/dev/shm", &shmStat) == 0)
        let mounts = [("/dev/pts", ptsStat.st_dev), ("/dev/shm", shmStat.st_dev)].filter { $0.1 != devStat.st_dev }.map(\.0)
        try #require(!mounts.isEmpty, "no file system mounted below /dev here")
        let dir = try TempDir("files-xdev")
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let result = try FilesBackup.run(directories: [URL(fileURLWithPath: "/dev")], options: BackupOptions(outputDirectory: out),
                                         oneFileSystem: true)
        let ours = try tarNames(result.artifact)
        let oracle = try gnuTarNames(parent: "/", base: "dev", options: ["--one-file-system"])
        // Devices are not archived by vaultops (GNU tar stores them); the folders must agree.
        #expect(ours.filter { $0.hasSuffix("/") } == oracle.filter { $0.hasSuffix("/") })
        for mount in mounts {
            let name = String(mount.dropFirst()) + "/"
            #expect(ours.contains(name), "the mount point itself is stored: \(name)")
            #expect(!ours.contains { $0.hasPrefix(name) && $0 != name }, "nothing below \(name)")
            #expect(result.skippedMountPoints.contains(mount))
        }
        let recorded = result.manifest.extra?["mount_points_skipped"]?.split(separator: "\n").map(String.init) ?? []
        #expect(Set(recorded) == Set(result.skippedMountPoints))
        #expect(result.manifest.extra?["one_file_system"] == "true")
    }
}
