import Foundation
import Testing
import TestSupport
@testable import Archive

@Suite("Tar header encoding")
struct TarHeaderTests {
    @Test("pax record lengths count their own digits", arguments: [
        ("path", "x", "9 path=x\n"),
        // body " path=" + 92 bytes + "\n" is 99 bytes: 2 digits would make 101, so the length needs 3 digits.
        ("path", String(repeating: "a", count: 92), "102 path=" + String(repeating: "a", count: 92) + "\n"),
        ("path", String(repeating: "a", count: 90), "99 path=" + String(repeating: "a", count: 90) + "\n"),
        ("path", String(repeating: "a", count: 91), "101 path=" + String(repeating: "a", count: 91) + "\n"),
        ("mtime", "1700000000.5", "22 mtime=1700000000.5\n"),
    ])
    func paxRecordLength(key: String, value: String, expected: String) throws {
        let encoded = TarHeader.encodePaxRecords([(key, value)])
        #expect(String(decoding: encoded, as: UTF8.self) == expected)
        let decoded = try TarHeader.parsePaxRecords(encoded)
        #expect(decoded.count == 1 && decoded[0].0 == key && decoded[0].1 == value)
    }

    @Test("pax times keep nanoseconds, including before 1970", arguments: [
        (Int64(1_700_000_000), Int32(0), "1700000000"),
        (1_700_000_000, 500_000_000, "1700000000.5"),
        (1_700_000_000, 123_456_789, "1700000000.123456789"),
        (1, 1, "1.000000001"),
        (-2, 500_000_000, "-1.5"),
        (-1, 500_000_000, "-0.5"),
        (-5, 0, "-5"),
    ])
    func paxTime(seconds: Int64, nanos: Int32, text: String) {
        #expect(TarHeader.formatPaxTime(seconds, nanos) == text)
        let parsed = TarHeader.parsePaxTime(text)
        #expect(parsed?.0 == seconds && parsed?.1 == nanos)
    }

    static let numberCases: [(Int64, Int)] = [
        (0, 12), (0o777, 8), (0o7777777, 8), (0o7777777 + 1, 8), (9 << 30, 12), (-1, 12), (-1_000_000, 12),
        (0o77777777777, 12), (1 << 40, 12),
    ]

    @Test("numeric fields: octal in, base-256 when too large, both decoded", arguments: numberCases)
    func numbers(value: Int64, width: Int) throws {
        var block = [UInt8](repeating: 0, count: 512)
        TarHeader.putNumber(&block, 0, width, value)
        let fitsOctal = value >= 0 && UInt64(value) <= TarHeader.maxOctal(digits: width - 1)
        #expect((block[0] & 0x80 == 0) == fitsOctal)
        #expect(try TarHeader.number(block, 0, width, field: "test") == value)
    }

    @Test("octal fields written by other tars (spaces, no NUL) decode", arguments: [
        ("0000644 ", Int64(0o644)), ("    644\0", 0o644), ("644", 0o644), ("\0\0\0\0\0\0\0\0", 0),
    ])
    func foreignOctal(text: String, value: Int64) throws {
        var block = [UInt8](repeating: 0, count: 512)
        TarHeader.put(&block, 100, 8, Array(text.utf8))
        #expect(try TarHeader.number(block, 100, 8, field: "mode") == value)
    }

    @Test("a damaged header block is refused with its offset")
    func badChecksum() throws {
        let dir = try TempDir("hdr-bad")
        let path = dir.file("bad.tar").path
        let sink = try FileSink(path: path)
        let tar = TarWriter(sink: sink)
        try tar.append(entry: TarEntry(name: "one.txt", kind: .regular, size: 3), contents: FileSource(path: "/dev/zero"))
        try tar.append(entry: TarEntry(name: "two.txt", kind: .regular, size: 0), contents: nil)
        try tar.finish()
        try sink.close()
        var bytes = try readFile(path)
        bytes[1024 + 3] ^= 0x20   // inside the second header's name
        try writeFile(path, bytes)
        let error = archiveError { _ = try TarReader.list(path: path) }
        guard case .corrupt(let named, let offset, let reason)? = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(named == path)
        #expect(offset == 1024)
        #expect(reason.contains("checksum"))
        #expect(error!.description.contains("1024"))
    }

