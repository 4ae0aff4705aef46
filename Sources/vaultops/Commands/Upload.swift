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
            OSS_SESSION_TOKEN (STS), OSS_ENDPOINT and OSS_REGION. A destination ending in '/' (or a bare \
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

    mutating func run() throws {
        guard paths.count >= 2 else {
            throw ObjectStorageError(.invalidURL, "upload needs at least one FILE and a destination oss://BUCKET/PREFIX/")
        }
        let destination = try OSSLocation(parsing: paths.last!)
        let files = paths.dropLast()
        guard (1...1024).contains(partSize), (1...64).contains(jobs) else {
            throw ObjectStorageError(.invalidConfiguration, "--part-size must be 1-1024 MiB and --jobs 1-64")
        }
        let folders = files.filter { path in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
        }
        if !folders.isEmpty {
            guard folders.count == files.count else {
                throw ValidationError("give either files or folders to upload, not both (folders: \(folders.joined(separator: ", ")))")
            }
            try mirror(Array(folders), to: destination)
            return
        }
        if delete || dryRun {
            throw ValidationError("--delete and --dry-run apply to mirroring folders; \(files.joined(separator: ", ")) \(files.count == 1 ? "is a file" : "are files")")
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
        try upload(Array(files), to: destination, asPrefix: asPrefix)
    }
}

extension Upload {
    /// The OSS settings of this command line: part size and parallelism from --part-size and --jobs.
    var settings: OSSSettings {
        var settings = OSSCommand.settings()
        settings.partSize = Int64(partSize) << 20
        settings.parallelism = jobs
        return settings
    }

    /// Uploads each file, and an artifact given with its manifest sidecar as `run` uploads it (artifact first,
    /// the manifest recording the artifact's CRC-64 as `crc64ecma`: `ArtifactUpload`).
    func upload(_ files: [String], to destination: OSSLocation, asPrefix: Bool) throws {
        let backend = try settings.bucketBackend(destination)
        var options = SaveOptions(overwrite: force)
        options.checkpointDirectory = checkpointDir.map { URL(fileURLWithPath: $0) }
        let given = Set(files)
        let manifests = Set(files.filter { !$0.hasSuffix(Manifest.sidecarSuffix) && given.contains($0 + Manifest.sidecarSuffix) }
            .map { $0 + Manifest.sidecarSuffix })
        for file in files where !manifests.contains(file) {
            let url = URL(fileURLWithPath: file)
            let key = asPrefix ? destination.key + url.lastPathComponent : destination.key
            let reporter = ProgressReporter(label: url.lastPathComponent, total: nil)
            let progress: StorageProgress = { done, total in reporter.update(done, total) }
            if asPrefix && manifests.contains(file + Manifest.sidecarSuffix) {
                let result = try ArtifactUpload.upload(artifact: url, manifest: Manifest.sidecarURL(for: url), as: key, to: backend,
                                                       options: options, progress: progress)
                reporter.finish()
                printUploaded(file, result.artifact, bucket: destination.bucket)
                printUploaded(file + Manifest.sidecarSuffix, result.manifest, bucket: destination.bucket)
            } else {
                let saved = try backend.save(key, from: url, options: options, progress: progress)
                reporter.finish()
                printUploaded(file, saved, bucket: destination.bucket)
            }
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
        let backend = try settings.backend(bucket: destination.bucket, prefix: destination.key)
        let options = MirrorOptions(jobs: jobs, delete: delete, dryRun: dryRun,
                                    checkpointDirectory: checkpointDir.map { URL(fileURLWithPath: $0) })
        let reporter = dryRun ? nil : ProgressReporter(label: "upload", total: nil)
        let report = try FolderMirror.upload(directories: folders, to: backend, options: options, progress: reporter,
                                       events: OSSCommand.mirrorEventPrinter(dryRun: dryRun, verbose: verbose))
        reporter?.finish()
        try OSSCommand.finish(report)
    }
}

/// What the OSS commands share: settings (and so backends) whose retries are logged.
enum OSSCommand {
    /// The OSS settings from the environment, with retries logged to standard error.
    static func settings() -> OSSSettings {
        OSSSettings(onRetry: { line in FileHandle.standardError.write(Data("vaultops: \(line)\n".utf8)) })
    }

    /// Prints mirror events: problems and failures to standard error always; on a dry run every decision
    /// to standard output; otherwise sent and deleted files only when `verbose`.
    static func mirrorEventPrinter(dryRun: Bool, verbose: Bool) -> @Sendable (MirrorEvent) -> Void {
        { event in
            switch event {
            case let .problem(problem):
                TerminalOutput.shared.writeLine("vaultops: not mirrored: \(problem)")
            case let .failed(subject, message):
                TerminalOutput.shared.writeLine("vaultops: FAILED \(subject): \(Redacted.text(message))")
            case let .sent(subject, bytes, reason) where dryRun || verbose:
                print("\(dryRun ? "would send" : "sent") \(subject) (\(reason.rawValue), \(ProgressReporter.formatBytes(bytes)))")
            case let .skipped(subject) where dryRun:
                print("would skip \(subject) (same size and CRC-64)")
            case let .deleted(subject) where dryRun || verbose:
                print("\(dryRun ? "would delete" : "deleted") \(subject)")
            default:
                break
            }
        }
    }

    /// Prints a mirror's summary; exits 1 when a file failed or was not mirrored.
    static func finish(_ report: MirrorReport) throws {
        print(report.summary)
        if !report.ok { throw CommandExit(code: .failure) }
    }
}

extension ProgressReporter {
    /// Records a transfer's progress as the OSS client reports it (bytes done of total).
    func update(_ done: Int64, _ total: Int64) {
        set(total: total)
        set(completed: done)
    }
}
