import Artifacts
import Crypto
import Foundation
import ObjectStorage
import Retention
import Storage
import VaultopsCore

/// Ships an artifact and its manifest sidecar to storage: the one upload path of `run` and `vaultops upload`.
///
/// The artifact goes first: a prune running elsewhere takes a manifest without its artifact for an orphan and
/// removes it, while an artifact without a manifest is left alone until the manifest follows. The manifest that
/// goes up records the artifact's CRC-64 (`crc64ecma`), which prune on OSS compares with the CRC-64 OSS computes
/// over the stored bytes (no download). It is taken in the same read as a SHA-256 that must match the manifest,
/// so it describes the verified backup, not whatever the file holds now.
public enum ArtifactUpload {
    /// What went up.
    public struct Result: Sendable, Equatable {
        public var artifact: SavedObject
        public var manifest: SavedObject
        /// Bytes sent, artifact and manifest together.
        public var bytes: Int64 { artifact.size + manifest.size }
    }

    /// Uploads `artifact` as `name` and `manifest` as `name` + `.manifest.json`, the manifest with the artifact's
    /// CRC-64 recorded. Refuses (and sends nothing) when the artifact's SHA-256 is not the manifest's; deletes the
    /// artifact's object again when the file changed while it went up.
    public static func upload(artifact: URL, manifest: URL, as name: String, to backend: any StorageBackend,
                              options: SaveOptions, progress: StorageProgress? = nil) throws -> Result {
        var described = try Manifest.load(from: manifest)
        let digest = try digest(of: artifact)
        guard digest.sha256 == described.sha256 else {
            throw ArtifactError.failed("\(artifact.path) changed since it was verified (SHA-256 \(digest.sha256), manifest "
                                        + "\(described.sha256)); not uploaded")
        }
        var artifactOptions = options
        artifactOptions.contentType = "application/gzip"
        let first = try backend.save(name, from: artifact, options: artifactOptions, progress: progress)
        guard first.crc64 == digest.crc64 else {
            try? backend.remove(name)
            throw ArtifactError.failed("\(artifact.path) changed while it was uploaded; the object was deleted")
        }
        var extra = described.extra ?? [:]
        extra[ManifestSummary.crc64Key] = String(digest.crc64)
        extra[ManifestSummary.crc64Key + "_note"] = "CRC-64/ECMA-182 of the artifact, read with its SHA-256 when it was uploaded; "
            + "OSS reports it as x-oss-hash-crc64ecma, and prune on OSS compares the two instead of downloading the artifact"
        described.extra = extra
        var manifestOptions = options
        manifestOptions.contentType = "application/json"
        let second = try backend.save(name + Manifest.sidecarSuffix, data: try described.encoded(), options: manifestOptions)
        return Result(artifact: first, manifest: second)
    }

    /// SHA-256 (lowercase hex) and CRC-64/ECMA-182 of a file, in one read.
    static func digest(of file: URL) throws -> (sha256: String, crc64: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw ArtifactError.failed("cannot open \(file.path) to upload it")
        }
        defer { try? handle.close() }
        var sha = SHA256()
        var crc = CRC64()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            sha.update(data: chunk)
            crc.update(chunk)
        }
        return (sha.finalize().map { String(format: "%02x", $0) }.joined(), crc.value)
    }
}
