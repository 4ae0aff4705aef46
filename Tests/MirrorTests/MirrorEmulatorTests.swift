import Foundation
import Mirror
import ObjectStorage
import Testing
import TestSupport

@Suite("vaultops upload DIR / download PREFIX against the OSS emulator")
struct MirrorEmulatorTests {
    /// Keys written (PutObject or CompleteMultipartUpload answered 2xx) in `log`.
    static func writtenKeys(_ log: ArraySlice<Emulator.LogEntry>) -> [String] {
        log.filter { ($0.op == "PutObject" || $0.op == "CompleteMultipartUpload") && $0.ok }.compactMap(\.key)
    }

    @Test("5,000 files with a 300 MB one: upload, download identical, re-upload sends nothing; 10 changed and 5 deleted")
    func bigTree() throws {
        let bucket = try Emulator.freshBucket("big")
        let work = try TempDir("mirror-big")
        let env = try Emulator.cliEnvironment(cache: work.path + "/cache")
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
        var log = try Emulator.log(bucket)
        #expect(Set(Self.writtenKeys(log[...]).map { Array($0.utf8) }) == Set(all.map { Array(("uploads/" + $0).utf8) }))
        #expect(log.contains { $0.op == "CompleteMultipartUpload" && $0.key == "uploads/" + bigPath && $0.ok })
        let client = try Emulator.client()
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

        // 3. A second upload and a second download send nothing.
        var mark = try Emulator.log(bucket).count
        r = try vaultops(["upload", src, destination], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent 0 (0 B), skipped 5000, deleted 0, failed 0"), "\(r.stdout)")
        r = try vaultops(["download", destination, back], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent 0 (0 B), skipped 5000"), "\(r.stdout)")
        log = try Emulator.log(bucket)
        #expect(!log[mark...].contains { Emulator.writes.contains($0.op) || $0.op == "GetObject" })

        // 4. Change 10 files (5 keep their size, so only the CRC-64 tells) and delete 5 others.
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

        // A dry run lists exactly that and changes nothing.
        mark = try Emulator.log(bucket).count
        r = try vaultops(["upload", src, destination, "--delete", "--dry-run"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let wouldSend = r.stdout.split(separator: "\n").filter { $0.hasPrefix("would send ") }
        let wouldDelete = r.stdout.split(separator: "\n").filter { $0.hasPrefix("would delete ") }
        #expect(wouldSend.count == 10 && wouldDelete.count == 5, "\(r.stdout.suffix(2000))")
        for path in deleted { #expect(wouldDelete.contains { $0 == "would delete oss://\(bucket)/uploads/\(path)" }) }
        #expect(r.stdout.contains("(content differs, "))
        #expect(!(try Emulator.log(bucket))[mark...].contains { Emulator.writes.contains($0.op) })

        // Without --delete: exactly the 10 changed files go up, the 5 objects stay.
        r = try vaultops(["upload", src, destination], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent 10 "), "\(r.stdout)")
        #expect(r.stdout.contains("5 not in the source left in place"), "\(r.stdout)")
        log = try Emulator.log(bucket)
        #expect(Set(Self.writtenKeys(log[mark...]).map { Array($0.utf8) }) == changed)
        #expect(Self.writtenKeys(log[mark...]).count == 10)
        #expect(!log[mark...].contains { $0.op.hasPrefix("Delete") })
        for path in deleted { #expect((try? client.headObject(bucket: bucket, key: "uploads/" + path)) != nil) }

        // With --delete: nothing to send, exactly those 5 removed (one DeleteMultipleObjects).
        mark = log.count
        r = try vaultops(["upload", src, destination, "--delete"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent 0 (0 B), skipped 4995, deleted 5, failed 0"), "\(r.stdout)")
        log = try Emulator.log(bucket)
        #expect(Self.writtenKeys(log[mark...]).isEmpty)
        #expect(log[mark...].filter { $0.op == "DeleteMultipleObjects" }.count == 1)
        let keys = try client.listObjects(bucket: bucket, prefix: "uploads/").map { Array($0.key.utf8) }
        #expect(Set(keys) == Set(all.filter { !deleted.contains($0) }.map { Array(("uploads/" + $0).utf8) }))

        // Downloading again fetches exactly the 10 changed files.
        mark = log.count
        r = try vaultops(["download", destination, back], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sent 10 "), "\(r.stdout)")
        let fetched = try Emulator.log(bucket)[mark...].filter { $0.op == "GetObject" && $0.ok }.compactMap(\.key)
        #expect(Set(fetched.map { Array($0.utf8) }) == changed)
        for path in deleted { try FileManager.default.removeItem(atPath: back + "/" + path) }
        #expect(try Trees.manifest(back) == (try Trees.manifest(src)))
    }
}
