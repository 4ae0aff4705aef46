import Foundation
import ObjectStorage
import Storage
import VaultopsCore

/// `vaultops upload PATH... oss://BUCKET/PREFIX/`: what the paths ask for (mirroring folders, or sending files), and
/// sending the files, an artifact given with its manifest sidecar as `run` sends it (`ArtifactUpload`).
public enum FileUpload {
    /// What an upload command line asks for.
    public enum Plan: Sendable, Equatable {
        /// Mirror these folders to the destination prefix.
        case mirror([String])
        /// Send these files, in this order.
        case files([Item])
    }

    /// One file to send, to its key; an artifact whose manifest sidecar was given too goes with it.
    public struct Item: Sendable, Equatable {
        /// The local file.
        public var file: String
        /// The object key in the destination bucket.
        public var key: String
        /// The artifact's manifest sidecar (`file` + `.manifest.json`), when it was given beside it.
        public var manifest: String?

        public init(file: String, key: String, manifest: String?) {
            self.file = file
            self.key = key
            self.manifest = manifest
        }
    }

    /// A command line that asks for something the upload cannot do; the command shows it with its usage.
    public struct RequestError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// What `paths` ask for with `destination`: all folders are mirrored; all files are sent, to the prefix under
    /// their own names when `destination` ends in `/` (or is a bare bucket), else one file to the exact key.
    ///
    /// Throws `RequestError` for folders mixed with files and for `mirrorOnly` flags (`--delete`, `--dry-run`)
    /// given with files; `ObjectStorageError` for a path that is not a file and several files to one key.
    public static func plan(_ paths: [String], to destination: OSSLocation, mirrorOnly: Bool) throws -> Plan {
        let folders = paths.filter(isDirectory)
        if !folders.isEmpty {
            guard folders.count == paths.count else {
                throw RequestError(message: "give either files or folders to upload, not both (folders: \(folders.joined(separator: ", ")))")
            }
            return .mirror(folders)
        }
        if mirrorOnly {
            throw RequestError(message: "--delete and --dry-run apply to mirroring folders; \(paths.joined(separator: ", ")) "
                               + "\(paths.count == 1 ? "is a file" : "are files")")
        }
        for file in paths where !FileManager.default.fileExists(atPath: file) || isDirectory(file) {
            throw ObjectStorageError(.invalidConfiguration, "\(file) is not a file")
        }
        let asPrefix = destination.key.isEmpty || destination.key.hasSuffix("/")
        if !asPrefix && paths.count > 1 {
            throw ObjectStorageError(.invalidURL, "uploading several files needs a destination prefix ending in '/': \(destination)")
        }
        return .files(items(paths, to: destination, asPrefix: asPrefix))
    }

    /// Each file with its key; an artifact and its manifest given together (sending to a prefix) become one item.
    static func items(_ files: [String], to destination: OSSLocation, asPrefix: Bool) -> [Item] {
        let given = Set(files)
        let manifests = Set(files.filter { !$0.hasSuffix(Manifest.sidecarSuffix) && given.contains($0 + Manifest.sidecarSuffix) }
            .map { $0 + Manifest.sidecarSuffix })
        return files.filter { !manifests.contains($0) }.map { file in
            let key = asPrefix ? destination.key + URL(fileURLWithPath: file).lastPathComponent : destination.key
            let manifest = file + Manifest.sidecarSuffix
            return Item(file: file, key: key, manifest: asPrefix && manifests.contains(manifest) ? manifest : nil)
        }
    }

    /// Sends each item to `backend` (rooted at the bucket) with a progress line per file; `uploaded` hears of every
    /// object stored (an artifact, then its manifest) with the local file it came from.
    public static func upload(_ items: [Item], to backend: any StorageBackend, options: SaveOptions,
                              uploaded: (_ file: String, _ saved: SavedObject) -> Void) throws {
        for item in items {
            let url = URL(fileURLWithPath: item.file)
            let reporter = ProgressReporter(label: url.lastPathComponent, total: nil)
            let progress: StorageProgress = { done, total in reporter.update(done, total) }
            if let manifest = item.manifest {
                let result = try ArtifactUpload.upload(artifact: url, manifest: Manifest.sidecarURL(for: url), as: item.key,
                                                       to: backend, options: options, progress: progress)
                reporter.finish()
                uploaded(item.file, result.artifact)
                uploaded(manifest, result.manifest)
            } else {
                let saved = try backend.save(item.key, from: url, options: options, progress: progress)
                reporter.finish()
                uploaded(item.file, saved)
            }
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
