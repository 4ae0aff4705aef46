import Foundation
import Mirror
import ObjectStorage
import Storage
import VaultopsCore
import Testing
import TestSupport

@Suite("vaultops upload DIR / download PREFIX against the OSS emulator")
struct MirrorEmulatorTests {
    /// Keys written (PutObject or CompleteMultipartUpload answered 2xx) in `log`.
    static func writtenKeys(_ log: ArraySlice<OSSEmulator.LogEntry>) -> [String] {
        log.filter { ($0.op == "PutObject" || $0.op == "CompleteMultipartUpload") && $0.ok }.compactMap(\.key)
    }

    @Test("5,000 files with a 300 MB one: upload, download identical, re-upload sends nothing; 10 changed and 5 deleted")
    func bigTree() throws {
        let bucket = try OSSEmulator.freshBucket("big")
        let work = try TempDir("mirror-big")
        let env = try OSSEmulator.cliEnvironment(cache: work.path + "/cache")
        let src = work.path + "/src"
        let small = try Trees.writeSmallFiles(root: src, count: 4_999)
        let bigPath = "video/大 文件 300MB.mp4"
        try Trees.writeLargeFile(src + "/" + bigPath, mebibytes: 300)
        let all = small + [bigPath]
        #expect(Set(all.map { Array($0.utf8) }).count == 5_000)
        let destination = "oss://\(bucket)/uploads/"

        // 1. First upload: every file goes up (the big one as a multipart upload).
        var r = try vaultops(["upload", src, destination], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent 5000 "), "\(r.stdout)")
        #expect(r.stdout.contains("failed 0"), "\(r.stdout)")
        var log = try OSSEmulator.log(bucket)
        #expect(Set(Self.writtenKeys(log[...]).map { Array($0.utf8) }) == Set(all.map { Array(("uploads/" + $0).utf8) }))
        #expect(log.contains { $0.op == "CompleteMultipartUpload" && $0.key == "uploads/" + bigPath && $0.ok })
        let client = try OSSEmulator.client()
        #expect(try client.headObject(bucket: bucket, key: "uploads/" + bigPath).contentType == "video/mp4")
        #expect(try client.headObject(bucket: bucket, key: "uploads/" + Trees.smallPath(1)).contentType == "image/jpeg")
        #expect(try client.headObject(bucket: bucket, key: "uploads/" + Trees.smallPath(2)).contentType == "application/json")
        #expect(try client.headObject(bucket: bucket, key: "uploads/" + Trees.smallPath(40)).size == 0)

        // 2. Download into an empty folder: the same tree, byte for byte (coreutils' sha256sum over both).
        let back = work.path + "/back"
        r = try vaultops(["download", destination, back], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent 5000 "), "\(r.stdout)")
        let original = try Trees.manifest(src)
        #expect(original.split(separator: "\n").count == 5_000)
        #expect(try Trees.manifest(back) == original)

        // 3. A second upload sends nothing.
        var mark = try OSSEmulator.log(bucket).count
        r = try vaultops(["upload", src, destination], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent 0 (0 B), skipped 5000, deleted 0, failed 0"), "\(r.stdout)")
        log = try OSSEmulator.log(bucket)
        #expect(!log[mark...].contains { OSSEmulator.writes.contains($0.op) })

        // 4. Change 10 files (5 keep their size, so only the CRC-64 tells) and delete 5 others: exactly those 10
        // go up and, with --delete, exactly those 5 objects go (one DeleteMultipleObjects).
        let changedSameSize = [3, 4, 8, 9, 14].map { small[$0] }  // non-empty files
        let changedNewSize = [21, 22, 23, 24, 26].map { small[$0] }
        for path in changedSameSize {
            let url = URL(fileURLWithPath: src + "/" + path)
            var data = try Data(contentsOf: url)
            data[data.count / 2] ^= 0xFF
            try data.write(to: url)
        }
        for path in changedNewSize { try Data("changed \(path)".utf8).write(to: URL(fileURLWithPath: src + "/" + path)) }
        let deleted = [100, 200, 300, 400, 500].map { small[$0] }
        for path in deleted { try FileManager.default.removeItem(atPath: src + "/" + path) }
        let changed = Set((changedSameSize + changedNewSize).map { Array(("uploads/" + $0).utf8) })

        mark = log.count
        r = try vaultops(["upload", src, destination, "--delete", "--verbose"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent 10 "), "\(r.stdout)")
        #expect(r.stdout.contains("skipped 4985, deleted 5, failed 0"), "\(r.stdout)")
        log = try OSSEmulator.log(bucket)
        #expect(Set(Self.writtenKeys(log[mark...]).map { Array($0.utf8) }) == changed)
        #expect(Self.writtenKeys(log[mark...]).count == 10)
        #expect(log[mark...].filter { $0.op == "DeleteMultipleObjects" }.count == 1)
        for path in changedSameSize { #expect(r.stdout.contains("sent oss://\(bucket)/uploads/\(path) (content differs, ")) }
        for path in deleted { #expect(r.stdout.contains("deleted oss://\(bucket)/uploads/\(path)\n")) }
        let keys = try client.listObjects(bucket: bucket, prefix: "uploads/").map { Array($0.key.utf8) }
        #expect(Set(keys) == Set(all.filter { !deleted.contains($0) }.map { Array(("uploads/" + $0).utf8) }))
    }

    @Test("dry run, no --delete, and the download skip rule on a small tree")
    func smallTree() throws {
        let bucket = try OSSEmulator.freshBucket("small")
        let work = try TempDir("mirror-small")
        let env = try OSSEmulator.cliEnvironment(cache: work.path + "/cache")
        let src = work.path + "/src"
        let files = try Trees.writeSmallFiles(root: src, count: 200, seed: 9)
        let destination = "oss://\(bucket)/u/"
        var r = try vaultops(["upload", src, destination, "--jobs", "3"], environment: env)
        #expect(r.status == 0 && r.stdout.contains("sent 200 "), "\(r.stdout)\(r.stderr)")
        let back = work.path + "/back"
        r = try vaultops(["download", destination, back], environment: env)
        #expect(r.status == 0 && r.stdout.contains("sent 200 "), "\(r.stdout)\(r.stderr)")

        // Two changed (one same-size), two deleted.
        let url = URL(fileURLWithPath: src + "/" + files[7])
        var data = try Data(contentsOf: url)
        data[0] ^= 1
        try data.write(to: url)
        try Data("grown".utf8).write(to: URL(fileURLWithPath: src + "/" + files[11]))
        for i in [50, 51] { try FileManager.default.removeItem(atPath: src + "/" + files[i]) }

        // The dry run lists every decision and writes nothing.
        var mark = try OSSEmulator.log(bucket).count
        r = try vaultops(["upload", src, destination, "--delete", "--dry-run"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(Set(lines.filter { $0.hasPrefix("would send ") }) == [
            "would send oss://\(bucket)/u/\(files[7]) (content differs, \(ProgressReporter.formatBytes(Int64(data.count))))",
            "would send oss://\(bucket)/u/\(files[11]) (size differs, 5 B)",
        ])
        #expect(Set(lines.filter { $0.hasPrefix("would delete ") }) == Set([50, 51].map { "would delete oss://\(bucket)/u/\(files[$0])" }))
        #expect(lines.filter { $0.hasPrefix("would skip ") }.count == 196)
        #expect(r.stdout.contains("would send 2 (\(ProgressReporter.formatBytes(Int64(data.count + 5)))), skipped 196, would delete 2, failed 0"))
        #expect(!(try OSSEmulator.log(bucket))[mark...].contains { OSSEmulator.writes.contains($0.op) })

        // Without --delete the gone files' objects stay, and are reported as left in place.
        r = try vaultops(["upload", src, destination], environment: env)
        #expect(r.stdout.contains("sent 2 "), "\(r.stdout)")
        #expect(r.stdout.contains("deleted 0, failed 0, 2 not in the source left in place"), "\(r.stdout)")
        let keys = Set(try OSSEmulator.client().listObjects(bucket: bucket, prefix: "u/").map(\.key))
        #expect(keys.count == 200)

        // Download with the same rule: only the two changed objects come down; the other 198 are skipped.
        mark = try OSSEmulator.log(bucket).count
        r = try vaultops(["download", destination, back], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent 2 "), "\(r.stdout)")
        #expect(r.stdout.contains("skipped 198,"), "\(r.stdout)")
        let fetched = try OSSEmulator.log(bucket)[mark...].filter { $0.op == "GetObject" && $0.ok }.compactMap(\.key)
        #expect(Set(fetched) == ["u/" + files[7], "u/" + files[11]])
        for i in [50, 51] { try FileManager.default.removeItem(atPath: back + "/" + files[i]) }
        #expect(try Trees.manifest(back) == (try Trees.manifest(src)))
        #expect(try String(contentsOfFile: back + "/" + files[11], encoding: .utf8) == "grown")
    }
}

@Suite("mirror connections: --jobs bounds the requests in flight, files and parts together (emulator)")
struct MirrorConnectionTests {
    /// The most requests `bucket` had in progress at once, as the emulator counted them.
    static func peak(_ bucket: String) throws -> Int {
        let answer = try JSONSerialization.jsonObject(with: try OSSEmulator.control("GET", "concurrency?bucket=\(bucket)"))
        return try #require((answer as? [String: Any])?["peak"] as? Int)
    }

    /// Uploads `files` files of four 100 KiB parts each with `jobs`, every part held 0.3 s by the emulator so that
    /// the requests overlap; returns the peak.
    static func upload(files: Int, jobs: Int) throws -> Int {
        let bucket = try OSSEmulator.freshBucket("conc")
        let work = try TempDir("mirror-conc")
        for i in 0..<files {
            try Data((0..<(400 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }).write(to: URL(fileURLWithPath: work.path + "/f\(i).bin"))
        }
        let fault: [String: Any] = ["bucket": bucket, "op": "UploadPart", "action": "slow", "seconds": 0.3, "times": 1000]
        try OSSEmulator.control("POST", "faults", body: try JSONSerialization.data(withJSONObject: fault))
        var configuration = try OSSEmulator.configuration()
        configuration.multipartThreshold = 200 * 1024
        configuration.partSize = 100 * 1024
        configuration.parallelism = jobs
        let backend = OSSBackend(client: OSSClient(configuration: configuration), bucket: bucket, prefix: "c/")
        let report = try FolderMirror.upload(directories: [work.path], to: backend, options: MirrorOptions(jobs: jobs))
        #expect(report.sent == files && report.failures.isEmpty, "\(report)")
        return try peak(bucket)
    }

    @Test("many big files: at most --jobs requests at once, not --jobs per file")
    func manyFiles() throws {
        // Four files on four threads, each once allowed four parts at once: 16 requests in flight.
        let peak = try Self.upload(files: 4, jobs: 4)
        // A thread's next request can arrive just before the emulator has counted its previous one finished.
        #expect(peak <= 4 + 2, "peak \(peak)")
    }

    @Test("one big file still uses --jobs connections for its parts")
    func oneFile() throws {
        let peak = try Self.upload(files: 1, jobs: 4)
        #expect(peak >= 3, "peak \(peak)")
    }
}
