import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("Links that point outside, interrupted extraction (issue 17)")
struct TarOutsideLinkTests {
    static let outsideLinks: [(String, [TarExtractorTests.Member])] = [
        ("symlink up", [("ok.txt", "file", "", "fine"), ("up", "symlink", "../..", "")]),
        ("symlink absolute", [("ok.txt", "file", "", "fine"), ("current", "symlink", "/srv/app/releases/v1", "")]),
        ("symlink deep escape", [("a/b/c", "symlink", "../../../outside", "")]),
        // Each link stays inside on its own; followed through the other one, "m" leaves the folder.
        ("chained links", [("m", "symlink", "l/../..", ""), ("x", "dir", "", ""), ("l", "symlink", "x", "")]),
    ]

    @Test("links whose target is outside the folder are written as links, never followed", arguments: outsideLinks)
    func writtenAsLinks(label: String, members: [TarExtractorTests.Member]) throws {
        let dir = try TempDir("x-outlink")
        let archive = dir.file("links.tar").path
        try craftTar(archive, members)
        let dest = dir.file("dest")
        let plan = try TarExtractor.plan(TarReader(path: archive), into: dest, force: false)
        try TarExtractor.extract(from: TarReader(path: archive), into: dest, plan: plan)
        for (name, kind, target, _) in members where kind == "symlink" {
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dest.path + "/" + name) == target, "\(label)")
        }
        let outside = plan.outsideLinks.map(\.name)
        #expect(!outside.isEmpty, "\(label): the plan names the links that point outside")
        #expect(outside.allSatisfy { name in members.contains { $0.0 == name && $0.1 == "symlink" } })
    }

    @Test("verify's check and restore's plan judge an archive by the same rules")
    func checkMatchesPlan() throws {
        let dir = try TempDir("x-check")
        let bad = dir.file("bad.tar").path
        try craftTar(bad, [("cur", "symlink", "/etc", ""), ("cur/passwd", "file", "", "evil")])
        let checkError = archiveError { _ = try TarExtractor.check(TarReader(path: bad)) }
        let planError = archiveError { _ = try TarExtractor.plan(TarReader(path: bad), into: dir.file("d"), force: true) }
        #expect(checkError != nil)
        #expect(checkError == planError)
        let good = dir.file("good.tar").path
        try craftTar(good, [("cur", "symlink", "/etc", ""), ("f", "file", "", "x")])
        let check = try TarExtractor.check(TarReader(path: good))
        #expect(check.outsideLinks.map(\.name) == ["cur"])
        #expect(check.entryCount == 2)
    }

    @Test("an extraction that fails mid-archive leaves no file truncated under its final name, and says what was done")
    func failureMidArchive() throws {
        let dir = try TempDir("x-midfail")
        let source = dir.file("src").path
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try writeFile(source + "/a.txt", Array("first\n".utf8))
        try writeFile(source + "/b.bin", randomBytes(600_000))
        try writeFile(source + "/c.txt", Array("last\n".utf8))
        let archive = dir.file("full.tar").path
        try sh("tar --sort=name -cf \(q(archive)) -C \(q(source)) a.txt b.bin c.txt")
        // The same archive cut in the middle of b.bin's data: the entries match the plan until the data ends.
        let cut = dir.file("cut.tar").path
        var bytes = try readFile(archive)
        bytes.removeLast(bytes.count - 300_000)
        try writeFile(cut, bytes)
        let dest = dir.file("dest")
        let plan = try TarExtractor.plan(TarReader(path: archive), into: dest, force: false)
        var caught: (any Error)?
        do { try TarExtractor.extract(from: TarReader(path: cut), into: dest, plan: plan) } catch { caught = error }
        let failure = try #require(caught as? ExtractionFailure, "got \(String(describing: caught))")
        #expect(failure.restored == ["a.txt"])
        #expect(failure.notRestored == ["b.bin", "c.txt"])
        guard case .truncated? = failure.underlying as? ArchiveError else {
            Issue.record("expected the truncation as the cause, got \(failure.underlying)"); return
        }
        #expect(try tree(dest.path) == ["a.txt"], "no partial or truncated file is left")
        #expect(try readFile(dest.path + "/a.txt") == Array("first\n".utf8))
    }

    @Test("files are written under a temporary name and renamed when complete")
    func temporaryNames() throws {
        let dir = try TempDir("x-tmpname")
        let archive = dir.file("one.tar").path
        try craftTar(archive, [("f.txt", "file", "", "content")])
        let dest = dir.file("dest")
        let plan = try TarExtractor.plan(TarReader(path: archive), into: dest, force: false)
        var seen: [String] = []
        try TarExtractor.extract(from: TarReader(path: archive), into: dest, plan: plan) { temporary in
            seen = (try? tree(dest.path)) ?? []
            #expect(temporary.hasPrefix(dest.path + "/"))
        }
        #expect(seen.count == 1)
        #expect(seen.first != "f.txt", "while written, the file is not under its final name")
        #expect(try tree(dest.path) == ["f.txt"])
    }
}

