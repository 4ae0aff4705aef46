import Archive
import Foundation
import Storage
import VaultopsCore

/// A generation's snapshot against its manifest (written before it): the one check verify and restore share.
enum SnapshotManifest {
    /// The manifest of the snapshot named `snapshotName`; nil when it has none.
    static func load(for snapshotName: String, on backend: any StorageBackend) throws -> Manifest? {
        let name = snapshotName + Manifest.sidecarSuffix
        do {
            return try Manifest.decode(try backend.load(name, range: nil), file: name)
        } catch where backend.isNotFound(error) {
            return nil
        }
    }

    /// What is wrong with `packed` (the downloaded snapshot named `snapshotName`) against `manifest`; nil when its
    /// size and SHA-256 match.
    static func mismatch(_ packed: URL, of snapshotName: String, manifest: Manifest) throws -> String? {
        let size = (try FileManager.default.attributesOfItem(atPath: packed.path)[.size] as? NSNumber)?.int64Value ?? -1
        guard size == manifest.sizeBytes else { return "\(snapshotName): \(size) bytes, its manifest records \(manifest.sizeBytes)" }
        guard try sha256Hex(ofFile: packed.path) == manifest.sha256 else {
            return "\(snapshotName): its SHA-256 is not the one its manifest records; the snapshot is damaged"
        }
        return nil
    }
}
