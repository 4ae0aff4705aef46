import Foundation
import Testing
import TestSupport

/// Writes a `.tar.gz` with Python's tarfile; `members` are (name, "file"|"symlink"|"dir", link target, data).
func pythonTarGz(_ path: URL, _ members: [(String, String, String, String)]) throws {
    let spec = members.map { "\($0.0)\t\($0.1)\t\($0.2)\t\($0.3)" }.joined(separator: "\n")
    let r = try runProcess("python3", ["-c", """
        import io, sys, tarfile
        with tarfile.open(sys.argv[1], 'w:gz') as t:
            for line in sys.stdin.read().split('\\n'):
                name, kind, link, data = line.split('\\t')
                info = tarfile.TarInfo(name)
                if kind == 'symlink':
                    info.type = tarfile.SYMTYPE; info.linkname = link; t.addfile(info)
                elif kind == 'dir':
                    info.type = tarfile.DIRTYPE; info.mode = 0o755; t.addfile(info)
                else:
                    info.size = len(data.encode()); info.mode = 0o644; t.addfile(info, io.BytesIO(data.encode()))
        """, path.path], stdin: Data(spec.utf8))
    guard r.status == 0 else { throw TestSupportError("python3 tarfile failed: \(r.stderr)") }
}

@Suite("Folder archives: links, interrupted restores, special files (issue 17)")
struct FolderSafetyTests {
    @Test("links pointing outside the folder are backed up, pass verify --deep and restore as links, each named")
    func outsideLinksRestoreAsLinks() throws {
        let dir = try TempDir("files-outlinks")
        let root = dir.file("app")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("shared"), withIntermediateDirectories: true)
        try Data("data\n".utf8).write(to: root.appendingPathComponent("shared/a.txt"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("current").path,
                                                   withDestinationPath: "/srv/app/releases/v1")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("shared/up").path,
                                                   withDestinationPath: "../../x")
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let b = try vaultops(["backup", "files", root.path, "--out", out.path])
        #expect(b.status == 0, "\(b.stderr)")
        let artifact = out.appendingPathComponent("app_\(todayStamp()).tar.gz")
        let v = try vaultops(["verify", "--deep", artifact.path])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")