@Suite("Files that change while they are archived (issue 17)")
struct TarChangedFileTests {
    func folder(_ dir: TempDir) throws -> String {
        let source = dir.file("src").path
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try writeFile(source + "/log.bin", randomBytes(700_000))
        try writeFile(source + "/other.txt", Array("steady\n".utf8))
        return source
    }

    func archive(_ source: String, to path: String, policy: TarWriter.ChangedFilePolicy,
                 hook: @escaping (String, Int) -> Void) throws -> TarWriter {
        let file = try AtomicFile(destination: path)
        let gzip = try GzipWriter(sink: file, level: 1)
        let tar = TarWriter(sink: gzip)
        tar.changedFilePolicy = policy
        tar.afterFirstChunk = hook
        try tar.append(directory: URL(fileURLWithPath: source), as: "src")
        try tar.finish()
        try gzip.finish()
        try file.commit()
        return tar
    }

    @Test("a file that shrinks during the read is read again; ours and GNU tar extract the complete second copy, not the zero-padded first")
    func shrinkThenRetry() throws {
        let dir = try TempDir("tar-shrink")
        let source = try folder(dir)
        let path = dir.file("a.tar.gz").path
        let tar = try archive(source, to: path, policy: .fail) { file, attempt in
            if file.hasSuffix("log.bin") && attempt == 1 { truncate(file, 1000) }
        }
        #expect(tar.changedFiles.isEmpty)
        let out = dir.file("out")
        try TarExtractor.extract(archive: path, into: out, force: false)
        #expect(try readFile(out.path + "/src/log.bin") == readFile(source + "/log.bin"))
        #expect(try readFile(out.path + "/src/log.bin").count == 1000)
        // GNU tar takes the last copy too.
        let gnu = dir.file("gnu").path
        try FileManager.default.createDirectory(atPath: gnu, withIntermediateDirectories: true)
        try sh("tar -xzf \(q(path)) -C \(q(gnu))")
        #expect(try readFile(gnu + "/src/log.bin") == readFile(source + "/log.bin"))
    }

    @Test("a file that keeps changing fails the archive, naming it")
    func keepsChangingFails() throws {
        let dir = try TempDir("tar-changing")
        let source = try folder(dir)
        var error: (any Error)?
        do {
            _ = try archive(source, to: dir.file("a.tar.gz").path, policy: .fail) { file, attempt in
                if file.hasSuffix("log.bin") { truncate(file, off_t(500 - attempt)) }
            }
        } catch let e { error = e }
        guard case .changedWhileRead(let path, let detail)? = error as? ArchiveError else {
            Issue.record("expected .changedWhileRead, got \(String(describing: error))"); return
        }
        #expect(path == source + "/log.bin")
        #expect(!detail.isEmpty)
        #expect(String(describing: error!).contains("log.bin"))
    }

    @Test("with the record policy the changed file is kept as read and listed", arguments: ["shrink", "grow", "touch"])
    func recordPolicy(change: String) throws {
        let dir = try TempDir("tar-record")
        let source = try folder(dir)
        let path = dir.file("a.tar.gz").path
        let tar = try archive(source, to: path, policy: .record) { file, attempt in
            guard file.hasSuffix("log.bin") else { return }
            switch change {
            case "shrink": truncate(file, off_t(500 - attempt))
            case "grow": truncate(file, off_t(800_000 + attempt))
            default:
                var times = [timespec(tv_sec: 1_000_000 + attempt, tv_nsec: 0), timespec(tv_sec: 1_000_000 + attempt, tv_nsec: 0)]
                _ = utimensat(AT_FDCWD, file, &times, 0)
            }
        }
        #expect(tar.changedFiles == [source + "/log.bin"])
        #expect(tar.warnings.contains { $0.path == source + "/log.bin" })
        _ = try TarReader.verify(path: path)
    }
}
