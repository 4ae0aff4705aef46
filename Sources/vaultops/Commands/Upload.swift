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

    mutating func run() throws {
        try OSSCommand.run {
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
                let reporter = ProgressReporter(label: URL(fileURLWithPath: file).lastPathComponent)
                let result = try client.uploadFile(at: file, bucket: destination.bucket, key: key,
                                                   checkpointDirectory: checkpointDir.map { URL(fileURLWithPath: $0) },
                                                   progress: { done, total in reporter.update(done, total) })
                reporter.finish()
                var line = "uploaded \(file) -> oss://\(result.bucket)/\(result.key) (\(TransferProgress.bytes(result.size)), crc64 \(result.crc64)"
                if result.multipart { line += ", \(result.partsUploaded) parts sent" }
                if result.partsResumed > 0 { line += ", \(result.partsResumed) resumed" }
                print(line + ")")
            }
        }
    }
}

/// What the OSS commands share: configuration from the environment, retries logged, errors to exit codes.
enum OSSCommand {
    /// Runs `body`, printing an `ObjectStorageError` (or any error) and exiting with SPEC's status: 2 for
    /// usage and configuration mistakes, 1 for failures.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ObjectStorageError {
            FileHandle.standardError.write(Data("vaultops: error: \(error)\n".utf8))
            throw ArgumentParser.ExitCode(VaultopsExitCode.for(error).rawValue)
        } catch let error as ArgumentParser.ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("vaultops: error: \(Redacted.text(String(describing: error)))\n".utf8))
            throw ArgumentParser.ExitCode(VaultopsExitCode.for(error).rawValue)
        }
    }

    /// A client whose retries are logged to standard error.
    static func client(_ config: OSSConfiguration) -> OSSClient {
        let client = OSSClient(configuration: config)
        client.onRetry = { line in FileHandle.standardError.write(Data("vaultops: \(line)\n".utf8)) }
        return client
    }
}

/// Shows transfer progress: a redrawn line on a terminal, a plain line every 10% otherwise (cron logs).
final class ProgressReporter: @unchecked Sendable {
    // Safety: the mutable fields are only touched under `lock`; upload workers call `update` concurrently.
    private let lock = NSLock()
    private let label: String
    private let start = Date()
    private let terminal = isatty(STDERR_FILENO) == 1
    private var lastDraw = Date.distantPast
    private var lastDecile = -1
    private var drew = false

    init(label: String) { self.label = label }

    func update(_ done: Int64, _ total: Int64) {
        lock.withLock {
            let now = Date()
            let text = TransferProgress.line(label: label, done: done, total: total, elapsed: now.timeIntervalSince(start))
            if terminal {
                guard now.timeIntervalSince(lastDraw) >= 0.2 || done == total else { return }
                lastDraw = now
                drew = true
                FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            } else {
                let decile = total > 0 ? Int(done * 10 / total) : 10
                guard decile > lastDecile else { return }
                lastDecile = decile
                FileHandle.standardError.write(Data("\(text)\n".utf8))
            }
        }
    }

    func finish() {
        lock.withLock {
            if terminal && drew { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}