    @Test("an entry over 8 GiB gets a pax size that GNU tar and Python read")
    func hugeSizeHeader() throws {
        let dir = try TempDir("hdr-big")
        let path = dir.file("huge.tar").path
        let size: UInt64 = 9 * 1024 * 1024 * 1024 + 7
        let entry = TarEntry(name: "dump.sql", kind: .regular, size: size, mode: 0o600, mtime: 1_700_000_000,
                             uid: 0, gid: 0, uname: "root", gname: "root")
        let header = TarHeader.encode(entry)
        #expect(header.count == 3 * 512)   // pax header, its records, the ustar header
        // Only the headers: writing 9 GiB of data would take far longer than a unit test may.
        try writeFile(path, header)

        let py = try runProcess("python3", ["-c", """
            import sys, tarfile
            with open(sys.argv[1], "rb") as f:
                tf = tarfile.open(fileobj=f, mode="r|")
                m = tf.next()
                print(m.name, m.size, oct(m.mode), int(m.mtime))
            """, path])
        #expect(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "dump.sql \(size) 0o600 1700000000")

        // GNU tar lists the entry with its size, then complains that the data is missing.
        let gnu = try shell("tar -tvf \(q(path))")
        #expect(gnu.stdout.contains(" \(size) "))
        #expect(gnu.stdout.contains("dump.sql"))

        // Our reader agrees, then reports the missing data as truncation.
        let reader = try TarReader(path: path)
        let parsed = try #require(try reader.next())
        #expect(parsed.size == size)
        #expect(parsed.name == "dump.sql")
        guard case .truncated? = archiveError({ _ = try reader.next() }) else { Issue.record("expected .truncated"); return }
    }

    @Test("uids, gids and owner names that do not fit ustar survive via pax")
    func bigIdsAndNames() throws {
        let dir = try TempDir("hdr-ids")
        let path = dir.file("ids.tar").path
        let sink = try FileSink(path: path)
        let tar = TarWriter(sink: sink)
        let entry = TarEntry(name: "f", kind: .regular, size: 0, mode: 0o640, mtime: -86_400, mtimeNanoseconds: 250_000_000,
                             uid: 3_000_000, gid: 70_000_000, uname: String(repeating: "u", count: 40), gname: "grüppe")
        try tar.append(entry: entry, contents: nil)
        try tar.finish()
        try sink.close()
        let back = try #require(try TarReader.list(path: path).first)
        #expect(back == entry)
        let py = try runProcess("python3", ["-c", """
            import sys, tarfile
            m = tarfile.open(sys.argv[1]).next()
            print(m.uid, m.gid, m.uname, m.gname, m.mtime)
            """, path])
        #expect(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "3000000 70000000 \(String(repeating: "u", count: 40)) grüppe -86399.75")
    }

    @Test("a source that shrinks or grows is padded or cut, reported, and the archive stays valid")
    func changingSize() throws {
        let dir = try TempDir("hdr-change")
        let small = dir.file("small").path
        try writeFile(small, Array("12345".utf8))
        let path = dir.file("change.tar").path
        let sink = try FileSink(path: path)
        let tar = TarWriter(sink: sink)
        try tar.append(entry: TarEntry(name: "shrank", kind: .regular, size: 10), contents: FileSource(path: small))
        try tar.append(entry: TarEntry(name: "grew", kind: .regular, size: 3), contents: FileSource(path: small))
        let two = dir.file("two").path
        try writeFile(two, Array("12".utf8))
        try tar.append(entry: TarEntry(name: "after", kind: .regular, size: 2), contents: FileSource(path: two))
        try tar.finish()
        try sink.close()
        #expect(tar.warnings.count == 2)
        #expect(tar.warnings.first?.message.contains("shrank") == true)
        #expect(tar.warnings.last?.message.contains("grew") == true)
        let out = dir.file("x").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try sh("tar -xf \(q(path)) -C \(q(out))")
        #expect(try readFile(out + "/shrank") == Array("12345".utf8) + [0, 0, 0, 0, 0])
        #expect(try readFile(out + "/grew") == Array("123".utf8))
        #expect(try readFile(out + "/after") == Array("12".utf8))
    }

    @Test("data after the end-of-archive marker is corrupt; a missing marker is truncation")
    func endOfArchive() throws {
        let dir = try TempDir("hdr-end")
        let path = dir.file("e.tar").path
        let sink = try FileSink(path: path)
        let tar = TarWriter(sink: sink)
        try tar.append(entry: TarEntry(name: "f", kind: .regular, size: 0), contents: nil)
        try tar.finish()
        try sink.close()
        let good = try readFile(path)
        #expect(try TarReader.list(path: path).count == 1)

        try writeFile(path, good + [UInt8](repeating: 0, count: 10240 - good.count))   // GNU-style record padding
        #expect(try TarReader.list(path: path).count == 1)

        try writeFile(path, good + Array("garbage".utf8))
        guard case .corrupt? = archiveError({ _ = try TarReader.list(path: path) }) else { Issue.record("expected .corrupt"); return }

        try writeFile(path, Array(good.prefix(512)))
        guard case .truncated? = archiveError({ _ = try TarReader.list(path: path) }) else { Issue.record("expected .truncated"); return }
    }
}

