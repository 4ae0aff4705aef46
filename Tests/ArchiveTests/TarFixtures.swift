import Foundation
import Testing
import TestSupport
@testable import Archive

/// What a test compares about one file, directory or symlink.
struct NodeInfo: Equatable, CustomStringConvertible {
    var kind: String          // "file", "dir", "link"
    var mode: UInt32          // 0 for links
    var mtime: Int64
    var nanos: Int32?         // nil when the format or tool keeps whole seconds only
    var size: UInt64          // 0 for dirs and links
    var content: String       // SHA-256 of a file, target of a link, "" for a dir

    var description: String {
        "\(kind) mode=\(String(mode, radix: 8)) mtime=\(mtime).\(nanos.map(String.init) ?? "-") size=\(size) \(content)"
    }
}

enum Fixture {
    static let deepDirs = (1...5).map { "level-\($0)-" + String(repeating: "d", count: 52) }
    static let longFileName = String(repeating: "long-file-name-", count: 8) + ".txt"   // 124 bytes
    static let utf8Dir = "données"
    static let utf8File = "résumé ✓ 報告.txt"

    /// Builds the standard test tree under `parent/uploads` and returns its path.
    ///
    /// Files with several modes, an empty file, an empty dir, symlinks (relative, dangling, to a dir), a name over
    /// 100 bytes, a path over 255 bytes, UTF-8 names, and mtimes with nanoseconds.
    @discardableResult
    static func make(in parent: String) throws -> String {
        let root = parent + "/uploads"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/sub/" + deepDirs.joined(separator: "/"), withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/empty-dir", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/" + utf8Dir, withIntermediateDirectories: true)
        let files: [(String, [UInt8], mode_t)] = [
            ("a.txt", Array("hello, archive\n".utf8), 0o644),
            ("script.sh", Array("#!/bin/sh\necho hi\n".utf8), 0o755),
            ("secret.key", randomBytes(64, seed: 3), 0o600),
            ("empty.bin", [], 0o644),
            ("big.bin", randomBytes(300_001, seed: 4) + textBytes(200_000), 0o640),
            ("sub/" + longFileName, textBytes(1000), 0o644),
            ("sub/" + deepDirs.joined(separator: "/") + "/deep.txt", Array("deep\n".utf8), 0o444),
            (utf8Dir + "/" + utf8File, Array("ünïcödé\n".utf8), 0o644),
        ]
        for (name, bytes, mode) in files {
            let path = root + "/" + name
            try writeFile(path, bytes)
            #expect(chmod(path, mode) == 0)
        }
        #expect(chmod(root + "/empty-dir", 0o700) == 0)
        #expect(symlink("a.txt", root + "/link-to-a") == 0)
        #expect(symlink("does-not-exist", root + "/dangling") == 0)
        #expect(symlink("sub", root + "/dir-link") == 0)
        #expect(symlink("../" + utf8File, root + "/sub/" + "ü-link") == 0)
        // Distinct mtimes with nanoseconds, children before parents so directory times stick.
        var all = try snapshotPaths(root)
        all.sort { $0.count > $1.count }
        for (i, relative) in all.enumerated() {
            var times = [timespec(tv_sec: 1_700_000_000 + i * 3600, tv_nsec: 123_456_789 + i),
                         timespec(tv_sec: 1_700_000_000 + i * 3600, tv_nsec: 123_456_789 + i)]
            #expect(utimensat(AT_FDCWD, relative.isEmpty ? root : root + "/" + relative, &times, AT_SYMLINK_NOFOLLOW) == 0)
        }
        return root
    }

