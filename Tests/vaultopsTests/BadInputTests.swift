import Foundation
import Testing
import TestSupport

@Suite("bad input: clear messages, SPEC exit codes, nothing written")
struct BadInputTests {
    @Test("a missing SQLite path")
    func missingPath() throws {
        let dir = try TempDir("bad-missing")
        let r = try vaultops(["backup", "sqlite", dir.file("nope.db").path, "--out", dir.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("nope.db"))
        #expect(r.stderr.contains("no such file"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("a file that is not a SQLite database")
    func notADatabase() throws {
        let dir = try TempDir("bad-notdb")
        let fake = dir.file("notes.db")
        try Data("just some text, not a database\n".utf8).write(to: fake)
        let out = dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let r = try vaultops(["backup", "sqlite", fake.path, "--out", out.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("notes.db"))
        #expect(r.stderr.lowercased().contains("not a sqlite database"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }

    @Test("an --out folder that does not exist is created (0700) when its parent exists; a missing parent, or a file, is an error")
    func missingOut() throws {
        let dir = try TempDir("bad-out")
        let db = dir.file("mms.db")
        try makeSQLiteDatabase(at: db)
        let created = try vaultops(["backup", "sqlite", db.path, "--out", dir.file("missing").path])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try artifacts(in: dir.file("missing")) == ["mms_\(todayStamp()).db.gz"])
        #expect(try mode(of: dir.file("missing")) & 0o777 == 0o700)
        let r = try vaultops(["backup", "sqlite", db.path, "--out", dir.file("unmounted/backups").path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("does not exist, and neither does its parent \(dir.file("unmounted").path)"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("unmounted").path))
        let f = try vaultops(["backup", "sqlite", db.path, "--out", db.path])
        #expect(f.status == 1)
        #expect(f.stderr.contains("is not a folder"))
    }

    @Test("an unwritable --out (checked as an unprivileged user: root may write anywhere)")
    func unwritableOut() throws {
        let dir = try TempDir("bad-unwritable")
        chmod(dir.path, 0o755)
        let db = dir.file("mms.db")
        try makeSQLiteDatabase(at: db)
        chmod(db.path, 0o644)
        let out = dir.file("readonly")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        chmod(out.path, 0o555)
        var command = [vaultopsExecutable, "backup", "sqlite", db.path, "--out", out.path]
        if getuid() == 0 {
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        }
        let r = try runProcess(command[0], Array(command.dropFirst()))
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("readonly"))
        #expect(r.stderr.contains("not writable"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }

    @Test("--help of every command prints its help and exits 0", arguments: [
        ["--help"], ["run", "--help"], ["restore", "--help"], ["backup", "postgres", "--help"], ["help", "deploy"],
        ["upload", "--help"], ["rollback", "-h"],
    ])
    func help(args: [String]) throws {
        let r = try vaultops(args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("USAGE:"), "\(r.stdout)")
        #expect(!r.stderr.contains("error"), "\(r.stderr)")
    }

    @Test("usage errors exit 2", arguments: [
        ["backup", "sqlite"],
        ["backup", "sqlite", "x.db", "--level", "12"],
        ["restore"],
        ["frobnicate"],
    ])
    func usage(arguments: [String]) throws {
        let r = try vaultops(arguments)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(!r.stderr.isEmpty)
    }

    @Test("verify refuses a file that is not an artifact, and a .partial leftover")
    func verifyRefusesNonArtifacts() throws {
        let dir = try TempDir("bad-verify")
        let other = dir.file("notes.txt")
        try Data("x".utf8).write(to: other)
        let partial = dir.file("mms_20250101.db.gz.partial")
        try Data("x".utf8).write(to: partial)
        let r = try vaultops(["verify", other.path, partial.path])
        #expect(r.status == 3)
        #expect(r.stdout.contains("not a vaultops artifact"))
        #expect(r.stdout.contains("unfinished"))
    }
}