        let target = dir.file("restored")
        let r = try vaultops(["restore", artifact.path, "--to", target.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target.appendingPathComponent("current").path) == "/srv/app/releases/v1")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target.appendingPathComponent("shared/up").path) == "../../x")
        #expect(r.stdout.contains("current -> /srv/app/releases/v1"), "\(r.stdout)")
        #expect(r.stdout.contains("shared/up -> ../../x"), "\(r.stdout)")
        // GNU tar restores the same tree.
        let gnu = dir.file("gnu")
        try FileManager.default.createDirectory(at: gnu, withIntermediateDirectories: true)
        #expect(try runProcess("tar", ["-xzf", artifact.path, "-C", gnu.path, "--strip-components=1"]).status == 0)
        #expect(try runProcess("diff", ["-r", "--no-dereference", gnu.path, target.path]).status == 0)
    }

    @Test("an entry written through a link is refused by verify --deep and restore alike, and nothing is written")
    func writeThroughLinkRefusedByBoth() throws {
        let dir = try TempDir("files-through")
        let outside = dir.file("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let evil = dir.file("evil_20250101.tar.gz")
        try pythonTarGz(evil, [("ok.txt", "file", "", "fine"), ("current", "symlink", outside.path, ""),
                               ("current/evil", "file", "", "owned")])
        let v = try vaultops(["verify", "--deep", evil.path])
        #expect(v.status == 3, "\(v.stdout)\(v.stderr)")
        #expect(v.stdout.contains("current/evil"), "\(v.stdout)")
        let target = dir.file("target")
        let r = try vaultops(["restore", evil.path, "--to", target.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("current/evil"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent("evil").path))
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("ok.txt").path))
    }

    /// A folder with small files around one big one, archived; returns the artifact.
    func bigFileArchive(_ dir: TempDir) throws -> URL {
        let root = dir.file("data")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("first\n".utf8).write(to: root.appendingPathComponent("a.txt"))
        #expect(try shell("head -c 8000000 /dev/urandom > '\(root.path)/m-big.bin'").status == 0)
        try Data("last\n".utf8).write(to: root.appendingPathComponent("z.txt"))
        #expect(try vaultops(["backup", "files", root.path, "--out", dir.path]).status == 0)
        return dir.file("data_\(todayStamp()).tar.gz")
    }

    @Test("a restore stopped by a write error leaves no truncated file under its final name and says what was restored")
    func writeErrorMidRestore() throws {
        let dir = try TempDir("files-efbig")
        let artifact = try bigFileArchive(dir)
        let target = dir.file("target")
        // File size limit of 4 MB with SIGXFSZ ignored: writing the big file fails with EFBIG.
        let r = try shell("trap '' XFSZ; ulimit -f 4000; exec '\(vaultopsExecutable)' restore '\(artifact.path)' --to '\(target.path)'")
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("m-big.bin").path))
        #expect(try String(contentsOf: target.appendingPathComponent("a.txt"), encoding: .utf8) == "first\n")
        #expect(r.stderr.contains("restored: a.txt"), "\(r.stderr)")
        #expect(r.stderr.contains("not restored: m-big.bin, z.txt"), "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: target.path)
        #expect(!names.contains { $0.contains("partial") }, "\(names)")
    }

    @Test("a restore killed mid-file leaves no truncated file under its final name")
    func killedMidRestore() throws {
        let dir = try TempDir("files-kill")
        let artifact = try bigFileArchive(dir)
        let target = dir.file("target")
        // SIGXFSZ's default action kills the process in the middle of the big file, like kill -9 would.
        let r = try shell("ulimit -f 4000; exec '\(vaultopsExecutable)' restore '\(artifact.path)' --to '\(target.path)'")
        #expect(r.status != 0)
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("m-big.bin").path))
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("z.txt").path))
    }

    @Test("verify checks the content's format even without a manifest", arguments: ["db", "tar"])
    func wrongFormatFails(kind: String) throws {
        let dir = try TempDir("files-format")
        let name = kind == "db" ? "mms_20250101.db.gz" : "uploads_20250101.tar.gz"
        let file = dir.file(name)
        #expect(try shell("seq 1 20000 | gzip -c > '\(file.path)'").status == 0)
        let plain = try vaultops(["verify", file.path])
        #expect(plain.status == 3, "\(plain.stdout)")
        #expect(plain.stdout.contains(kind == "db" ? "not a SQLite database" : "not a tar archive"), "\(plain.stdout)")
        #expect(try vaultops(["verify", "--deep", file.path]).status == 3)
        let r = try vaultops(["restore", file.path, "--to", dir.file("target").path])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("target").path))
    }

    @Test("verify --deep of a dump with no server is a usage error")
    func deepDumpWithoutServer() throws {
        let dir = try TempDir("verify-noserver")
        let dump = dir.file("db_20250101.sql.gz")
        #expect(try shell("echo 'SELECT 1;' | gzip -c > '\(dump.path)'").status == 0)
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = nil
        let r = try runProcess(vaultopsExecutable, ["verify", "--deep", dump.path], environment: env)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("--server"), "\(r.stderr)")
    }

    @Test("verify DIR/* skips the manifests, saying so once")
    func manifestsSkipped() throws {
        let dir = try TempDir("verify-glob")
        let root = dir.file("up")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: root.appendingPathComponent("f"))
        #expect(try vaultops(["backup", "files", root.path, "--out", dir.path]).status == 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("up_") }.sorted()
        #expect(names.count == 2)
        let r = try vaultops(["verify"] + names.map { dir.file($0).path })
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("ok "))
        #expect(r.stderr.split(separator: "\n").filter { $0.contains("skipped") }.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("skipped 1"), "\(r.stderr)")
        #expect(!r.stdout.contains("FAILED"), "\(r.stdout)")
    }

    @Test("fifos are stored as tar stores them, sockets are reported in the output and the manifest")
    func specialFiles() throws {
        let dir = try TempDir("files-special")
        let root = dir.file("spool")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: root.appendingPathComponent("f.txt"))
        #expect(mkfifo(root.appendingPathComponent("pipe").path, 0o640) == 0)
        let sock = try runProcess("python3", ["-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])",
                                              root.appendingPathComponent("app.sock").path])
        #expect(sock.status == 0, "\(sock.stderr)")
        let b = try vaultops(["backup", "files", root.path, "--out", dir.path])
        #expect(b.status == 0, "\(b.stderr)")
        #expect((b.stdout + b.stderr).contains("app.sock"), "\(b.stdout)\(b.stderr)")
        let artifact = dir.file("spool_\(todayStamp()).tar.gz")
        let listing = try runProcess("tar", ["-tvzf", artifact.path])
        #expect(listing.stdout.split(separator: "\n").contains { $0.hasPrefix("p") && $0.hasSuffix("spool/pipe") }, "\(listing.stdout)")
        let manifest = try String(contentsOf: URL(fileURLWithPath: artifact.path + ".manifest.json"), encoding: .utf8)
        #expect(manifest.contains("app.sock"), "\(manifest)")

        let target = dir.file("restored")
        let r = try vaultops(["restore", artifact.path, "--to", target.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect((try lstatMode(target.appendingPathComponent("pipe").path)) & S_IFMT == S_IFIFO)
    }

    // A log that is written all the time changes during every read: the CLI's exit codes, end to end.
    @Test("backup files of a file written all the time: exit 1 naming it; with --allow-changed exit 5 and changed_files")
    func changingFileExitCodes() throws {
        let dir = try TempDir("files-changing")
        let root = dir.file("logs")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let log = root.appendingPathComponent("app.log")
        try Data(repeating: 0x61, count: 32 << 20).write(to: log)
        let writer = try FileHandle(forWritingTo: log)
        let stop = StopFlag()
        let thread = Thread {
            let line = Data(repeating: 0x62, count: 4096)
            while !stop.isSet { _ = try? writer.seekToEnd(); try? writer.write(contentsOf: line); usleep(200) }
        }
        thread.start()
        defer { stop.set(); Thread.sleep(forTimeInterval: 0.05); try? writer.close() }
        for out in ["strict", "kept"] { try FileManager.default.createDirectory(at: dir.file(out), withIntermediateDirectories: true) }

        let failed = try vaultops(["backup", "files", root.path, "--out", dir.file("strict").path])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stderr.contains("app.log"), "\(failed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("strict").path).allSatisfy { !$0.hasSuffix(".gz") })

        let kept = try vaultops(["backup", "files", root.path, "--allow-changed", "--out", dir.file("kept").path])
        #expect(kept.status == 5, "\(kept.stdout)\(kept.stderr)")
        let manifest = try String(contentsOf: dir.file("kept/logs_\(todayStamp()).tar.gz.manifest.json"), encoding: .utf8)
        #expect(manifest.contains("changed_files") && manifest.contains("app.log"), "\(manifest)")
    }

    @Test("a device node (as in a container's /dev copied into a volume) is named in the output and the manifest, not stored")
    func deviceListed() throws {
        try #require(geteuid() == 0, "making a device node needs root (CI runs as root)")
        let dir = try TempDir("files-device")
        let root = dir.file("vol")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: root.appendingPathComponent("f.txt"))
        // 1,3 is /dev/null (glibc encodes small numbers as major << 8 | minor): harmless if anything opened it.
        #expect(mknod(root.appendingPathComponent("null").path, S_IFCHR | 0o600, dev_t((1 << 8) | 3)) == 0)
        let b = try vaultops(["backup", "files", root.path, "--out", dir.path])
        #expect(b.status == 0, "\(b.stderr)")
        #expect((b.stdout + b.stderr).contains("null"), "\(b.stdout)\(b.stderr)")
        let artifact = dir.file("vol_\(todayStamp()).tar.gz")
        let listing = try runProcess("tar", ["-tvzf", artifact.path])
        #expect(!listing.stdout.contains("vol/null"), "\(listing.stdout)")
        #expect(listing.stdout.contains("vol/f.txt"), "\(listing.stdout)")
        let manifest = try String(contentsOf: URL(fileURLWithPath: artifact.path + ".manifest.json"), encoding: .utf8)
        #expect(manifest.contains("not_archived") && manifest.contains("null"), "\(manifest)")
    }

    @Test("restoring as root drops setuid/setgid bits unless --same-permissions")
    func setuidDropped() throws {
        try #require(geteuid() == 0, "this test checks what a restore as root does")
        let dir = try TempDir("files-setuid")
        let root = dir.file("bin")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("#!/bin/sh\n".utf8).write(to: root.appendingPathComponent("tool"))
        #expect(chmod(root.appendingPathComponent("tool").path, 0o6755) == 0)
        #expect(try vaultops(["backup", "files", root.path, "--out", dir.path]).status == 0)
        let artifact = dir.file("bin_\(todayStamp()).tar.gz")
        let plain = dir.file("plain")
        #expect(try vaultops(["restore", artifact.path, "--to", plain.path]).status == 0)
        #expect(try mode(of: plain.appendingPathComponent("tool")) == 0o755)
        let same = dir.file("same")
        let r = try vaultops(["restore", artifact.path, "--to", same.path, "--same-permissions"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try mode(of: same.appendingPathComponent("tool")) == 0o6755)
    }
}

/// The `st_mode` of a path, without following a final symlink.
func lstatMode(_ path: String) throws -> mode_t {
    var st = stat()
    guard lstat(path, &st) == 0 else { throw TestSupportError("lstat \(path) failed") }
    return st.st_mode
}

/// A flag one thread sets and another polls.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
