import Foundation
import TestSupport
import VaultopsCore
@testable import Retention
import Storage

/// A real temporary folder filled with made-up backups: artifact files, manifests, partials and strangers.
final class BackupFolder {
    let dir: TempDir
    var path: String { dir.path }
    var store: BackendStore<LocalFolderBackend> { BackendStore(LocalFolderBackend(path: dir.path)) }

    init() throws { dir = try TempDir("retention") }

    /// Writes an artifact of `bytes` bytes and (unless `manifest` is false) its manifest.
    ///
    /// `manifestSize` records a different size in the manifest (a damaged or truncated artifact).
    /// The manifest records the artifact's real SHA-256, since prune checks its anchors' content.
    func backup(_ name: String, bytes: Int = 64, createdAt: Date?, manifest: Bool = true, manifestSize: Int? = nil,
                modified: Date? = nil) throws {
        let url = dir.file(name)
        // Content that depends on the name, so no two artifacts are alike.
        let seed = Array(name.utf8)
        try Data((0..<bytes).map { seed[$0 % seed.count] &+ UInt8(truncatingIfNeeded: $0) }).write(to: url)
        if let modified { try setModified(name, modified) }
        guard manifest else { return }
        let written = Manifest(kind: ArtifactName.parse(name)?.kind ?? .postgres, source: "postgres://app@db/app",
                               createdAt: createdAt ?? Date(timeIntervalSince1970: 0), artifact: name,
                               sizeBytes: Int64(manifestSize ?? bytes), sha256: try BackendStore.sha256(of: name, size: Int64(bytes), in: LocalFolderBackend(path: dir.path)),
                               uncompressedBytes: Int64(bytes) * 3, durationSeconds: 1.5)
        try written.encoded().write(to: dir.file(name + ".manifest.json"))
        if let modified { try setModified(name + ".manifest.json", modified) }
    }

    /// Writes any file with `text` as its content.
    func file(_ name: String, _ text: String = "x", modified: Date? = nil) throws {
        try Data(text.utf8).write(to: dir.file(name))
        if let modified { try setModified(name, modified) }
    }

    func folder(_ name: String) throws {
        try FileManager.default.createDirectory(at: dir.file(name), withIntermediateDirectories: true)
    }

    func setModified(_ name: String, _ date: Date) throws {
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: dir.file(name).path)
    }

    /// The names now in the folder.
    func names() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
    }
}

/// A store that works like `inner` until `removalsBeforeCrash` removals have happened, then behaves like a
/// process that died: every further call fails and nothing more changes on disk.
final class CrashingStore<Inner: RetentionStore>: RetentionStore {
    let inner: Inner
    var removalsLeft: Int
    private(set) var crashed = false

    init(_ inner: Inner, removalsBeforeCrash: Int) {
        self.inner = inner
        removalsLeft = removalsBeforeCrash
    }

    var location: String { inner.location }

    func list() throws(RetentionError) -> [StoredObject] {
        if crashed { throw RetentionError(.listFailed, "crashed") }
        return try inner.list()
    }

    func read(_ object: StoredObject, limit: Int) throws(RetentionError) -> Data {
        if crashed { throw RetentionError(.readFailed, "crashed") }
        return try inner.read(object, limit: limit)
    }

    func checkContent(_ object: StoredObject, against manifest: ManifestSummary) -> ContentCheck {
        crashed ? .unavailable("crashed") : inner.checkContent(object, against: manifest)
    }

    func remove(_ object: StoredObject) throws(RetentionError) {
        if removalsLeft == 0 { crashed = true }
        if crashed { throw RetentionError(.removeFailed, "crashed", object: object.name) }
        try inner.remove(object)
        removalsLeft -= 1
    }
}
