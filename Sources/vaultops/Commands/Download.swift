import ArgumentParser
import Foundation
import Mirror
import ObjectStorage
import Storage
import VaultopsCore

/// `vaultops download oss://BUCKET/KEY [DEST]`: a resumable, CRC-checked download;
/// `vaultops download oss://BUCKET/PREFIX/ DIR` mirrors a prefix into a folder.
struct Download: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download an object from OSS, or mirror an OSS prefix into a folder.",
        discussion: """
            With oss://BUCKET/KEY one object is downloaded (resuming an interrupted download, checking CRC-64). \
            With oss://BUCKET/PREFIX/ (ending in '/') and DIR, every object under the prefix is written to \
            DIR/<key below the prefix>, --jobs at a time; a file with the same size and CRC-64 is skipped. \
            Keys that would escape DIR ('..', absolute, empty components) are refused and reported, and \
            nothing is written outside DIR. Exit status 1 when anything failed or was refused.
            """)

    @Argument(help: "The object oss://BUCKET/KEY, or a prefix oss://BUCKET/PREFIX/ to mirror.")
    var source: String

    @Argument(help: "Where to save it (a file or an existing folder; default: the key's name here); the folder for a prefix.")
    var destination: String?

    @Flag(help: "Replace DEST if it exists (one object).")
    var force = false

    @Flag(help: "An Archive/ColdArchive object: wait for its restore (RestoreObject) to finish, then download. Without it, vaultops requests the restore and exits with status 9.")
    var wait = false

    @Option(name: .customLong("limit-download"), help: "Most bytes per second for the whole download (512KiB, 2MiB).")
    var limitDownload: String?

    @Option(help: "Mirroring a prefix: files downloaded at once.")
    var jobs: Int = 4

    @Flag(help: "Mirroring a prefix: list what would be downloaded and skipped, and change nothing.")
    var dryRun = false

    @Flag(name: .shortAndLong, help: "Mirroring a prefix: print a line for every file downloaded.")
    var verbose = false

    @OptionGroup var config: ConfigOption

    mutating func run() throws {
        let location = try OSSLocation(parsing: source)
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be 1-64") }
        if location.key.isEmpty || location.key.hasSuffix("/") {
            guard let destination else {
                throw ValidationError("download needs an object key (oss://BUCKET/KEY), or a destination folder to mirror the prefix into: vaultops download \(source) DIR")
            }
            var mirrorSettings = try config.settings()
            mirrorSettings.limitDownload = limitDownload
            let backend = try mirrorSettings.backend(bucket: location.bucket, prefix: location.key)
            let reporter = dryRun ? nil : ProgressReporter(label: "download", total: nil)
            let report = try FolderMirror.download(from: backend, to: destination,
                                             options: MirrorOptions(jobs: jobs, dryRun: dryRun), progress: reporter,
                                             events: OSSCommand.mirrorEventPrinter(dryRun: dryRun, verbose: verbose))
            reporter?.finish()
            try OSSCommand.finish(report)
            return
        }
        if dryRun { throw ValidationError("--dry-run applies to mirroring a prefix (oss://BUCKET/PREFIX/ DIR)") }
        let dest = try DownloadDestination.path(for: location, given: destination, force: force)
        var settings = try config.settings()
        settings.waitForRestore = wait
        settings.limitDownload = limitDownload
        settings.onRestoreStatus = OSSCommand.restoreStatusPrinter
        let backend = try settings.bucketBackend(location)
        let reporter = ProgressReporter(label: URL(fileURLWithPath: location.key).lastPathComponent, total: nil)
        let result = try backend.load(location.key, to: URL(fileURLWithPath: dest), progress: { done, total in reporter.update(done, total) })
        reporter.finish()
        var line = "downloaded \(location) -> \(dest) (\(TransferProgress.bytes(result.size)), crc64 \(result.crc64)"
        if result.resumedFrom > 0 { line += ", resumed at \(TransferProgress.bytes(result.resumedFrom))" }
        print(line + ")")
    }
}
