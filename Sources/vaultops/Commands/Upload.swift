import ArgumentParser
import BackupJobs
import Foundation
import Mirror
import ObjectStorage
import Storage
import VaultopsCore

/// `vaultops upload FILE... oss://BUCKET/PREFIX/`: parallel, resumable uploads with CRC-64 checks;
/// `vaultops upload DIR... oss://BUCKET/PREFIX/` mirrors folders.
struct Upload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload files to OSS, or mirror folders to an OSS prefix.",
        discussion: """
            Credentials and endpoint come from OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, optional \
            OSS_SESSION_TOKEN (STS), OSS_ENDPOINT and OSS_REGION, or the config's oss: block and the .env beside it. A destination ending in '/' (or a bare \
            bucket) receives each file under its own name; a single file may be given an exact key.

            Folders are mirrored: each file goes to PREFIX/<path relative to its folder>, --jobs files at \
            once, large files as resumable multipart uploads. A file whose object already has the same size \
            and CRC-64 is skipped, so a re-run sends only what is missing or changed. --delete removes objects \
            under the prefix whose file is gone; --dry-run only lists what would be sent, skipped and deleted. \
            Symlinks, sockets and unreadable files are reported and make the exit status 1.
            """)

    @Argument(help: "Files or folders to upload, then the destination oss://BUCKET/PREFIX/.")
    var paths: [String]

    @Flag(help: "Mirroring folders: remove objects under the prefix whose file is gone.")
    var delete = false

    @Flag(help: "Mirroring folders: list what would be sent, skipped and deleted, and change nothing.")
    var dryRun = false

    @Flag(name: .shortAndLong, help: "Mirroring folders: print a line for every file sent or deleted.")
    var verbose = false

    @Option(help: "Multipart part size in MiB (at least 1; raised automatically above 10,000 parts).")
    var partSize: Int = 8

    @Option(help: "Files (mirroring) or parts (one file) uploaded at once.")
    var jobs: Int = 4

    @Option(help: "Folder for resume checkpoints (default ~/.cache/vaultops/uploads).")
    var checkpointDir: String?

    @Flag(help: "Replace objects that already exist (by default an existing object is never overwritten).")
    var force = false

    @Option(name: .customLong("storage-class"), help: "Standard, IA, Archive or ColdArchive (default: the config's, else the bucket's).")
    var storageClass: String?

    @Option(name: .customLong("server-side-encryption"), help: "AES256 or KMS: OSS encrypts the objects it stores.")
    var serverSideEncryption: String?

    @Option(name: .customLong("kms-key-id"), help: "The KMS key for --server-side-encryption KMS (default: the account's).")
    var kmsKeyID: String?

    @Option(name: .customLong("limit-upload"), help: "Most bytes per second for the whole upload, all parts together (512KiB, 2MiB).")
    var limitUpload: String?

    @OptionGroup var config: ConfigOption

    mutating func run() throws {
        guard paths.count >= 2 else {
            throw ObjectStorageError(.invalidURL, "upload needs at least one FILE and a destination oss://BUCKET/PREFIX/")
        }
        let destination = try OSSLocation(parsing: paths.last!)
        let files = paths.dropLast()
        guard (1...1024).contains(partSize), (1...64).contains(jobs) else {
            throw ObjectStorageError(.invalidConfiguration, "--part-size must be 1-1024 MiB and --jobs 1-64")
        }
        let plan: FileUpload.Plan
        do {
            plan = try FileUpload.plan(Array(files), to: destination, mirrorOnly: delete || dryRun)
        } catch let error as FileUpload.RequestError {
            throw ValidationError(error.message)
        }
        switch plan {
        case let .mirror(folders): try mirror(folders, to: destination)
        case let .files(items): try upload(items, to: destination)
        }
    }
}

extension Upload {
    /// The OSS settings of this command line: part size and parallelism from --part-size and --jobs.
    func settings() throws -> OSSSettings {
        var settings = try config.settings()
        settings.partSize = Int64(partSize) << 20
        settings.parallelism = jobs
        settings.limitUpload = limitUpload
        settings.storageClass = storageClass
        settings.serverSideEncryption = serverSideEncryption
        settings.kmsKeyID = kmsKeyID
        return settings
    }

    /// Uploads each file, and an artifact given with its manifest sidecar as `run` uploads it (`FileUpload`).
    func upload(_ items: [FileUpload.Item], to destination: OSSLocation) throws {
        var options = SaveOptions(overwrite: force)
        options.checkpointDirectory = checkpointDir.map { URL(fileURLWithPath: $0) }
        try FileUpload.upload(items, to: try settings().bucketBackend(destination), options: options) { file, saved in
            printUploaded(file, saved, bucket: destination.bucket)
        }
    }

    private func printUploaded(_ file: String, _ saved: SavedObject, bucket: String) {
        var line = "uploaded \(file) -> oss://\(bucket)/\(saved.name) (\(TransferProgress.bytes(saved.size)), crc64 \(saved.crc64)"
        if saved.multipart { line += ", \(saved.partsSent) parts sent" }
        if saved.partsResumed > 0 { line += ", \(saved.partsResumed) resumed" }
        print(line + ")")
    }
}

extension Upload {
    /// Mirrors `folders` to the prefix, prints the summary, and exits 1 when anything failed.
    func mirror(_ folders: [String], to destination: OSSLocation) throws {
        let backend = try settings().backend(bucket: destination.bucket, prefix: destination.key)
        let options = MirrorOptions(jobs: jobs, delete: delete, dryRun: dryRun,
                                    checkpointDirectory: checkpointDir.map { URL(fileURLWithPath: $0) })
        let reporter = dryRun ? nil : ProgressReporter(label: "upload", total: nil)
        let report = try FolderMirror.upload(directories: folders, to: backend, options: options, progress: reporter,
                                       events: OSSCommand.mirrorEventPrinter(dryRun: dryRun, verbose: verbose))
        reporter?.finish()
        try OSSCommand.finish(report)
    }
}
