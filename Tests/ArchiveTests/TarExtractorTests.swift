import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("Safe extraction")
struct TarExtractorTests {
    /// A destination folder that already holds one file, to prove a refused archive changes nothing.
    func destination(_ dir: TempDir) throws -> String {
        let dest = dir.file("dest").path
        try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: true)
        try writeFile(dest + "/keep.txt", Array("keep".utf8))
        return dest
    }

    @Test("our extractor restores contents, modes, mtimes (ns) and symlinks of our archive")
    func roundTrip() throws {
        let dir = try TempDir("x-rt")
        let source = try Fixture.make(in: dir.path)
        let archive = dir.file("a.tar.gz").path
        try writeTarGz(of: source, as: "uploads", to: archive)
        let out = dir.file("out")
        let report = try TarExtractor.extract(archive: archive, into: out, force: false)
        expectSameTree(try snapshot(out.path + "/uploads", as: "uploads"), try snapshot(source, as: "uploads"), "extract")
        #expect(report.files == 8)
        #expect(report.symlinks == 4)
        #expect(report.replaced.isEmpty)
        #expect(report.bytes == 500_001 + 15 + 18 + 64 + 1000 + 5 + UInt64("ünïcödé\n".utf8.count))
    }

    @Test("our extractor reads GNU tar archives with hard links")
    func gnuHardLinks() throws {
        let dir = try TempDir("x-hard")
        let source = dir.file("src").path
        try FileManager.default.createDirectory(atPath: source + "/d", withIntermediateDirectories: true)
        try writeFile(source + "/d/f", Array("content\n".utf8))
        #expect(link(source + "/d/f", source + "/d/g") == 0)
        let archive = dir.file("h.tar.gz").path
        try sh("tar --sort=name -czf \(q(archive)) -C \(q(source)) .")
        let out = dir.file("out")
        let report = try TarExtractor.extract(archive: archive, into: out, force: false)
        #expect(report.hardlinks == 1)
        let f = try lstatOf(out.path + "/d/f")
        let g = try lstatOf(out.path + "/d/g")
        #expect(f.st_ino == g.st_ino)
        #expect(try readFile(out.path + "/d/g") == Array("content\n".utf8))
    }

    typealias Member = (String, String, String, String)

    static let refused: [(String, [Member])] = [
        ("parent dir", [("ok.txt", "file", "", "fine"), ("../x", "file", "", "evil")]),
        ("nested parent", [("ok.txt", "file", "", "fine"), ("a/../../x", "file", "", "evil")]),
        ("absolute", [("ok.txt", "file", "", "fine"), ("/tmp/vaultops-evil-abs", "file", "", "evil")]),
        ("write through archive symlink", [("d", "dir", "", ""), ("l", "symlink", "d", ""), ("l/x", "file", "", "evil")]),
        ("write through outside symlink", [("cur", "symlink", "/tmp", ""), ("cur/vaultops-evil-abs", "file", "", "evil")]),
        ("dir through outside symlink", [("cur", "symlink", "../..", ""), ("cur/x/", "dir", "", "")]),
        ("hardlink outside", [("ok.txt", "file", "", "fine"), ("h", "hardlink", "../../etc/passwd", "")]),
        ("hardlink absolute", [("h", "hardlink", "/etc/passwd", "")]),
        ("hardlink to symlink", [("s", "symlink", "../x", ""), ("h", "hardlink", "s", "")]),
        ("hardlink to missing", [("h", "hardlink", "nothing", "")]),
        ("file over archive dir", [("a/", "dir", "", ""), ("a", "file", "", "x")]),
        ("dir over archive symlink", [("a", "symlink", "b", ""), ("a/", "dir", "", "")]),
    ]

    @Test("unsafe archives are refused and nothing is written", arguments: refused)
    func refusesUnsafe(label: String, members: [Member]) throws {
        let dir = try TempDir("x-unsafe")
        let archive = dir.file("evil.tar").path
        try craftTar(archive, members)
        let dest = try destination(dir)
        let error = archiveError { try TarExtractor.extract(archive: archive, into: URL(fileURLWithPath: dest), force: true) }
        guard case .unsafeEntry(let name, let reason)? = error else {
            Issue.record("\(label): expected .unsafeEntry, got \(String(describing: error))"); return
        }
        #expect(!name.isEmpty)
        #expect(!reason.isEmpty)
        #expect(try tree(dest) == ["keep.txt"], "\(label): the destination changed")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/vaultops-evil-abs"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/x"))
    }

    @Test("an existing symlink on disk is never written through")
    func existingSymlinkOnDisk() throws {
        let dir = try TempDir("x-disklink")
        let outside = dir.file("outside").path
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let dest = try destination(dir)
        #expect(symlink(outside, dest + "/uploads") == 0)
        let archive = dir.file("t.tar").path
        try craftTar(archive, [("uploads/a.txt", "file", "", "evil")])
        guard case .unsafeEntry? = archiveError({ try TarExtractor.extract(archive: archive, into: URL(fileURLWithPath: dest), force: true) }) else {
            Issue.record("expected .unsafeEntry"); return
        }
        #expect(try tree(outside).isEmpty)

        // A new link that goes through the existing one is written as a link, never followed.
        let archive2 = dir.file("t2.tar").path
        try craftTar(archive2, [("via", "symlink", "uploads/../..", "")])
        try TarExtractor.extract(archive: archive2, into: URL(fileURLWithPath: dest), force: true)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dest + "/via") == "uploads/../..")
        #expect(try tree(outside).isEmpty)
    }

    @Test("links that stay inside are extracted")
    func safeLinks() throws {
        let dir = try TempDir("x-safe")
        let archive = dir.file("ok.tar").path
        try craftTar(archive, [("a/", "dir", "", ""), ("a/f", "file", "", "data"), ("a/up", "symlink", "../b", ""),
                               ("b", "symlink", "a/f", ""), ("c", "hardlink", "a/f", ""), ("./", "dir", "", "")])
        let dest = try destination(dir)
        let report = try TarExtractor.extract(archive: archive, into: URL(fileURLWithPath: dest), force: false)
        #expect(report.symlinks == 2)
        #expect(report.hardlinks == 1)
        #expect(try readFile(dest + "/a/up") == Array("data".utf8))
    }

    @Test("existing files are replaced only with force, and without it nothing at all is written")
    func forceSemantics() throws {
        let dir = try TempDir("x-force")
        let archive = dir.file("f.tar").path
        try craftTar(archive, [("new1.txt", "file", "", "new"), ("keep.txt", "file", "", "replaced"), ("new2.txt", "file", "", "new")])
        let dest = try destination(dir)
        let destURL = URL(fileURLWithPath: dest)
        let error = archiveError { try TarExtractor.extract(archive: archive, into: destURL, force: false) }
        #expect(error == .wouldOverwrite(dest + "/keep.txt"))
        #expect(error?.description.contains(dest + "/keep.txt") == true)
        #expect(try tree(dest) == ["keep.txt"])
        #expect(try readFile(dest + "/keep.txt") == Array("keep".utf8))

        let report = try TarExtractor.extract(archive: archive, into: destURL, force: true)
        #expect(report.replaced == ["keep.txt"])
        #expect(try readFile(dest + "/keep.txt") == Array("replaced".utf8))
        #expect(try tree(dest) == ["keep.txt", "new1.txt", "new2.txt"])
    }

    @Test("force replaces an existing symlink instead of writing through it")
    func forceReplacesSymlink() throws {
        let dir = try TempDir("x-force-link")
        let victim = dir.file("victim.txt").path
        try writeFile(victim, Array("untouched".utf8))
        let dest = try destination(dir)
        #expect(symlink(victim, dest + "/target.txt") == 0)
        let archive = dir.file("t.tar").path
        try craftTar(archive, [("target.txt", "file", "", "archive data")])
        try TarExtractor.extract(archive: archive, into: URL(fileURLWithPath: dest), force: true)
        #expect(try readFile(victim) == Array("untouched".utf8))
        #expect((try lstatOf(dest + "/target.txt").st_mode & S_IFMT) == S_IFREG)
        #expect(try readFile(dest + "/target.txt") == Array("archive data".utf8))
    }

    @Test("a damaged .tar.gz is refused before anything is written", arguments: ["truncate", "flip"])
    func damagedArchiveWritesNothing(damage: String) throws {
        let dir = try TempDir("x-damaged")
        let source = try Fixture.make(in: dir.path)
        let archive = dir.file("a.tar.gz").path
        try writeTarGz(of: source, as: "uploads", to: archive, level: 0)
        var bytes = try readFile(archive)
        if damage == "truncate" { bytes.removeLast(4000) } else { bytes[bytes.count - 3000] ^= 0x55 }
        try writeFile(archive, bytes)
        let dest = try destination(dir)
        let error = archiveError { try TarExtractor.extract(archive: archive, into: URL(fileURLWithPath: dest), force: false) }
        switch error {
        case .truncated?, .checksumMismatch?, .corrupt?: break
        default: Issue.record("expected a damage error, got \(String(describing: error))")
        }
        #expect(try tree(dest) == ["keep.txt"])
    }
}

