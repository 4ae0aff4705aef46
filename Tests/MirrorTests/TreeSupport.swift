import Foundation
import TestSupport

/// Builds test folders quickly and compares trees with standard tools.
enum Trees {
    /// Deterministic bytes (xorshift) for file `index`: reproducible failures, no /dev/urandom.
    static func bytes(_ count: Int, seed: UInt64) -> Data {
        var state = seed | 1
        var data = Data(count: (count + 7) & ~7)
        data.withUnsafeMutableBytes { raw in
            // Eight bytes per step: debug builds run this for every test file.
            let words = raw.bindMemory(to: UInt64.self)
            for i in words.indices {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                words[i] = state.littleEndian
            }
        }
        return data.prefix(count)
    }

    /// The relative path of small file `i`: nested folders, Unicode (NFC and NFD), spaces.
    static func smallPath(_ i: Int) -> String {
        let folder: String
        switch i % 4 {
        case 0: folder = "d\(i % 17)/s\(i % 5)"
        case 1: folder = "中文 目录/\(i % 9)"
        case 2: folder = "with space/deeper/still deeper"
        default: folder = "flat"
        }
        let name: String
        switch i % 5 {
        case 0: name = "file \(i).txt"
        case 1: name = "图片_\(i).jpg"
        case 2: name = "caf\u{E9}_\(i).json"      // NFC
        case 3: name = "cafe\u{301}_\(i).json"    // NFD: a different file from the NFC spelling
        default: name = "data-\(i).bin"
        }
        return folder + "/" + name
    }

    /// Size of small file `i`: every 40th is empty, the rest 1 B – 4 KiB.
    static func smallSize(_ i: Int) -> Int { i % 40 == 0 ? 0 : (i &* 7919) % 4096 + 1 }

    /// Writes `count` small files under `root`; returns their relative paths.
    @discardableResult
    static func writeSmallFiles(root: String, count: Int, seed: UInt64 = 1) throws -> [String] {
        var made: [String] = []
        for i in 0..<count {
            let path = smallPath(i)
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try bytes(smallSize(i), seed: seed &* 1_000_003 &+ UInt64(i)).write(to: url)
            made.append(path)
        }
        return made
    }

    /// Writes a `mebibytes` MiB file quickly: one seeded 1 MiB block repeated, each copy stamped with its counter.
    static func writeLargeFile(_ path: String, mebibytes: Int, seed: UInt64 = 7) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var block = bytes(1 << 20, seed: seed)
        for i in 0..<mebibytes {
            var counter = UInt64(i).littleEndian
            block.replaceSubrange(0..<8, with: Data(bytes: &counter, count: 8))
            try handle.write(contentsOf: block)
        }
    }

    /// `sha256sum` of every regular file (sorted by path bytes) and the list of relative paths, by coreutils:
    /// two trees with the same manifest hold the same files with the same bytes.
    static func manifest(_ root: String) throws -> String {
        let r = try shell("cd \"$1\" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum", environment: nil,
                          arguments: [root])
        guard r.status == 0 else { throw TestSupportError("hashing \(root) failed: \(r.stderr)") }
        return r.stdout
    }
}

/// `bash -c SCRIPT _ ARGS…`, so paths travel as arguments and never need quoting.
func shell(_ script: String, environment: [String: String]?, arguments: [String]) throws -> ProcessResult {
    try runProcess("/bin/bash", ["-c", script, "_"] + arguments, environment: environment)
}