    /// Relative paths of everything below `root`, plus "" for the root.
    static func snapshotPaths(_ root: String) throws -> [String] {
        var out = [""]
        var stack = [""]
        while let relative = stack.popLast() {
            let path = relative.isEmpty ? root : root + "/" + relative
            let st = try lstatOf(path)
            guard (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            for name in try listDirectory(path) {
                let child = relative.isEmpty ? name : relative + "/" + name
                out.append(child)
                stack.append(child)
            }
        }
        return out
    }
}

/// What is on disk below `root`, keyed by path relative to `root`'s parent with `rootName` in front.
func snapshot(_ root: String, as rootName: String, nanos: Bool = true, linkTimes: Bool = true) throws -> [String: NodeInfo] {
    var result: [String: NodeInfo] = [:]
    for relative in try Fixture.snapshotPaths(root) {
        let path = relative.isEmpty ? root : root + "/" + relative
        let st = try lstatOf(path)
        let key = relative.isEmpty ? rootName : rootName + "/" + relative
        var info = NodeInfo(kind: "", mode: UInt32(st.st_mode) & 0o7777, mtime: Int64(st.st_mtim.tv_sec),
                            nanos: nanos ? Int32(st.st_mtim.tv_nsec) : nil, size: 0, content: "")
        switch st.st_mode & S_IFMT {
        case S_IFDIR: info.kind = "dir"
        case S_IFLNK:
            info.kind = "link"
            info.mode = 0
            info.content = try FileManager.default.destinationOfSymbolicLink(atPath: path)
            if !linkTimes { info.mtime = 0; info.nanos = nil }
        default:
            info.kind = "file"
            info.size = UInt64(st.st_size)
            info.content = try sha256Hex(ofFile: path)
        }
        result[key] = info
    }
    return result
}

/// What a tar archive holds, read with our reader, keyed like `snapshot`.
func archiveSnapshot(_ path: String, nanos: Bool = true, linkTimes: Bool = true) throws -> [String: NodeInfo] {
    let reader = try TarReader(path: path)
    var result: [String: NodeInfo] = [:]
    while let entry = try reader.next() {
        var key = entry.name
        while key.hasPrefix("./") { key.removeFirst(2) }
        while key.hasSuffix("/") { key.removeLast() }
        var info = NodeInfo(kind: "", mode: entry.mode, mtime: entry.mtime, nanos: nanos ? entry.mtimeNanoseconds : nil,
                            size: 0, content: "")
        switch entry.kind {
        case .directory: info.kind = "dir"
        case .symlink:
            info.kind = "link"
            info.mode = 0
            info.content = entry.linkName
            if !linkTimes { info.mtime = 0; info.nanos = nil }
        case .regular:
            info.kind = "file"
            info.size = entry.size
            let hasher = HashingSink(forwardingTo: nil)
            let copied = try reader.copy(to: hasher)
            #expect(copied == entry.size)
            info.content = hasher.finalizeHex()
        default:
            info.kind = "other"
        }
        #expect(result[key] == nil, "duplicate entry \(key)")
        result[key] = info
    }
    return result
}

/// Writes `directory` as a .tar.gz at `path` with our writers; returns the tar writer for its warnings.
@discardableResult
func writeTarGz(of directory: String, as rootName: String, to path: String, level: Int = 6) throws -> TarWriter {
    let file = try AtomicFile(destination: path)
    let gzip = try GzipWriter(sink: file, level: level)
    let tar = TarWriter(sink: gzip)
    try tar.append(directory: URL(fileURLWithPath: directory), as: rootName)
    try tar.finish()
    try gzip.finish()
    try file.commit()
    return tar
}

/// Compares two snapshots and records one issue per differing path.
func expectSameTree(_ actual: [String: NodeInfo], _ expected: [String: NodeInfo], _ label: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    for key in Set(actual.keys).union(expected.keys).sorted() {
        if actual[key] != expected[key] {
            Issue.record("\(label): \(key): got \(actual[key].map(\.description) ?? "nothing"), expected \(expected[key].map(\.description) ?? "nothing")",
                         sourceLocation: sourceLocation)
        }
    }
}

/// Builds a tar file with Python's tarfile from a member list, for archives our writer would never make.
///
/// Each member: name, type ("file", "dir", "symlink", "hardlink"), link target, content.
func craftTar(_ path: String, _ members: [(String, String, String, String)]) throws {
    let json = try JSONSerialization.data(withJSONObject: members.map { [$0.0, $0.1, $0.2, $0.3] })
    let script = """
    import io, json, sys, tarfile
    members = json.loads(sys.argv[2])
    with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tf:
        for name, kind, link, content in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            data = content.encode()
            if kind == "file":
                info.size = len(data); info.mode = 0o644
                tf.addfile(info, io.BytesIO(data))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}[kind]
            info.linkname = link
            info.mode = 0o755
            tf.addfile(info)
    """
    let result = try runProcess("python3", ["-c", script, path, String(decoding: json, as: UTF8.self)])
    guard result.status == 0 else { throw TestSupportError("python3 tarfile failed: \(result.stderr)") }
}
