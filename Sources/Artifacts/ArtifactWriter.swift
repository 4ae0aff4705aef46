import Age
import Archive
import Foundation
import VaultopsCore

/// Options shared by every backup: where, under which name, and how hard to compress.
public struct BackupOptions: Sendable {
    public var outputDirectory: URL
    public var name: String?
    public var level: Int
    public var jobs: Int
    public var timeZone: TimeZone
    /// Whom to encrypt to; nil writes a plain artifact. Encrypted artifacts end in `.age` (`db_20250101.sql.gz.age`).
    public var encryption: EncryptionRecipients?

    public init(outputDirectory: URL, name: String? = nil, level: Int = 6, jobs: Int = 1, timeZone: TimeZone = .current,
                encryption: EncryptionRecipients? = nil) {
        self.outputDirectory = outputDirectory
        self.name = name
        self.level = level
        self.jobs = jobs
        self.timeZone = timeZone
        self.encryption = encryption
    }
}

/// What a finished backup left on disk.
public struct BackupResult: Sendable {
    public let artifact: URL
    public let manifestURL: URL
    public let manifest: Manifest
    /// Things the backup noticed but that did not stop it (sockets not archived, files that changed while read).
    public var warnings: [String] = []
    /// Files stored although they changed while read (only when changes are allowed; `backup` then exits 5).
    public var changedFiles: [String] = []
    /// Paths a files backup left out because `exclude:` matched them (paths on disk).
    public var excluded: [String] = []
    /// Folders a files backup stored empty because they are on another file system (`one_file_system:`).
    public var skippedMountPoints: [String] = []

    public init(artifact: URL, manifestURL: URL, manifest: Manifest, warnings: [String] = [], changedFiles: [String] = []) {
        self.artifact = artifact
        self.manifestURL = manifestURL
        self.manifest = manifest
        self.warnings = warnings
        self.changedFiles = changedFiles
    }
}

/// What the producer of an artifact's content reports about it, for the manifest.
public struct ProducedContent: Sendable {
    public var source: String
    public var originalPath: String?
    public var serverVersion: String?
    public var tables: [String: Int64]?
    public var extra: [String: String]?
    /// Dumps: the contents entries and their ranges in the script, for the manifest's `dump_index`.
    public var dumpData: [DumpIndex.DataEntry]?

    public init(source: String, originalPath: String? = nil, serverVersion: String? = nil,
                tables: [String: Int64]? = nil, extra: [String: String]? = nil) {
        self.source = source
        self.originalPath = originalPath
        self.serverVersion = serverVersion
        self.tables = tables
        self.extra = extra
    }
}