@Suite("Extraction over an earlier extraction")
struct TarReExtractTests {
    @Test("existing folders merge; existing files need force and are then listed as replaced")
    func reExtract() throws {
        let dir = try TempDir("x-again")
        let source = try Fixture.make(in: dir.path)
        let archive = dir.file("a.tar.gz").path
        try writeTarGz(of: source, as: "uploads", to: archive)
        let out = dir.file("out")
        try TarExtractor.extract(archive: archive, into: out, force: false)
        try writeFile(out.path + "/uploads/extra.txt", Array("mine".utf8))
        try writeFile(out.path + "/uploads/a.txt", Array("edited".utf8))

        let error = archiveError { try TarExtractor.extract(archive: archive, into: out, force: false) }
        guard case .wouldOverwrite(let path)? = error else { Issue.record("expected .wouldOverwrite, got \(String(describing: error))"); return }
        #expect(path.hasPrefix(out.path + "/uploads/"))
        #expect(try readFile(out.path + "/uploads/a.txt") == Array("edited".utf8))

        let report = try TarExtractor.extract(archive: archive, into: out, force: true)
        #expect(report.replaced.contains("uploads/a.txt"))
        #expect(report.replaced.contains("uploads/link-to-a"))
        #expect(try readFile(out.path + "/uploads/a.txt") == Array("hello, archive\n".utf8))
        #expect(try readFile(out.path + "/uploads/extra.txt") == Array("mine".utf8))
        var actual = try snapshot(out.path + "/uploads", as: "uploads")
        actual["uploads/extra.txt"] = nil
        // Directory mtimes are set again after their contents, so even "uploads" matches.
        let expected = try snapshot(source, as: "uploads")
        expectSameTree(actual, expected, "re-extract with force")
    }
}

