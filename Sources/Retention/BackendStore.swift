import Crypto
import Foundation
import Storage
import VaultopsCore

/// The backups directly in a storage backend's root, for `Pruner`: the one store behind every prune, a local
/// folder's and an OSS prefix's alike.
///
/// Lists the objects directly in the root (sub-folders, links and the like as `.other`, so prune never reaches
/// into them or through them) and the uploads started there and never finished (OSS multipart). Removal is
/// idempotent, as the backend's is.
/// - Important: uses the backend on the caller's thread (an OSS backend owns one libcurl handle).
public struct BackendStore<Backend: StorageBackend>: RetentionStore {
    /// The storage the backups are in.
    public let backend: Backend

    /// A store over `backend`'s root.
    public init(_ backend: Backend) {
        self.backend = backend
    }

    /// The backend's location as reports name it (a local folder by its path, `/var/backups`).
    public var location: String { backend.displayLocation }

    public func list() throws(RetentionError) -> [StoredObject] {
        var objects: [StoredObject] = []
        do {
            for entry in try backend.list(prefix: "", recursive: false) {
                objects.append(StoredObject(name: backend.displayName(of: entry), size: entry.size, modified: entry.modified,
                                            kind: entry.kind == .object ? .file : .other))
            }
            for upload in try backend.incompleteUploads(prefix: "") where !upload.name.isEmpty && !upload.name.contains("/") {
                objects.append(StoredObject(name: upload.name, size: 0, modified: upload.initiated,
                                            kind: .multipartUpload(uploadID: upload.uploadID)))
            }
        } catch {
            throw RetentionError(.listFailed, "cannot list the backups", object: location, underlying: Self.text(error))
        }
        return objects
    }

    public func read(_ object: StoredObject, limit: Int) throws(RetentionError) -> Data {
        guard object.kind == .file else {
            throw RetentionError(.readFailed, "only complete objects are read", object: full(object))
        }
        guard object.size > 0, limit > 0 else { return Data() }
        do {
            return try backend.load(object.name, range: 0...(min(object.size, Int64(limit)) - 1))
        } catch {
            throw RetentionError(.readFailed, "cannot read the object", object: full(object), underlying: Self.text(error))
        }
    }

    public func remove(_ object: StoredObject) throws(RetentionError) {
        do {
            switch object.kind {
            case .file:
                // Durable when it returns (a local folder is synced): an artifact is gone for good before its
                // manifest is removed, or a crash could bring back an artifact without a manifest.
                try backend.remove(object.name)
            case let .multipartUpload(uploadID):
                try backend.abortUpload(IncompleteUpload(name: object.name, uploadID: uploadID, initiated: object.modified))
            case .other:
                throw RetentionError(.removeFailed, "only complete objects and unfinished uploads are removed", object: full(object))
            }
        } catch let error as RetentionError {
            throw error
        } catch {
            throw removalError(object, error)
        }
    }

    /// `.protected` when the storage refuses on purpose (`isProtected`), else `.removeFailed`.
    private func removalError(_ object: StoredObject, _ error: any Error) -> RetentionError {
        backend.isProtected(error)
            ? RetentionError(.protected, "protected: the storage does not allow removing it", object: full(object), underlying: Self.text(error))
            : RetentionError(.removeFailed, "cannot remove the object", object: full(object), underlying: Self.text(error))
    }

    /// Objects go in batches of up to 1,000 (one OSS DeleteMultipleObjects request, one sync of a local folder);
    /// unfinished uploads are aborted one by one.
    ///
    /// After each batch one listing tells which of its objects went and which are still there: only those are
    /// failures, so a manifest is kept exactly when its artifact is. OSS answers a batch delete with success even
    /// when a retention policy (WORM) kept some of its objects, so an object still listed is never counted as
    /// removed: it is `.protected` (kept on purpose, by WORM or a policy without delete permission), or a failure.
    public func remove(batch objects: [StoredObject]) -> [String: RetentionError] {
        var failures: [String: RetentionError] = [:]
        let files = objects.filter { $0.kind == .file }
        for start in stride(from: 0, to: files.count, by: 1000) {
            let chunk = files[start..<min(start + 1000, files.count)]
            var failure: (any Error)?
            do {
                try backend.remove(chunk.map(\.name))
            } catch {
                failure = error
            }
            let remaining = (try? backend.list(prefix: "", recursive: false)).map { Set($0.map(\.name)) }
            for object in chunk where remaining?.contains(object.name) ?? (failure != nil) {
                if let failure {
                    failures[object.name] = removalError(object, failure)
                } else {
                    failures[object.name] = RetentionError(.protected, "protected: still there after its removal succeeded "
                                                           + "(a retention policy, WORM, keeps it)", object: full(object))
                }
            }
        }
        for object in objects where object.kind != .file {
            do { try remove(object) } catch { failures[object.name] = error }
        }
        return failures
    }

    /// With a CRC-64 in the manifest (`run` records it when it uploads) and one the backend computed over the
    /// stored bytes (OSS's HeadObject), compares the two: nothing is downloaded. Otherwise reads the object in
    /// ranges and compares its SHA-256 with the manifest's.
    public func checkContent(_ object: StoredObject, against manifest: ManifestSummary) -> ContentCheck {
        guard object.kind == .file else { return .unavailable("not a complete object") }
        if let size = manifest.byteSize, size != object.size {
            return .differs("size \(object.size) differs from the manifest's \(size)")
        }
        do {
            if let expected = manifest.crc64, let reported = try backend.stat(object.name).crc64 {
                return reported == expected ? .matches("CRC-64 reported by OSS")
                    : .differs("CRC-64 \(reported) reported by OSS differs from the manifest's \(expected): the object is damaged")
            }
            guard let expected = manifest.sha256 else {
                return .unavailable(manifest.crc64 == nil ? "its manifest records neither a CRC-64 nor a SHA-256"
                                                          : "\(location) reports no CRC-64 and the manifest records no SHA-256")
            }
            let hex = try Self.sha256(of: object.name, size: object.size, in: backend)
            return hex == expected ? .matches("SHA-256")
                : .differs("SHA-256 \(hex) differs from the manifest's \(expected): the object is damaged")
        } catch {
            return .unavailable("cannot check \(full(object)): \(Self.text(error))")
        }
    }

    /// The lowercase hex SHA-256 of the first `size` bytes of `name`, read in 16 MiB ranges (memory stays flat).
    static func sha256(of name: String, size: Int64, in backend: Backend) throws -> String {
        var hasher = SHA256()
        var offset: Int64 = 0
        let step: Int64 = 16 << 20
        while offset < size {
            let chunk = try backend.load(name, range: offset...(min(size, offset + step) - 1))
            guard !chunk.isEmpty else { break }
            hasher.update(data: chunk)
            offset += Int64(chunk.count)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private func full(_ object: StoredObject) -> String {
        backend.location + object.name
    }

    private static func text(_ error: any Error) -> String { Redacted.text(String(describing: error)) }
}

@available(*, unavailable)
extension BackendStore: Sendable {}

extension Pruner {
    /// Prunes the backups directly in `backend`'s root (a local folder or an OSS prefix) under `policy`.
    public static func run(backend: some StorageBackend, policy: RetentionPolicy, now: Date = Date(),
                           timeZone: TimeZone = .current, dryRun: Bool) throws(RetentionError) -> PruneReport {
        try run(store: BackendStore(backend), policy: policy, now: now, timeZone: timeZone, dryRun: dryRun)
    }
}
