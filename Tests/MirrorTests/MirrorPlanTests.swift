import Foundation
@testable import Mirror
import Testing

@Suite("mirror plan, keys and content types (pure)")
struct MirrorPlanTests {
    static func e(_ path: String, _ size: Int64, _ crc: UInt64? = nil) -> MirrorEntry {
        MirrorEntry(path: MirrorPath(path), size: size, crc64: crc)
    }

    struct DecideCase: Sendable, CustomStringConvertible {
        var sourceSize: Int64, sourceCRC: UInt64?, destSize: Int64?, destCRC: UInt64?, unavailable: Bool
        var expected: MirrorPlan.Decision
        var description: String { "\(sourceSize)/\(sourceCRC.map(String.init) ?? "-") vs \(destSize.map(String.init) ?? "none")/\(destCRC.map(String.init) ?? "-") → \(expected)" }
    }

    @Test("the skip rule: size, then CRC-64", arguments: [
        DecideCase(sourceSize: 5, sourceCRC: nil, destSize: nil, destCRC: nil, unavailable: false, expected: .send(.missing)),
        DecideCase(sourceSize: 5, sourceCRC: 1, destSize: 6, destCRC: 1, unavailable: false, expected: .send(.sizeDiffers)),
        DecideCase(sourceSize: 5, sourceCRC: nil, destSize: 5, destCRC: nil, unavailable: false, expected: .compare),
        DecideCase(sourceSize: 5, sourceCRC: 7, destSize: 5, destCRC: nil, unavailable: false, expected: .compare),
        DecideCase(sourceSize: 5, sourceCRC: 7, destSize: 5, destCRC: 7, unavailable: false, expected: .skip),
        DecideCase(sourceSize: 5, sourceCRC: 7, destSize: 5, destCRC: 8, unavailable: false, expected: .send(.contentDiffers)),
        DecideCase(sourceSize: 0, sourceCRC: 0, destSize: 0, destCRC: 0, unavailable: false, expected: .skip),
        // An object without a CRC-64 (written before OSS kept one) cannot be proven equal: send it.
        DecideCase(sourceSize: 5, sourceCRC: 7, destSize: 5, destCRC: nil, unavailable: true, expected: .send(.contentDiffers)),
    ])
    func decide(_ c: DecideCase) {
        #expect(MirrorPlan.decide(sourceSize: c.sourceSize, sourceCRC: c.sourceCRC, destinationSize: c.destSize,
                                  destinationCRC: c.destCRC, destinationCRCUnavailable: c.unavailable) == c.expected)
    }

    struct PlanCase: Sendable, CustomStringConvertible {
        var name: String
        var source: [MirrorEntry]
        var destination: [MirrorEntry]
        var delete: Bool
        var protected: [MirrorProblem] = []
        var send: [String] = []
        var compare: [String] = []
        var skip: [String] = []
        var deleted: [String] = []
        var extra: [String] = []
        var problems: [String] = []
        var description: String { name }
    }

    static let nfc = "caf\u{E9}.txt"
    static let nfd = "cafe\u{301}.txt"

    @Test("plans", arguments: [
        PlanCase(name: "empty both", source: [], destination: [], delete: true),
        PlanCase(name: "all new", source: [e("b", 1), e("a/x", 2)], destination: [], delete: false, send: ["a/x", "b"]),
        PlanCase(name: "size differs, same size compares, equal CRC skips",
                 source: [e("a", 1), e("b", 2), e("c", 3, 9)], destination: [e("a", 2), e("b", 2), e("c", 3, 9)], delete: false,
                 send: ["a"], compare: ["b"], skip: ["c"]),
        PlanCase(name: "gone files are kept without delete", source: [e("a", 1)], destination: [e("a", 2), e("old", 1)],
                 delete: false, send: ["a"], extra: ["old"]),
        PlanCase(name: "gone files are deleted with delete", source: [e("a", 1)], destination: [e("old/1", 1), e("z", 1)],
                 delete: true, send: ["a"], deleted: ["old/1", "z"]),
        PlanCase(name: "a problem file shields its object from delete",
                 source: [], destination: [e("link", 1), e("other", 1)], delete: true,
                 protected: [MirrorProblem(subject: "/d/link", path: MirrorPath("link"), message: "symbolic link")],
                 deleted: ["other"], extra: ["link"]),
        PlanCase(name: "an unreadable folder shields everything below it, not its siblings",
                 source: [], destination: [e("sec/a", 1), e("sec/b/c", 1), e("secret", 1)], delete: true,
                 protected: [MirrorProblem(subject: "/d/sec", path: MirrorPath("sec"), isFolder: true, message: "unreadable")],
                 deleted: ["secret"], extra: ["sec/a", "sec/b/c"]),
        PlanCase(name: "the same path from two folders is a problem, the first is sent",
                 source: [e("a", 1), e("a", 2)], destination: [], delete: false, send: ["a"], problems: ["a"]),
        PlanCase(name: "NFC and NFD spellings are two files", source: [e(nfc, 1), e(nfd, 2)], destination: [e(nfc, 1, 5)],
                 delete: true, send: [nfd], compare: [nfc]),
        PlanCase(name: "an NFD object is not the NFC file", source: [e(nfc, 1)], destination: [e(nfd, 1)], delete: true,
                 send: [nfc], deleted: [nfd]),
    ])
    func plan(_ c: PlanCase) {
        let plan = mirrorPlan(source: c.source, destination: c.destination, delete: c.delete, protected: c.protected)
        func bytes(_ list: [String]) -> [[UInt8]] { list.map { Array($0.utf8) } }
        #expect(plan.send.map(\.path.bytes) == bytes(c.send))
        #expect(plan.compare.map(\.path.bytes) == bytes(c.compare))
        #expect(plan.skip.map(\.bytes) == bytes(c.skip))
        #expect(plan.delete.map(\.bytes) == bytes(c.deleted))
        #expect(plan.extra.map(\.bytes) == bytes(c.extra))
        #expect(plan.problems.compactMap { $0.path?.bytes } == bytes(c.problems))
    }

    @Test("send reasons are recorded")
    func reasons() {
        let plan = mirrorPlan(source: [Self.e("new", 1), Self.e("grown", 5)], destination: [Self.e("grown", 4)], delete: false)
        #expect(plan.send.map(\.reason) == [.sizeDiffers, .missing])
    }

    @Test("keys map to paths inside the folder; escaping keys are refused", arguments: [
        ("up/a.txt", "up/", Int64(1), MirrorKey.Mapping.file(MirrorPath("a.txt"))),
        ("up/sub dir/中文 b.jpg", "up/", 1, .file(MirrorPath("sub dir/中文 b.jpg"))),
        ("up/../../etc/passwd", "up/", 1, .refused(.dotDot)),
        ("up/a/../../x", "up/", 1, .refused(.dotDot)),
        ("up/..", "up/", 1, .refused(.dotDot)),
        ("up//etc/passwd", "up/", 1, .refused(.absolute)),
        ("up/a//b", "up/", 1, .refused(.emptyComponent)),
        ("up/./a", "up/", 1, .refused(.dot)),
        ("up/a\u{0}b", "up/", 1, .refused(.nulByte)),
        ("up/a/", "up/", 0, .directoryMarker),
        ("up/", "up/", 0, .directoryMarker),
        ("up/a/", "up/", 3, .refused(.emptyComponent)),
        ("../x", "", 1, .refused(.dotDot)),
        ("/x", "", 1, .refused(.absolute)),
        ("x", "", 1, .file(MirrorPath("x"))),
        ("other/x", "up/", 1, .refused(.outsidePrefix)),
        ("up/..a/b..", "up/", 1, .file(MirrorPath("..a/b.."))),
    ])
    func keyMapping(_ key: String, _ prefix: String, _ size: Int64, _ expected: MirrorKey.Mapping) {
        #expect(MirrorKey.relativePath(key: key, prefix: prefix, size: size) == expected)
    }

    @Test("prefixes are folders", arguments: [("", ""), ("up", "up/"), ("up/", "up/"), ("/a/b", "a/b/"), ("//", "")])
    func prefixes(_ raw: String, _ expected: String) {
        #expect(MirrorKey.normalized(prefix: raw) == expected)
    }

    @Test("a key longer than 1023 bytes is refused")
    func longKey() throws {
        let path = MirrorPath(String(repeating: "名", count: 340))  // 1,020 bytes
        #expect(throws: MirrorKeyProblem.tooLong(bytes: 1024)) { try MirrorKey.key(prefix: "abc/", path: path).get() }
        #expect(try MirrorKey.key(prefix: "ab/", path: path).get().utf8.count == 1023)
    }

    @Test("content type from the extension", arguments: [
        ("index.html", "text/html; charset=utf-8"), ("a/b/STYLE.CSS", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"), ("d.json", "application/json"), ("p.png", "image/png"),
        ("p.JPG", "image/jpeg"), ("p.jpeg", "image/jpeg"), ("g.gif", "image/gif"), ("w.webp", "image/webp"),
        ("v.svg", "image/svg+xml"), ("doc.pdf", "application/pdf"), ("r.txt", "text/plain; charset=utf-8"),
        ("t.csv", "text/csv; charset=utf-8"), ("a.zip", "application/zip"), ("a.tar.gz", "application/gzip"),
        ("m.mp4", "video/mp4"), ("noext", "application/octet-stream"), (".hidden", "application/octet-stream"),
        ("x.unknownext", "application/octet-stream"), ("dir.d/file", "application/octet-stream"),
    ])
    func contentType(_ name: String, _ expected: String) {
        #expect(ContentType.forFile(name) == expected)
    }

    @Test("paths compare by bytes and nest by component")
    func paths() {
        #expect(MirrorPath(Self.nfc) != MirrorPath(Self.nfd))
        #expect(Self.nfc == Self.nfd)  // what String would have merged
        #expect(MirrorPath("a/b").isWithin(MirrorPath("a")))
        #expect(!MirrorPath("ab").isWithin(MirrorPath("a")))
        #expect(MirrorPath("a").isWithin(MirrorPath("a")))
        #expect(MirrorPath("a").appending(MirrorPath("b")) == MirrorPath("a/b"))
        #expect(MirrorPath("").appending(MirrorPath("b")) == MirrorPath("b"))
    }

    @Test("the summary line")
    func summary() {
        var report = MirrorReport(direction: .upload, source: "/data/up", destination: "oss://b/up/", dryRun: false)
        report.sent = 3
        report.skipped = 4988
        report.deleted = 5
        report.bytesSent = 3 << 20
        report.seconds = 2
        report.failures = ["x: boom"]
        #expect(report.summary == "upload /data/up -> oss://b/up/: sent 3 (3.0 MiB), skipped 4988, deleted 5, failed 1 in 0:02 (1.5 MiB/s)")
        #expect(!report.ok)
    }

    @Test("objects that are vaultops backups are never mirror deletions", arguments: [
        (["db_20250101.sql.gz", "db_20250101.sql.gz.manifest.json", "avatar.png"],
         ["db_20250101.sql.gz", "db_20250101.sql.gz.manifest.json"]),
        (["nightly/mms_20250101_020000.db.gz.manifest.json"], ["nightly/mms_20250101_020000.db.gz.manifest.json"]),
        (["uploads_20250101.tar.gz"], []),                 // no manifest: an ordinary file that happens to look like one
        (["notes.manifest.json", "a/b.txt"], []),         // not an artifact's manifest
        ([], []),
    ])
    func backupObjectsAreProtected(deletions: [String], expected: [String]) {
        #expect(backupObjects(among: deletions.map(MirrorPath.init)).map(\.string) == expected)
    }
}
