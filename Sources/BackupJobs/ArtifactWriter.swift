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

    public init(outputDirectory: URL, name: String? = nil, level: Int = 6, jobs: Int = 1, timeZone: TimeZone = .current) {
        self.outputDirectory = outputDirectory
        self.name = name
        self.level = level
        self.jobs = jobs
        self.timeZone = timeZone
    }
}

/// What a finished backup left on disk.
public struct BackupResult: Sendable {
    public let artifact: URL
    public let manifestURL: URL
    public let manifest: Manifest
}

/// What the producer of an artifact's content reports about it, for the manifest.
public struct ProducedContent: Sendable {
    public var source: String
    public var originalPath: String?
    public var serverVersion: String?
    public var tables: [String: Int64]?
    public var extra: [String: String]?

    public init(source: String, originalPath: String? = nil, serverVersion: String? = nil,
                tables: [String: Int64]? = nil, extra: [String: String]? = nil) {
        self.source = source
        self.originalPath = originalPath
        self.serverVersion = serverVersion
        self.tables = tables
        self.extra = extra
    }
}

/// Writes one artifact: picks its name, streams gzip into `<name>.partial`, commits it, then writes the manifest.
///
/// A crash at any point leaves at most a `.partial` file, never something that looks like a finished backup:
/// the artifact is renamed into place only after fsync, and the manifest comes last.
public enum ArtifactWriter {
    /// Checks that `directory` exists, is a folder and is writable, creating nothing.
    public static func checkOutputDirectory(_ directory: URL) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir) else {
            throw BackupJobError.outputFolder(path: directory.path, reason: "does not exist")
        }
        guard isDir.boolValue else { throw BackupJobError.outputFolder(path: directory.path, reason: "is not a folder") }
        guard access(directory.path, W_OK | X_OK) == 0 else {
            throw BackupJobError.outputFolder(path: directory.path, reason: "is not writable (\(String(cString: strerror(errno))))")
        }
    }

    /// Produces an artifact of `kind` named after `sourceName` in the options' folder.
    ///
    /// `produce` writes the uncompressed content into the sink it is given and returns what the manifest records;
    /// `expectedBytes`, when known, lets the progress display show an ETA.
    public static func write(kind: ArtifactKind, sourceName: String, options: BackupOptions, now: Date = Date(),
                             expectedBytes: Int64? = nil,
                             produce: (ByteSink) throws -> ProducedContent) throws -> BackupResult {
        try checkOutputDirectory(options.outputDirectory)
        let started = Date()
        let fileName = try ArtifactName.chooseName(source: sourceName, kind: kind, at: now, timeZone: options.timeZone,
                                                   in: options.outputDirectory)
        let destination = options.outputDirectory.appendingPathComponent(fileName)
        let file = try AtomicFile(destination: destination)
        let content: ProducedContent
        let uncompressed: UInt64
        do {
            // On SQLite's binary pages libdeflate needs a deeper search than on text (SQL, most folders) to stay
            // as small as gzip at the same level.
            let engine: DeflateEngine = kind == .sqlite ? .libdeflatePages : .libdeflate
            let gzip = try GzipWriter(sink: file, level: options.level, jobs: options.jobs, engine: engine)
            let progress = ProgressReporter(label: fileName, total: expectedBytes)
            defer { progress.finish() }
            content = try produce(ProgressSink(gzip, progress: progress))
            try gzip.finish()
            uncompressed = gzip.uncompressedBytes
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
        let manifest = Manifest(
            kind: kind,
            source: content.source,
            createdAt: now,
            artifact: fileName,
            sizeBytes: Int64(file.bytesWritten),
            sha256: file.sha256Hex ?? "",
            uncompressedBytes: Int64(uncompressed),
            durationSeconds: Date().timeIntervalSince(started),
            serverVersion: content.serverVersion,
            tables: content.tables,
            originalPath: content.originalPath,
            extra: content.extra
        )
        let manifestURL = Manifest.sidecarURL(for: destination)
        try AtomicFile.write(data: try manifest.encoded(), to: manifestURL)
        return BackupResult(artifact: destination, manifestURL: manifestURL, manifest: manifest)
    }
}
