import Crypto
import Foundation
import ObjectStorage
import Retention
import Storage
import VaultopsCore

/// The backups under one OSS prefix, for `Pruner`: a thin adapter over the storage interface's `OSSBackend`.
///
/// Lists the objects directly under the prefix (delimiter `/`) and the multipart uploads started there and
/// never finished. Deeper "folders" are listed as `.other` (as `LocalFolderStore` does with subfolders), so
/// prune never reaches into another prefix. Removal is idempotent: DeleteMultipleObjects ignores a missing key
/// and an upload already gone (`NoSuchUpload`) counts as aborted.
/// - Important: wraps an `OSSClient`, so it stays on the client's thread.
public struct OSSRetentionStore: RetentionStore {
    /// The storage the backups are in.
    public let backend: OSSBackend
    public var client: OSSClient { backend.client }
    public var bucket: String { backend.bucket }
    /// The key prefix, empty or ending in `/`.
    public var prefix: String { backend.prefix }

    /// A store over `backend`'s prefix.
    public init(backend: OSSBackend) {
        self.backend = backend
    }

    /// A store for `oss://bucket/prefix`; a prefix without a trailing `/` gets one.
    public init(client: OSSClient, bucket: String, prefix: String) {
        self.init(backend: OSSBackend(client: client, bucket: bucket, prefix: prefix))
    }

    /// `nightly` → `nightly/`, `/a/b/` → `a/b/`, `` → ``.
    public static func normalized(prefix: String) -> String { OSSBackend.normalized(prefix: prefix) }

    public var location: String { backend.location }

    public func list() throws(RetentionError) -> [StoredObject] {
        var objects: [StoredObject] = []
        do {
            for entry in try backend.list(prefix: "", recursive: false) {
                objects.append(StoredObject(name: entry.name, size: entry.size, modified: entry.modified,
                                            kind: entry.kind == .object ? .file : .other))
            }
            for upload in try backend.incompleteUploads() where !upload.name.isEmpty && !upload.name.contains("/") {
                objects.append(StoredObject(name: upload.name, size: 0, modified: upload.initiated,
                                            kind: .multipartUpload(uploadID: upload.uploadID)))
            }
        } catch {
            throw RetentionError(.listFailed, "cannot list the OSS prefix", object: location, underlying: Self.text(error))
        }
        return objects
    }

    public func read(_ object: StoredObject, limit: Int) throws(RetentionError) -> Data {
        guard object.kind == .file else {
            throw RetentionError(.readFailed, "only complete objects are read", object: location + object.name)
        }
        guard object.size > 0, limit > 0 else { return Data() }
        do {
            return try backend.load(object.name, range: 0...(min(object.size, Int64(limit)) - 1))
        } catch {
            throw RetentionError(.readFailed, "cannot read the object", object: location + object.name, underlying: Self.text(error))
        }
    }

    public func remove(_ object: StoredObject) throws(RetentionError) {
        do {
            switch object.kind {
            case .file:
                try backend.remove([object.name])
            case let .multipartUpload(uploadID):
                try backend.abortUpload(object.name, uploadID: uploadID)
            case .other:
                throw RetentionError(.removeFailed, "only objects and multipart uploads are removed", object: location + object.name)
            }
        } catch let error as RetentionError {
            throw error
        } catch {
            throw RetentionError(.removeFailed, "cannot remove the object", object: location + object.name, underlying: Self.text(error))
        }
    }

    /// With a CRC-64 in the manifest (`run` records it when it uploads), compares it with the one OSS computed
    /// over the stored bytes (HeadObject's `x-oss-hash-crc64ecma`): nothing is downloaded. Without one (a manifest
    /// uploaded by hand or by an older vaultops), downloads the object in ranges and compares its SHA-256.
    public func checkContent(_ object: StoredObject, against manifest: ManifestSummary) -> ContentCheck {
        guard object.kind == .file else { return .unavailable("not a complete object") }
        if let size = manifest.byteSize, size != object.size {
            return .differs("size \(object.size) differs from the manifest's \(size)")
        }
        do {
            if let expected = manifest.crc64 {
                let info = try backend.stat(object.name)
                guard let reported = info.crc64 else { return .unavailable("OSS reported no CRC-64 for \(location + object.name)") }
                return reported == expected ? .matches("CRC-64 reported by OSS")
                    : .differs("CRC-64 \(reported) reported by OSS differs from the manifest's \(expected): the object is damaged")
            }
            guard let expected = manifest.sha256 else { return .unavailable("its manifest records neither a CRC-64 nor a SHA-256") }
            var hasher = SHA256()
            var offset: Int64 = 0
            let step: Int64 = 16 << 20
            while offset < object.size {
                let end = min(object.size, offset + step) - 1
                let chunk = try backend.load(object.name, range: offset...end)
                guard !chunk.isEmpty else { break }
                hasher.update(data: chunk)
                offset += Int64(chunk.count)
            }
            let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            return hex == expected ? .matches("SHA-256 of the downloaded object")
                : .differs("SHA-256 \(hex) differs from the manifest's \(expected): the object is damaged")
        } catch {
            return .unavailable("cannot check \(location + object.name): \(Self.text(error))")
        }
    }

    /// Objects go in DeleteMultipleObjects requests of up to 1,000 keys; multipart uploads are aborted one by one.
    public func remove(batch objects: [StoredObject]) -> [String: RetentionError] {
        var failures: [String: RetentionError] = [:]
        let files = objects.filter { $0.kind == .file }
        for start in stride(from: 0, to: files.count, by: 1000) {
            let chunk = files[start..<min(start + 1000, files.count)]
            do {
                try backend.remove(chunk.map(\.name))
            } catch {
                for object in chunk {
                    failures[object.name] = RetentionError(.removeFailed, "cannot remove the object", object: location + object.name,
                                                           underlying: Self.text(error))
                }
            }
        }
        for object in objects where object.kind != .file {
            do { try remove(object) } catch { failures[object.name] = error }
        }
        return failures
    }

    private static func text(_ error: any Error) -> String { Redacted.text(String(describing: error)) }
}

@available(*, unavailable)
extension OSSRetentionStore: Sendable {}
