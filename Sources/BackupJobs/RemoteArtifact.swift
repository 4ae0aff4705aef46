import Foundation
import ObjectStorage
import VaultopsCore

/// An artifact fetched from OSS into a private temporary folder, removed when the value is released.
public final class RemoteArtifact {
    /// The downloaded artifact, under its own file name (the name tells its format).
    public let local: URL
    /// Whether the manifest sidecar was found beside it on OSS (and downloaded too).
    public let hasManifest: Bool
    private let folder: URL

    /// Downloads `oss://BUCKET/KEY` and `KEY.manifest.json` when it exists (CRC-64 checked, resumable).
    public init(location text: String, configuration: OSSConfiguration,
                progress: ((_ done: Int64, _ total: Int64) -> Void)? = nil) throws {
        let location = try OSSLocation(parsing: text)
        let name = (location.key as NSString).lastPathComponent
        guard !location.key.isEmpty, !location.key.hasSuffix("/"), !name.isEmpty else {
            throw ObjectStorageError(.invalidURL, "'\(text)' names no object: expected oss://BUCKET/KEY")
        }
        let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        folder = base.appendingPathComponent("vaultops-restore-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        local = folder.appendingPathComponent(name)
        let client = OSSClient(configuration: configuration)
        do {
            _ = try client.download(bucket: location.bucket, key: location.key, to: local.path, progress: progress)
            let manifestKey = location.key + Manifest.sidecarSuffix
            var found = true
            do {
                _ = try client.headObject(bucket: location.bucket, key: manifestKey)
            } catch let error as ObjectStorageError where error.httpStatus == 404 {
                found = false
            }
            if found {
                _ = try client.download(bucket: location.bucket, key: manifestKey,
                                        to: Manifest.sidecarURL(for: local).path)
            }
            hasManifest = found
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

@available(*, unavailable) extension RemoteArtifact: Sendable {}
