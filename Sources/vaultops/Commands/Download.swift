import ArgumentParser
import Artifacts
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
            --decrypt (one object): an encrypted artifact (.age) is decrypted with --identity (or \
            --passphrase-file) and saved without its .age ending; every chunk is authenticated before the file \
            appears. A missing or wrong identity is exit 2, a damaged file exit 3.
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

    @Flag(help: "One encrypted artifact (.age): save it decrypted, without the .age ending.")
    var decrypt = false

    @OptionGroup var identity: IdentityOptions

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
        if decrypt {
            try downloadDecrypted(location)
            return
        }
        let dest = try DownloadDestination.path(for: location, given: destination, force: force)
        let backend = try objectSettings().bucketBackend(location)
        let reporter = ProgressReporter(label: URL(fileURLWithPath: location.key).lastPathComponent, total: nil)
        let result = try backend.load(location.key, to: URL(fileURLWithPath: dest), progress: { done, total in reporter.update(done, total) })
        reporter.finish()
        var line = "downloaded \(location) -> \(dest) (\(TransferProgress.bytes(result.size)), crc64 \(result.crc64)"
        if result.resumedFrom > 0 { line += ", resumed at \(TransferProgress.bytes(result.resumedFrom))" }
        print(line + ")")
    }

    /// The storage settings for one object: the config's (and its .env), --limit-download, and --wait with its status lines.
    private func objectSettings() throws -> OSSSettings {
        var settings = try config.settings()
        settings.waitForRestore = wait
        settings.limitDownload = limitDownload
        settings.onRestoreStatus = OSSCommand.restoreStatusPrinter
        return settings
    }

    /// `--decrypt`: the object downloaded to a temporary file beside the destination, decrypted into place, the
    /// encrypted download removed.
    private func downloadDecrypted(_ location: OSSLocation) throws {
        guard location.key.hasSuffix(ArtifactName.encryptedSuffix) else {
            throw ValidationError("--decrypt needs an encrypted artifact (a key ending in \(ArtifactName.encryptedSuffix))")
        }
        guard let keys = try identity.keys() else {
            throw ValidationError("--decrypt needs the identity that reads the artifact: --identity FILE (or $VAULTOPS_IDENTITY_FILE)")
        }
        let plainKey = OSSLocation(bucket: location.bucket, key: ArtifactFormat.innerName(of: location.key))
        let dest = try DownloadDestination.path(for: plainKey, given: destination, force: force)
        let encrypted = URL(fileURLWithPath: dest + ".download-\(UUID().uuidString.prefix(8))" + ArtifactName.encryptedSuffix)
        defer { try? FileManager.default.removeItem(at: encrypted) }
        let backend = try objectSettings().bucketBackend(location)
        let reporter = ProgressReporter(label: URL(fileURLWithPath: location.key).lastPathComponent, total: nil)
        let result = try backend.load(location.key, to: encrypted, progress: { done, total in reporter.update(done, total) })
        reporter.finish()
        try ArtifactDecryption.decrypt(encrypted, keys: keys, to: URL(fileURLWithPath: dest), replacing: force)
        print("downloaded \(location) -> \(dest) (decrypted with \(keys.origin); \(TransferProgress.bytes(result.size)) encrypted, crc64 \(result.crc64))")
    }
}
