import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("Tar archives interoperate with GNU tar and Python's tarfile")
struct TarInteropTests {
    @Test("our .tar.gz lists, extracts and compares equal with GNU tar")
    func gnuTarReadsOurs() throws {
        let dir = try TempDir("tar-gnu")
        let source = try Fixture.make(in: dir.path)
        let archive = dir.file("uploads_20250101.tar.gz").path
        let writer = try writeTarGz(of: source, as: "uploads", to: archive)
        #expect(writer.warnings.isEmpty)
        let expected = try snapshot(source, as: "uploads", linkTimes: false)

        let listing = try sh("tar -tzvf \(q(archive))").stdout
        #expect(listing.contains("uploads/big.bin"))
        #expect(listing.contains(" 500001 "))            // the size column of big.bin
        #expect(listing.contains("uploads/link-to-a -> a.txt"))
        #expect(listing.contains("uploads/dangling -> does-not-exist"))
        #expect(listing.contains(Fixture.deepDirs.joined(separator: "/") + "/deep.txt"))
        #expect(listing.contains(Fixture.longFileName))
        #expect(listing.contains(Fixture.utf8File))
        #expect(listing.split(separator: "\n").count == expected.count)

        let out = dir.file("out").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try sh("tar -xzf \(q(archive)) -C \(q(out))")
        // GNU tar restores nanosecond mtimes from our pax records, but not the times of symlinks themselves.
        expectSameTree(try snapshot(out + "/uploads", as: "uploads", linkTimes: false), expected, "tar -xzf")
    }

    @Test("Python's tarfile reads our .tar.gz with the same names, types, modes, mtimes, links and contents")
    func pythonReadsOurs() throws {
        let dir = try TempDir("tar-py")
        let source = try Fixture.make(in: dir.path)
        let archive = dir.file("a.tar.gz").path
        try writeTarGz(of: source, as: "uploads", to: archive)
        let script = """
        import hashlib, json, sys, tarfile
        out = {}
        with tarfile.open(sys.argv[1], "r:gz") as tf:
            for m in tf:
                kind = "dir" if m.isdir() else "link" if m.issym() else "file" if m.isfile() else "other"
                content = ""
                if m.isfile():
                    content = hashlib.sha256(tf.extractfile(m).read()).hexdigest()
                elif m.issym():
                    content = m.linkname
                out[m.name] = [kind, m.mode, int(m.mtime), round((m.mtime - int(m.mtime)) * 1e9), m.size, content]
        print(json.dumps(out))
        """
        let result = try runProcess("python3", ["-c", script, archive])
        try #require(result.status == 0, "python3 failed: \(result.stderr)")
        let parsed = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: [Any]])
        var actual: [String: NodeInfo] = [:]
        for (name, fields) in parsed {
            let kind = fields[0] as! String
            actual[name] = NodeInfo(kind: kind, mode: kind == "link" ? 0 : UInt32(fields[1] as! Int),
                                    mtime: Int64(fields[2] as! Int), nanos: nil,
                                    size: kind == "file" ? UInt64(fields[4] as! Int) : 0, content: fields[5] as! String)
        }
        // Python turns the pax mtime into a float, so compare whole seconds.
        expectSameTree(actual, try snapshot(source, as: "uploads", nanos: false), "python tarfile")
    }

    @Test("our reader reads back our archive exactly, nanoseconds included")
    func ourReaderReadsOurs() throws {
        let dir = try TempDir("tar-self")
        let source = try Fixture.make(in: dir.path)
        let archive = dir.file("a.tar.gz").path
        try writeTarGz(of: source, as: "uploads", to: archive, level: 1)
        expectSameTree(try archiveSnapshot(archive), try snapshot(source, as: "uploads"), "TarReader")
        let entries = try TarReader.list(path: archive)
        #expect(entries.first?.name == "uploads/")
        #expect(entries.contains { $0.name == "uploads/link-to-a" && $0.kind == .symlink && $0.linkName == "a.txt" })

        let stats = try TarReader.verify(path: archive)
        #expect(stats.files == 8)
        #expect(stats.links == 4)
        #expect(stats.directories == entries.count - 12)
        #expect(stats.fileBytes == UInt64(try readFile(source + "/big.bin").count) + 15 + 18 + 64 + 1000 + 5 + 12)
        let gzip = try #require(stats.gzip)
        #expect(gzip.members == 1)
        #expect(gzip.uncompressedBytes == stats.tarBytes)
        #expect(gzip.compressedBytes == UInt64(try readFile(archive).count))
    }

    @Test("the walk is deterministic: the same tree gives byte-identical archives")
    func deterministic() throws {
        let dir = try TempDir("tar-det")
        let source = try Fixture.make(in: dir.path)
        try writeTarGz(of: source, as: "uploads", to: dir.file("1.tar.gz").path)
        try writeTarGz(of: source, as: "uploads", to: dir.file("2.tar.gz").path)
        #expect(try readFile(dir.file("1.tar.gz").path) == readFile(dir.file("2.tar.gz").path))
        let names = try TarReader.list(path: dir.file("1.tar.gz").path).map(\.name)
        #expect(names == names.sorted { a, b in
            // Depth-first with sorted children: compare as path component lists.
            a.split(separator: "/").map { Array($0.utf8) }.lexicographicallyPrecedes(b.split(separator: "/").map { Array($0.utf8) }) { $0.lexicographicallyPrecedes($1) }
        })
    }

    @Test("our reader reads GNU tar output", arguments: ["gnu", "pax", "ustar-gz", "pax-gz"])
    func readsGnuTar(format: String) throws {
        let dir = try TempDir("tar-read-gnu")
        let source = try Fixture.make(in: dir.path)
        let archive = dir.file("gnu.tar").path
        let compress = format.hasSuffix("-gz") ? "z" : ""
        let tarFormat = format.replacingOccurrences(of: "-gz", with: "")
        if tarFormat == "ustar" {
            // ustar cannot hold the deep path or a 124-byte file name: drop them, keep the rest.
            try sh("rm -rf \(q(source + "/sub/" + Fixture.deepDirs[0])) \(q(source + "/sub/" + Fixture.longFileName))")
        }
        try sh("tar --format=\(tarFormat) -c\(compress)f \(q(archive)) -C \(q(dir.path)) uploads")
        // The gnu and ustar formats keep whole seconds; GNU tar's pax format keeps nanoseconds.
        let nanos = tarFormat == "pax"
        expectSameTree(try archiveSnapshot(archive, nanos: nanos), try snapshot(source, as: "uploads", nanos: nanos),
                       "tar --format=\(format)")
    }

    @Test("GNU tar of a tree with './' names and hard links reads correctly")
    func gnuDotNamesAndHardLinks() throws {
        let dir = try TempDir("tar-dot")
        let source = dir.file("src").path
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try writeFile(source + "/f", Array("content\n".utf8))
        #expect(link(source + "/f", source + "/hard") == 0)
        let archive = dir.file("dot.tar").path
        try sh("tar --format=gnu --sort=name -cf \(q(archive)) -C \(q(source)) .")
        let entries = try TarReader.list(path: archive)
        #expect(entries.map(\.name) == ["./", "./f", "./hard"])
        #expect(entries[2].kind == .hardlink)
        #expect(entries[2].linkName == "./f")
        #expect(entries[2].size == 0)
    }
}
