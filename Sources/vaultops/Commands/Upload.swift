import ArgumentParser
import Foundation
import ObjectStorage
import VaultopsCore

/// `vaultops upload FILE... oss://BUCKET/PREFIX/`: parallel, resumable uploads with CRC-64 checks.
struct Upload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload files to OSS (multipart, parallel and resumable for large files).",
        discussion: """
            Credentials and endpoint come from OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, optional \
            OSS_SESSION_TOKEN (STS), OSS_ENDPOINT and OSS_REGION. A destination ending in '/' (or a bare \
            bucket) receives each file under its own name; a single file may be given an exact key.
            """)

    @Argument(help: "Files to upload, then the destination oss://BUCKET/PREFIX/.")
    var paths: [String]

    @Option(help: "Multipart part size in MiB (at least 1; raised automatically above 10,000 parts).")
    var partSize: Int = 8

    @Option(help: "Parts uploaded at once (memory in use is about jobs × part size).")
    var jobs: Int = 4

    @Option(help: "Folder for resume checkpoints (default ~/.cache/vaultops/uploads).")
    var checkpointDir: String?

    @Flag(help: "Replace objects that already exist (by default an existing object is never overwritten).")
    var force = false

    mutating func run() throws {
        guard paths.count >= 2 else {
            throw ObjectStorageError(.invalidURL, "upload needs at least one FILE and a destination oss://BUCKET/PREFIX/")
        }
        let destination = try OSSLocation(parsing: paths.last!)
        let files = paths.dropLast()
        guard (1...1024).contains(partSize), (1...64).contains(jobs) else {
            throw ObjectStorageError(.invalidConfiguration, "--part-size must be 1-1024 MiB and --jobs 1-64")
        }
        for file in files {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir), !isDir.boolValue else {
                throw ObjectStorageError(.invalidConfiguration, "\(file) is not a file")
            }
        }
        let asPrefix = destination.key.isEmpty || destination.key.hasSuffix("/")
        if !asPrefix && files.count > 1 {
            throw ObjectStorageError(.invalidURL, "uploading several files needs a destination prefix ending in '/': \(destination)")
        }
        var config = try OSSConfiguration.fromEnvironment()
        config.partSize = Int64(partSize) << 20
        config.parallelism = jobs
        let client = OSSCommand.client(config)
        for file in files {
            let key = asPrefix ? destination.key + URL(fileURLWithPath: file).lastPathComponent : destination.key
            let reporter = ProgressReporter(label: URL(fileURLWithPath: file).lastPathComponent, total: nil)
            let result = try client.uploadFile(at: file, bucket: destination.bucket, key: key,
                                               checkpointDirectory: checkpointDir.map { URL(fileURLWithPath: $0) },
                                               overwrite: force, progress: { done, total in reporter.update(done, total) })
            reporter.finish()
            var line = "uploaded \(file) -> oss://\(result.bucket)/\(result.key) (\(TransferProgress.bytes(result.size)), crc64 \(result.crc64)"
            if result.multipart { line += ", \(result.partsUploaded) parts sent" }
            if result.partsResumed > 0 { line += ", \(result.partsResumed) resumed" }
            print(line + ")")
        }
    }
}

/// What the OSS commands share: a client whose retries are logged.
enum OSSCommand {
    /// A client whose retries are logged to standard error.
    static func client(_ config: OSSConfiguration) -> OSSClient {
        let client = OSSClient(configuration: config)
        client.onRetry = { line in FileHandle.standardError.write(Data("vaultops: \(line)\n".utf8)) }
        return client
    }
}

extension ProgressReporter {
    /// Records a transfer's progress as the OSS client reports it (bytes done of total).
    func update(_ done: Int64, _ total: Int64) {
        set(total: total)
        set(completed: done)
    }
}
