import Crypto
import Foundation
import ObjectStorage
import Retention
import VaultopsCore

/// The backups under one OSS prefix, for `Pruner`: objects directly under the prefix (ListObjectsV2 pages
/// with delimiter `/`) and the multipart uploads started there and never finished.
///
/// Deeper "folders" are not listed (as `LocalFolderStore` ignores subfolders), so prune never reaches
/// into another prefix. Removal uses DeleteMultipleObjects (idempotent: a missing key is not an error)
/// and AbortMultipartUpload (`NoSuchUpload` counts as already gone).
/// - Important: wraps an `OSSClient`, so it stays on the client's thread.
public struct OSSRetentionStore: RetentionStore {
    public let client: OSSClient
    public let bucket: String
    /// The key prefix, empty or ending in `/`.
    public let prefix: String

    /// A store for `oss://bucket/prefix`; a prefix without a trailing `/` gets one.
    public init(client: OSSClient, bucket: String, prefix: String) {
        self.client = client
        self.bucket = bucket
        self.prefix = OSSRetentionStore.normalized(prefix: prefix)
    }

    /// `nightly` → `nightly/`, `/a/b/` → `a/b/`, `` → ``.
    public static func normalized(prefix: String) -> String {
        var p = Substring(prefix)
        while p.hasPrefix("/") { p = p.dropFirst() }
        return p.isEmpty || p.hasSuffix("/") ? String(p) : String(p) + "/"
    }

    public var location: String { "oss://\(bucket)/\(prefix)" }

    public func list() throws(RetentionError) -> [StoredObject] {
        var objects: [StoredObject] = []
        do {
            var token: String?
            repeat {
                let page = try client.listObjectsPage(bucket: bucket, prefix: prefix, delimiter: "/", continuationToken: token)
                for object in page.objects {
                    let name = String(object.key.dropFirst(prefix.count))
                    // The prefix itself (a "folder" placeholder object) is not a backup.
                    guard !name.isEmpty else { continue }
                    objects.append(StoredObject(name: name, size: object.size, modified: object.lastModified))
                }
                for folder in page.commonPrefixes {
                    objects.append(StoredObject(name: String(folder.dropFirst(prefix.count)), size: 0, modified: nil, kind: .other))
                }
                token = page.nextContinuationToken
            } while token != nil
            for upload in try client.listMultipartUploads(bucket: bucket, prefix: prefix) {
                let name = String(upload.key.dropFirst(prefix.count))
                guard !name.isEmpty, !name.contains("/") else { continue }
                objects.append(StoredObject(name: name, size: 0, modified: upload.initiated,
                                            kind: .multipartUpload(uploadID: upload.uploadId)))
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
            let end = min(object.size, Int64(limit)) - 1
            return try client.getObject(bucket: bucket, key: prefix + object.name, range: 0...end)
        } catch {
            throw RetentionError(.readFailed, "cannot read the object", object: location + object.name, underlying: Self.text(error))
        }
    }

    public func remove(_ object: StoredObject) throws(RetentionError) {
        let key = prefix + object.name
        do {
            switch object.kind {
            case .file:
                try client.deleteObjects(bucket: bucket, keys: [key])
            case let .multipartUpload(uploadID):
                do {
                    try client.abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadID)
                } catch let error as ObjectStorageError where error.serviceCode == "NoSuchUpload" {
                    return
                }
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
        let key = prefix + object.name
        guard object.kind == .file else { return .unavailable("not a complete object") }
        if let size = manifest.byteSize, size != object.size {
            return .differs("size \(object.size) differs from the manifest's \(size)")
        }
        do {
            if let expected = manifest.crc64 {
                let info = try client.headObject(bucket: bucket, key: key)
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
                let chunk = try client.getObject(bucket: bucket, key: key, range: offset...end)
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
                try client.deleteObjects(bucket: bucket, keys: chunk.map { prefix + $0.name })
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
