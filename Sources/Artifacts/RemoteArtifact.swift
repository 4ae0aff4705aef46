import Foundation
import ObjectStorage
import Storage
import VaultopsCore

/// An artifact fetched from OSS into a private temporary folder, removed when the value is released.
public final class RemoteArtifact {
    /// The downloaded artifact, under its own file name (the name tells its format).
    public let local: URL
    /// Whether the manifest sidecar was found beside it on OSS (and downloaded too).
    public let hasManifest: Bool
    private let folder: URL

    /// Downloads `oss://BUCKET/KEY` and `KEY.manifest.json` when it exists (CRC-64 checked, resumable), through the
    /// storage backend `settings` give.
    public init(location text: String, settings: OSSSettings, progress: StorageProgress? = nil) throws {
        let location = try OSSLocation(parsing: text)
        let name = (location.key as NSString).lastPathComponent
        guard !location.key.isEmpty, !location.key.hasSuffix("/"), !name.isEmpty else {
            throw ObjectStorageError(.invalidURL, "'\(text)' names no object: expected oss://BUCKET/KEY")
        }
        let backend = try settings.bucketBackend(location)
        let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        folder = base.appendingPathComponent("vaultops-restore-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        local = folder.appendingPathComponent(name)
        do {
            _ = try backend.load(location.key, to: local, progress: progress)
            let manifestName = location.key + Manifest.sidecarSuffix
            let found = try backend.exists(manifestName)
            if found {
                _ = try backend.load(manifestName, to: Manifest.sidecarURL(for: local), progress: nil)
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
