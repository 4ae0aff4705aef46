import Foundation
import ObjectStorage
import Storage
import VaultopsCore

extension ClusterRestore {
    /// A whole-server set fetched from OSS into a private temporary folder, removed when the value is released.
    public final class RemoteSet {
        /// The downloaded globals artifact; the rest of the set lies beside it.
        public let globals: URL
        private let folder: URL

        /// Downloads `oss://BUCKET/PREFIX/NAME_globals_….sql.gz` and every artifact under the same prefix whose
        /// manifest names the same backup (`cluster_source`, `cluster_run`), each with its manifest.
        public init(location text: String, settings: OSSSettings) throws {
            let location = try OSSLocation(parsing: text)
            let key = location.key
            let name = (key as NSString).lastPathComponent
            let prefix = key.hasSuffix(name) ? String(key.dropLast(name.count)) : ""
            let backend = try settings.backend(bucket: location.bucket, prefix: prefix)
            let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
            folder = base.appendingPathComponent("vaultops-restore-all-\(UUID().uuidString.prefix(8))", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            globals = folder.appendingPathComponent(name)
            do {
                let head = try Manifest.decode(try backend.load(name + Manifest.sidecarSuffix, range: nil), file: text + Manifest.sidecarSuffix)
                guard let set = ClusterArtifacts.member(of: head), set.role == .globals else {
                    throw RestoreRequestError("restore --all takes the globals artifact of a whole-server backup; \(name)'s manifest does not name it one")
                }
                for entry in try backend.list(prefix: set.name + "_", recursive: false) where entry.kind == .object {
                    guard let parsed = ArtifactName.parse(entry.name), parsed.isManifest, !parsed.isPartial else { continue }
                    let data = try backend.load(entry.name, range: nil)
                    guard let manifest = try? Manifest.decode(data, file: entry.name),
                          let member = ClusterArtifacts.member(of: manifest), member.name == set.name, member.run == set.run
                    else { continue }
                    try data.write(to: folder.appendingPathComponent(entry.name))
                    _ = try backend.load(parsed.artifactFileName, to: folder.appendingPathComponent(parsed.artifactFileName), progress: nil)
                }
            } catch {
                try? FileManager.default.removeItem(at: folder)
                throw error
            }
        }

        deinit { try? FileManager.default.removeItem(at: folder) }
    }
}

@available(*, unavailable) extension ClusterRestore.RemoteSet: Sendable {}
