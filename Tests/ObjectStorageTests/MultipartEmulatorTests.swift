import Foundation
@testable import ObjectStorage
import TestSupport
import Testing

@Suite("Multipart uploads and downloads against the emulator")
struct MultipartEmulatorTests {
    @Test("a 200 MB file uploads in parallel parts and downloads back byte-identical")
    func twoHundredMegabytes() throws {
        let bucket = try OSSEmulator.freshBucket("big")
        let dir = try TempDirectory()
        let source = dir.url.appendingPathComponent("big.bin").path
        try runCommand("bash", ["-c", "head -c 209715200 /dev/urandom > '\(source)'"])
        var config = try OSSEmulator.configuration()
        config.partSize = 8 << 20
        config.parallelism = 4
        let client = OSSClient(configuration: config)
        let progress = ProgressLog()
        let result = try client.uploadFile(at: source, bucket: bucket, key: "backups/big.bin",
                                           checkpointDirectory: dir.url.appendingPathComponent("checkpoints"),
                                           progress: { done, total in progress.record(done, total) })
        #expect(result.multipart)
        #expect(result.partsUploaded == 25)
        #expect(result.size == 209_715_200)
        #expect(progress.last?.0 == 209_715_200 && progress.last?.1 == 209_715_200)
        let parts = try OSSEmulator.log(bucket).filter { $0.op == "UploadPart" }
        #expect(Set(parts.compactMap(\.part)).count == 25)
        let dest = dir.url.appendingPathComponent("back.bin").path
        let download = try client.download(bucket: bucket, key: "backups/big.bin", to: dest)
        #expect(download.crc64 == result.crc64)
        let cmp = try runProcess("cmp", [source, dest])
        #expect(cmp.status == 0, "downloaded file differs: \(cmp.stdout)")
        // The checkpoint is gone once the upload completed.
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dir.url.appendingPathComponent("checkpoints").path)) ?? []
        #expect(leftovers.isEmpty)
    }

    @Test("an interrupted upload resumes from its checkpoint and sends only the missing parts")
    func resumeAfterFailure() throws {
        let bucket = try OSSEmulator.freshBucket("resume")
        let dir = try TempDirectory()
        let source = dir.url.appendingPathComponent("f.bin")
        let data = testBytes(10 * 300 * 1024 + 12_345)
        try data.write(to: source)
        var config = try OSSEmulator.configuration()
        config.multipartThreshold = 1 << 20
        config.partSize = 300 * 1024
        config.parallelism = 1
        // Part 6 fails for good (a client error is not retried): the run stops with parts 1-5 on OSS.
        try OSSEmulator.addFault(bucket: bucket, ["op": "UploadPart", "part": 6, "action": "status", "status": 400,
                                                  "code": "InvalidArgument", "times": 1])
        let checkpoints = dir.url.appendingPathComponent("cp")
        #expect(throws: ObjectStorageError.self) {
            try OSSClient(configuration: config).uploadFile(at: source.path, bucket: bucket, key: "f.bin", checkpointDirectory: checkpoints)
        }
        let firstRun = try OSSEmulator.log(bucket).count
        let result = try OSSClient(configuration: config).uploadFile(at: source.path, bucket: bucket, key: "f.bin",
                                                                      checkpointDirectory: checkpoints)
        #expect(result.partsResumed == 5)
        #expect(result.partsUploaded == 6)
        let second = try OSSEmulator.log(bucket).dropFirst(firstRun)
        #expect(second.filter { $0.op == "InitiateMultipartUpload" }.isEmpty)
        #expect(second.filter { $0.op == "ListParts" }.count == 1)
        #expect(second.filter { $0.op == "UploadPart" }.compactMap(\.part) == (6...11).map(String.init))
        #expect(try OSSClient(configuration: config).getObject(bucket: bucket, key: "f.bin") == data)
    }

    @Test("a wrong CRC-64 on CompleteMultipartUpload fails loudly and leaves no object")
    func wrongCRCMultipart() throws {
        let bucket = try OSSEmulator.freshBucket("crcmp")
        let dir = try TempDirectory()
        let source = dir.url.appendingPathComponent("f.bin")
        try testBytes(700_000).write(to: source)
        var config = try OSSEmulator.configuration()
        config.multipartThreshold = 500_000
        config.partSize = 200 * 1024
        try OSSEmulator.addFault(bucket: bucket, ["op": "CompleteMultipartUpload", "action": "wrong-crc", "times": 1])
        let client = OSSClient(configuration: config)
        let error = #expect(throws: ObjectStorageError.self) {
            try client.uploadFile(at: source.path, bucket: bucket, key: "f.bin", checkpointDirectory: dir.url)
        }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.description.contains("object was deleted") == true)
        #expect(try client.listObjects(bucket: bucket).isEmpty)
    }

    @Test("overwrite: false never replaces an existing object, single or multipart")
    func forbidOverwrite() throws {
        let bucket = try OSSEmulator.freshBucket("nooverwrite")
        let dir = try TempDirectory()
        let source = dir.url.appendingPathComponent("f.bin")
        try testBytes(600_000).write(to: source)
        var config = try OSSEmulator.configuration()
        config.multipartThreshold = 500_000
        config.partSize = 200 * 1024
        let client = OSSClient(configuration: config)
        try client.putObject(bucket: bucket, key: "taken", data: Data("original".utf8))
        for threshold: Int64 in [500_000, 1 << 30] {  // multipart, then single PutObject
            config.multipartThreshold = threshold
            let error = #expect(throws: ObjectStorageError.self) {
                try OSSClient(configuration: config).uploadFile(at: source.path, bucket: bucket, key: "taken",
                                                                checkpointDirectory: dir.url, overwrite: false)
            }
            #expect(error?.serviceCode == "FileAlreadyExists")
            #expect(error?.httpStatus == 409)
        }
        #expect(try client.getObject(bucket: bucket, key: "taken") == Data("original".utf8))
        let fresh = try client.uploadFile(at: source.path, bucket: bucket, key: "fresh", checkpointDirectory: dir.url, overwrite: false)
        #expect(fresh.size == 600_000)
    }

    @Test("injected 500s and resets on parts are retried to success")
    func partFaults() throws {
        let bucket = try OSSEmulator.freshBucket("partfaults")
        let dir = try TempDirectory()
        let source = dir.url.appendingPathComponent("f.bin")
        let data = testBytes(2_000_000)
        try data.write(to: source)
        var config = try OSSEmulator.configuration()
        config.multipartThreshold = 1_000_000
        config.partSize = 256 * 1024
        config.parallelism = 3
        try OSSEmulator.addFault(bucket: bucket, ["op": "UploadPart", "part": 2, "action": "status", "status": 500, "times": 2])
        try OSSEmulator.addFault(bucket: bucket, ["op": "UploadPart", "part": 5, "action": "reset", "after_bytes": 1000, "times": 1])
        try OSSEmulator.addFault(bucket: bucket, ["op": "CompleteMultipartUpload", "action": "status", "status": 503, "times": 1])
        let result = try OSSClient(configuration: config).uploadFile(at: source.path, bucket: bucket, key: "f.bin",
                                                                      checkpointDirectory: dir.url)
        #expect(result.partsUploaded == 8)
        #expect(try OSSClient(configuration: config).getObject(bucket: bucket, key: "f.bin") == data)
        let log = try OSSEmulator.log(bucket)
        #expect(log.filter { $0.op == "UploadPart" && $0.part == "2" }.count == 3)
        #expect(log.filter { $0.op == "UploadPart" && $0.part == "5" }.count == 2)
    }
}

/// Records progress calls from the worker threads.
final class ProgressLog: @unchecked Sendable {
    // Safety: `values` is only touched under `lock`.
    private let lock = NSLock()
    private var values: [(Int64, Int64)] = []
    func record(_ done: Int64, _ total: Int64) { lock.withLock { values.append((done, total)) } }
    var last: (Int64, Int64)? { lock.withLock { values.max { $0.0 < $1.0 } } }
}
