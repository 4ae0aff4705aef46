import Foundation

/// One entry of a backup location: a file in a folder, an object under an OSS prefix, or an unfinished
/// OSS multipart upload.
public struct StoredObject: Sendable, Hashable {
    /// What kind of entry this is.
    public enum Kind: Sendable, Hashable {
        /// A regular file or a complete object.
        case file
        /// A multipart upload that was started and never completed or aborted; `uploadID` names it.
        case multipartUpload(uploadID: String)
        /// Something prune never touches: a folder, a symbolic link, a device.
        case other
    }

    /// The name relative to the location (a file name, or the key with the prefix removed).
    public var name: String
    /// Size in bytes (0 for uploads and other entries).
    public var size: Int64
    /// Last modification time (file mtime, object Last-Modified, upload initiation time).
    public var modified: Date?
    /// What kind of entry this is.
    public var kind: Kind

    /// Creates an entry.
    public init(name: String, size: Int64, modified: Date?, kind: Kind = .file) {
        self.name = name
        self.size = size
        self.modified = modified
        self.kind = kind
    }
}

/// What a store found when it compared an artifact's content with its manifest.
public enum ContentCheck: Sendable, Hashable {
    /// The content matches; the text names the check (`SHA-256`, `CRC-64 reported by OSS`).
    case matches(String)
    /// The content differs from what the manifest records; the text says how.
    case differs(String)
    /// The content could not be checked (unreadable, no checksum to compare); the text says why.
    case unavailable(String)

    /// True only when the content was checked and matched.
    public var matched: Bool { if case .matches = self { true } else { false } }
}

/// A place that holds backups and can list, read and remove them: a local folder or an OSS prefix.
///
/// Prune works only through this protocol, so a folder and an OSS prefix are pruned by the same code. Its one
/// implementation is `BackendStore`, over any `StorageBackend`; tests wrap that to make removals fail or crash.
/// - Important: `remove` must be idempotent (removing something already gone succeeds), because a prune
///   that was interrupted is finished by the next one.
public protocol RetentionStore {
    /// The location for messages and reports, e.g. `/var/backups` or `oss://bucket/nightly/`.
    var location: String { get }
    /// Every entry directly in the location, in any order.
    func list() throws(RetentionError) -> [StoredObject]
    /// The first `limit` bytes of a file (manifests are small; the limit keeps memory flat).
    func read(_ object: StoredObject, limit: Int) throws(RetentionError) -> Data
    /// Removes a file or aborts a multipart upload; succeeds when it is already gone.
    func remove(_ object: StoredObject) throws(RetentionError)
    /// Checks the artifact's content against its manifest now (a folder: SHA-256; OSS: the CRC-64 OSS
    /// computed, else SHA-256 over a download), so a damaged artifact never counts as a good backup.
    ///
    /// Prune calls it only for the artifacts that would become a source's newest verified backup.
    func checkContent(_ object: StoredObject, against manifest: ManifestSummary) -> ContentCheck
    /// Removes several entries, as few requests as the store allows; returns the failures by name.
    ///
    /// Every removal must be durable when it returns, as for `remove(_:)`. The default removes one at a time.
    func remove(batch objects: [StoredObject]) -> [String: RetentionError]
}

extension RetentionStore {
    public func remove(batch objects: [StoredObject]) -> [String: RetentionError] {
        var failures: [String: RetentionError] = [:]
        for object in objects {
            do { try remove(object) } catch { failures[object.name] = error }
        }
        return failures
    }
}
