import Foundation
import Testing
import TestSupport

/// A folder with the awkward cases: long and Unicode names, spaces, an empty file, a symlink, an empty dir.
func makeUploadsFolder(in dir: TempDir) throws -> URL {
    let root = dir.file("work-order-uploads")
    let deep = root.appendingPathComponent("2025/01/" + String(repeating: "长名", count: 40))
    try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: root.appendingPathComponent("empty dir"), withIntermediateDirectories: true)
    try Data("Pump P-101 seal replaced.\n".utf8).write(to: root.appendingPathComponent("2025/01/WO 1001.txt"))
    try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: deep.appendingPathComponent("scan.bin"))
    try Data().write(to: root.appendingPathComponent("empty.txt"))
    try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("latest.txt").path,
                                               withDestinationPath: "2025/01/WO 1001.txt")
    return root
}

@Suite("backup files, verify, restore (CLI)")
struct FilesBackupCommandTests {
    @Test("GNU tar and Python's tarfile read our archive; contents, links and modes survive")
    func archiveInteroperates() throws {
        let dir = try TempDir("files-cli")
        let root = try makeUploadsFolder(in: dir)
        chmod(root.appendingPathComponent("2025/01/WO 1001.txt").path, 0o640)
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let r = try vaultops(["backup", "files", root.path, "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let artifact = out.appendingPathComponent("work-order-uploads_\(todayStamp()).tar.gz")
        #expect(try runProcess("gzip", ["-t", artifact.path]).status == 0)

        let listing = try runProcess("tar", ["-tzf", artifact.path])
        #expect(listing.status == 0, "\(listing.stderr)")
        let gnuNames = Set(listing.stdout.split(separator: "\n").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "/")) })
        let py = try runProcess("python3", ["-c", """
            import sys, tarfile
            with tarfile.open(sys.argv[1], 'r:gz') as t:
                for m in t.getmembers():
                    print(m.name.rstrip('/'))
            """, artifact.path])
        #expect(py.status == 0, "\(py.stderr)")
        let pyNames = Set(py.stdout.split(separator: "\n").map(String.init))
        #expect(gnuNames == pyNames)
        #expect(gnuNames.contains("work-order-uploads/latest.txt"))
        #expect(gnuNames.contains("work-order-uploads/empty dir"))

        let extracted = dir.file("extracted")
        try FileManager.default.createDirectory(at: extracted, withIntermediateDirectories: true)
        #expect(try runProcess("tar", ["-xzf", artifact.path, "-C", extracted.path]).status == 0)
        let diff = try runProcess("diff", ["-r", "--no-dereference", root.path, extracted.appendingPathComponent("work-order-uploads").path])
        #expect(diff.status == 0, "\(diff.stdout)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: extracted.appendingPathComponent("work-order-uploads/latest.txt").path) == "2025/01/WO 1001.txt")
        #expect(try mode(of: extracted.appendingPathComponent("work-order-uploads/2025/01/WO 1001.txt")) == 0o640)

        #expect(try vaultops(["verify", "--deep", artifact.path]).status == 0)
    }

    @Test("restore into a new folder recreates the tree; existing files need --force")
    func restoreFolder() throws {
        let dir = try TempDir("files-restore")
        let root = try makeUploadsFolder(in: dir)
        #expect(try vaultops(["backup", "files", root.path, "--out", dir.path]).status == 0)
        let artifact = dir.file("work-order-uploads_\(todayStamp()).tar.gz")

        let target = dir.file("restored")
        let r = try vaultops(["restore", artifact.path, "--to", target.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try runProcess("diff", ["-r", "--no-dereference", root.path, target.path]).status == 0)

        try Data("changed\n".utf8).write(to: target.appendingPathComponent("empty.txt"))
        let refused = try vaultops(["restore", artifact.path, "--to", target.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--force"))
        #expect(try String(contentsOf: target.appendingPathComponent("empty.txt"), encoding: .utf8) == "changed\n")
        let forced = try vaultops(["restore", artifact.path, "--to", target.path, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Data(contentsOf: target.appendingPathComponent("empty.txt")).isEmpty)
    }

    @Test("a tar with ../x or an absolute path is refused and nothing is written", arguments: ["../escape.txt", "/tmp/vaultops-abs-escape.txt", "ok/../../escape.txt"])
    func traversalRefused(entry: String) throws {
        let dir = try TempDir("files-traversal")
        let evil = dir.file("evil_20250101.tar.gz")
        let make = try runProcess("python3", ["-c", """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], 'w:gz') as t:
                for name, data in (('good.txt', b'fine'), (sys.argv[2], b'owned')):
                    info = tarfile.TarInfo(name); info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
            """, evil.path, entry])
        #expect(make.status == 0, "\(make.stderr)")
        let target = dir.file("target")
        let r = try vaultops(["restore", evil.path, "--to", target.path])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(entry))
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("good.txt").path))
        #expect(!FileManager.default.fileExists(atPath: dir.file("escape.txt").path))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/vaultops-abs-escape.txt"))
    }

    @Test("a symlink escaping the target is refused")
    func escapingLinkRefused() throws {
        let dir = try TempDir("files-link")
        let evil = dir.file("evil_20250101.tar.gz")
        let make = try runProcess("python3", ["-c", """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], 'w:gz') as t:
                link = tarfile.TarInfo('etc'); link.type = tarfile.SYMTYPE; link.linkname = '../../../../etc'
                t.addfile(link)
                data = b'x'
                info = tarfile.TarInfo('etc/vaultops-owned'); info.size = 1
                t.addfile(info, io.BytesIO(data))
            """, evil.path])
        #expect(make.status == 0, "\(make.stderr)")
        let target = dir.file("target")
        let r = try vaultops(["restore", evil.path, "--to", target.path])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/etc/vaultops-owned"))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: target.appendingPathComponent("etc").path)) == nil)
    }
}