/// Writes one artifact: picks its name, streams gzip into `<name>.partial`, puts the manifest into place, then
/// renames the artifact into place.
///
/// With `BackupOptions.encryption` the gzip stream is encrypted to age on a thread of its own behind the
/// (parallel) compression: gzip → `WriteBehindSink` → `AgeWriter` → the file, which hashes what it writes, so the
/// manifest's size and SHA-256 are those of the encrypted file and can be checked without the key.
///
/// A crash at any point never leaves something that looks like a finished backup: before the manifest's rename
/// there is at most a `.partial`; between the two renames there is a manifest without its artifact (nothing a
/// reader can take for a backup; prune removes it as an orphan, and the next backup picks another name); an
/// artifact only ever appears with its manifest already beside it. Both are fsynced before their renames.
public enum ArtifactWriter {
    /// Checks that `directory` is a writable folder, creating it (mode 0700) when it is missing and its parent exists.
    ///
    /// A missing parent stays an error naming it: it often means a disk that is not mounted, and creating the
    /// whole path would fill the root file system instead.
    public static func prepareOutputDirectory(_ directory: URL) throws {
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir) {
            let parent = directory.standardizedFileURL.deletingLastPathComponent().path
            var parentIsDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: parent, isDirectory: &parentIsDir), parentIsDir.boolValue else {
                throw ArtifactError.outputFolder(path: directory.path,
                                                 reason: "does not exist, and neither does its parent \(parent) (is a disk not mounted?)")
            }
            if mkdir(directory.path, 0o700) != 0 && errno != EEXIST {
                throw ArtifactError.outputFolder(path: directory.path, reason: "does not exist and cannot be created (\(String(cString: strerror(errno))))")
            }
            // mkdir's mode is filtered by the umask; backups are private whatever it is.
            chmod(directory.path, 0o700)
            isDir = true
        }
        guard isDir.boolValue else { throw ArtifactError.outputFolder(path: directory.path, reason: "is not a folder") }
        guard access(directory.path, W_OK | X_OK) == 0 else {
            throw ArtifactError.outputFolder(path: directory.path, reason: "is not writable (\(String(cString: strerror(errno))))")
        }
    }

    /// Produces an artifact of `kind` named after `sourceName` in the options' folder.
    ///
    /// `produce` writes the uncompressed content into the sink it is given and returns what the manifest records;
    /// `expectedBytes`, when known, lets the progress display show an ETA.
    public static func write(kind: ArtifactKind, sourceName: String, options: BackupOptions, now: Date = Date(),
                             expectedBytes: Int64? = nil,
                             produce: (ByteSink) throws -> ProducedContent) throws -> BackupResult {
        try write(kind: kind, sourceName: sourceName, options: options, now: now, expectedBytes: expectedBytes,
                  betweenRenames: nil, produce: produce)
    }

    /// `write`, with a hook run between the two renames (tests inject a crash there).
    package static func write(kind: ArtifactKind, sourceName: String, options: BackupOptions, now: Date = Date(),
                              expectedBytes: Int64? = nil, betweenRenames: (() throws -> Void)?,
                              produce: (ByteSink) throws -> ProducedContent) throws -> BackupResult {
        try prepareOutputDirectory(options.outputDirectory)
        let started = Date()
        let fileName = try ArtifactName.chooseName(source: sourceName, kind: kind, at: now, timeZone: options.timeZone,
                                                   encrypted: options.encryption != nil, in: options.outputDirectory)
        let destination = options.outputDirectory.appendingPathComponent(fileName)
        let file = try AtomicFile(destination: destination)
        let manifestURL = Manifest.sidecarURL(for: destination)
        var manifestInPlace = false
        var encryptor: WriteBehindSink?
        var manifest: Manifest
        do {
            var compressed: ByteSink = file
            if let encryption = options.encryption {
                let age = try AgeWriter(recipients: encryption.recipients, output: file)
                // The file is the encryptor's until `finish()` returns (see WriteBehindSink).
                encryptor = WriteBehindSink(age, finish: { try age.finish() })
                compressed = encryptor!
            }
            // Dumps get access points whatever the jobs, for restores of one table (the manifest's dump_index).
            let gzip = try GzipWriter(sink: compressed, level: options.level, jobs: options.jobs, engine: kind.handler.deflateEngine,
                                      accessPoints: kind == .postgres)
            let progress = ProgressReporter(label: fileName, total: expectedBytes)
            defer { progress.finish() }
            let content = try produce(ProgressSink(gzip, progress: progress))
            try gzip.finish()
            try encryptor?.finish()
            try file.seal()
            var made = Manifest(
                kind: kind,
                source: content.source,
                createdAt: now,
                artifact: fileName,
                sizeBytes: Int64(file.bytesWritten),
                sha256: file.sha256Hex ?? "",
                uncompressedBytes: Int64(gzip.uncompressedBytes),
                durationSeconds: Date().timeIntervalSince(started),
                serverVersion: content.serverVersion,
                tables: content.tables,
                originalPath: content.originalPath,
                extra: content.extra
            )
            if let data = content.dumpData {
                made.dumpIndex = DumpIndex(blocks: gzip.accessPoints.map { [Int64($0.compressed), Int64($0.uncompressed)] }, data: data)
            }
            made.encryption = options.encryption.map { ManifestEncryption(recipients: $0.described) }
            manifest = made
            // Manifest first: a reader never sees the artifact without it (see the type's doc).
            try AtomicFile.write(data: try manifest.encoded(), to: manifestURL)
            manifestInPlace = true
            try betweenRenames?()
            try file.commit()
        } catch {
            // The encryptor's thread may still be writing to the file: stop it before the file goes.
            encryptor?.cancel()
            file.discard()
            if manifestInPlace {
                _ = unlink(manifestURL.path)
                try? AtomicFile.syncDirectory(of: manifestURL.path)
            }
            throw error
        }
        return BackupResult(artifact: destination, manifestURL: manifestURL, manifest: manifest)
    }
}