@Suite("TarWriter single entries")
struct TarWriterEntryTests {
    @Test("a file whose real size differs from its stat size (/proc) fails the archive, or with .record is stored at the stat size and reported")
    func procFileGrows() throws {
        let dir = try TempDir("tw-proc")
        // /proc files stat as empty regular files but read as text: a file that "grew" while read, every time.
        let failing = TarWriter(sink: try FileSink(path: dir.file("f.tar").path))
        guard case .changedWhileRead(let changed, _)? = archiveError({
            try failing.append(file: URL(fileURLWithPath: "/proc/self/status"), as: "status")
        }) else { return }
        #expect(changed == "/proc/self/status")

        let path = dir.file("p.tar").path
        let sink = try FileSink(path: path)
        let tar = TarWriter(sink: sink)
        tar.changedFilePolicy = .record
        try tar.append(file: URL(fileURLWithPath: "/proc/self/status"), as: "status")
        try tar.finish()
        try sink.close()
        #expect(tar.changedFiles == ["/proc/self/status"])
        #expect(tar.warnings == [TarWarning(path: "/proc/self/status", message: "changed while being read, twice (grew while being read: stored only the first 0 bytes); stored as read the second time")])
        let entries = try TarReader.list(path: path)
        // The first read and the second, both at the stat size; extraction keeps the last.
        #expect(entries.map(\.name) == ["status", "status"])
        #expect(entries.allSatisfy { $0.size == 0 })
        try sh("tar -tf \(q(path))")
    }

    @Test("a symlink given directly is stored as a link, not followed")
    func symlinkNotFollowed() throws {
        let dir = try TempDir("tw-link")
        try writeFile(dir.file("target").path, Array("target data".utf8))
        #expect(symlink("target", dir.file("link").path) == 0)
        let path = dir.file("l.tar").path
        let sink = try FileSink(path: path)
        let tar = TarWriter(sink: sink)
        try tar.append(file: dir.file("link"), as: "link")
        try tar.finish()
        try sink.close()
        let entries = try TarReader.list(path: path)
        #expect(entries.count == 1)
        #expect(entries.first?.kind == .symlink)
        #expect(entries.first?.linkName == "target")
        #expect(tar.contentBytes == 0)
    }
}

@Suite("TarWriter root names")
struct TarWriterRootTests {
    @Test("an empty or '.' root gives './' names like tar -C dir .", arguments: ["", ".", "./"])
    func dotRoot(root: String) throws {
        let dir = try TempDir("tw-root")
        let source = dir.file("src").path
        try FileManager.default.createDirectory(atPath: source + "/d", withIntermediateDirectories: true)
        try writeFile(source + "/d/f", [1, 2, 3])
        let archive = dir.file("r.tar.gz").path
        try writeTarGz(of: source, as: root, to: archive)
        #expect(try TarReader.list(path: archive).map(\.name) == ["./", "./d/", "./d/f"])
        #expect(try sh("tar -tzf \(q(archive))").stdout == "./\n./d/\n./d/f\n")
    }

    @Test("absolute or '..' root names are refused", arguments: ["/abs", "../up", "a/../../b"])
    func badRoot(root: String) throws {
        let dir = try TempDir("tw-badroot")
        let tar = TarWriter(sink: HashingSink(forwardingTo: nil))
        guard case .misuse? = archiveError({ try tar.append(directory: dir.url, as: root) }) else {
            Issue.record("expected .misuse"); return
        }
    }

    @Test("a root that is a symlink to a folder is followed once; links below are kept")
    func symlinkRoot() throws {
        let dir = try TempDir("tw-linkroot")
        let real = dir.file("real").path
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try writeFile(real + "/f", [1])
        #expect(symlink("f", real + "/l") == 0)
        #expect(symlink(real, dir.file("current").path) == 0)
        let archive = dir.file("c.tar.gz").path
        try writeTarGz(of: dir.file("current").path, as: "current", to: archive)
        let entries = try TarReader.list(path: archive)
        #expect(entries.map(\.name) == ["current/", "current/f", "current/l"])
        #expect(entries.last?.kind == .symlink)
    }
}