@Suite("Two-pass extraction guards")
struct TarTwoPassTests {
    @Test("a file that appears between plan and extraction is not replaced without force")
    func appearsAfterPlan() throws {
        let dir = try TempDir("x-race")
        let archive = dir.file("a.tar").path
        try craftTar(archive, [("one.txt", "file", "", "1"), ("two.txt", "file", "", "2")])
        let dest = URL(fileURLWithPath: dir.file("dest").path)
        let plan = try TarExtractor.plan(TarReader(path: archive), into: dest, force: false)
        #expect(plan.entryCount == 2)
        #expect(plan.fileBytes == 2)
        try FileManager.default.createDirectory(at: dest, withIntermediateDirectories: true)
        try writeFile(dest.path + "/two.txt", Array("someone else's".utf8))
        let error = archiveError { try TarExtractor.extract(from: TarReader(path: archive), into: dest, plan: plan) }
        #expect(error == .wouldOverwrite(dest.path + "/two.txt"))
        #expect(try readFile(dest.path + "/two.txt") == Array("someone else's".utf8))
    }

    @Test("an archive that differs from the planned one is refused")
    func archiveChanged() throws {
        let dir = try TempDir("x-changed")
        let planned = dir.file("planned.tar").path
        let swapped = dir.file("swapped.tar").path
        try craftTar(planned, [("l", "symlink", "inside", ""), ("f", "file", "", "x")])
        try craftTar(swapped, [("l", "symlink", "../../etc", ""), ("f", "file", "", "x")])
        let dest = URL(fileURLWithPath: dir.file("dest").path)
        let plan = try TarExtractor.plan(TarReader(path: planned), into: dest, force: false)
        guard case .corrupt(_, _, let reason)? = archiveError({ try TarExtractor.extract(from: TarReader(path: swapped), into: dest, plan: plan) }) else {
            Issue.record("expected .corrupt"); return
        }
        #expect(reason.contains("changed since it was checked"))
        #expect(try tree(dest.path).isEmpty)
    }
}

@Suite("Archives with types we do not extract")
struct TarUnsupportedTests {
    @Test("GNU sparse members are listed but refused by extraction, before anything is written", arguments: ["gnu", "pax"])
    func sparse(format: String) throws {
        let dir = try TempDir("x-sparse")
        let source = dir.file("src").path
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try writeFile(source + "/a.txt", Array("plain".utf8))
        try sh("truncate -s 4M \(q(source + "/sparse.img")) && echo tail >> \(q(source + "/sparse.img"))")
        let archive = dir.file("s.tar").path
        try sh("tar --format=\(format) --sparse --sort=name -cf \(q(archive)) -C \(q(source)) .")
        let dest = dir.file("dest")
        let error = archiveError { try TarExtractor.extract(archive: archive, into: dest, force: false) }
        guard case .unsupported(_, let reason)? = error else {
            Issue.record("expected .unsupported, got \(String(describing: error))"); return
        }
        #expect(reason.contains("sparse") || reason.contains("'S'"))
        #expect(!FileManager.default.fileExists(atPath: dest.path + "/a.txt"))
    }
}
