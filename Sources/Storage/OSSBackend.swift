import Foundation
import ObjectStorage

/// Objects under one OSS bucket prefix, over an `OSSClient` (which signs, retries and checks CRC-64s).
///
/// Errors are `ObjectStorageError`s as the client throws them, so messages keep OSS's code, RequestId and
/// hints. Multipart uploads that were started and never finished are OSS's own: `incompleteUploads` and
/// `abortUpload` reach them (prune removes them).
/// - Important: holds an `OSSClient` (one libcurl handle), so it stays on one thread.
public struct OSSBackend: StorageBackend {
    public let client: OSSClient
    public let bucket: String
    /// The key prefix names are relative to: empty or ending in `/`.
    public let prefix: String

    /// A backend for `oss://bucket/prefix`; a prefix without a trailing `/` gets one.
    public init(client: OSSClient, bucket: String, prefix: String = "") {
        self.client = client
        self.bucket = bucket
        self.prefix = Self.normalized(prefix: prefix)
    }

    /// `nightly` → `nightly/`, `/a/b/` → `a/b/`, `` → ``.
    public static func normalized(prefix: String) -> String {
        var p = Substring(prefix)
        while p.hasPrefix("/") { p = p.dropFirst() }
        return p.isEmpty || p.hasSuffix("/") ? String(p) : String(p) + "/"
    }

    public var location: String { "oss://\(bucket)/\(prefix)" }

    /// The prefix: OSS's 1,023-byte limit applies to it and the name together.
    public var keyPrefix: String { prefix }

    /// The object key of `name`.
    public func key(_ name: String) -> String { prefix + name }

    /// A backend with a sibling client: same settings and retry log, its own libcurl handle.
    public func sibling(parallelism: Int) -> OSSBackend {
        OSSBackend(client: client.sibling(parallelism: parallelism), bucket: bucket, prefix: prefix)
    }

    public func isNotFound(_ error: any Error) -> Bool {
        guard let error = error as? ObjectStorageError else { return false }
        return error.httpStatus == 404 && error.serviceCode != "NoSuchBucket"
    }

    /// 403 AccessDenied (a RAM policy that allows no deletion: the two-key pattern) and 409 FileImmutable (a
    /// retention policy, WORM). Signature and credential errors are 403 too, and stay failures.
    public func isProtected(_ error: any Error) -> Bool {
        guard let error = error as? ObjectStorageError, error.kind == .service else { return false }
        return (error.httpStatus == 403 && error.serviceCode == "AccessDenied") || error.serviceCode == "FileImmutable"
    }

    public func save(_ name: String, from file: URL, options: SaveOptions, progress: StorageProgress?) throws -> SavedObject {
        let result = try client.uploadFile(at: file.path, bucket: bucket, key: key(name), checkpointDirectory: options.checkpointDirectory,
                                           contentType: options.contentType, overwrite: options.overwrite, progress: progress)
        var saved = SavedObject(name: name, size: result.size, crc64: result.crc64)
        saved.multipart = result.multipart
        saved.partsSent = result.partsUploaded
        saved.partsResumed = result.partsResumed
        return saved
    }

    public func save(_ name: String, data: Data, options: SaveOptions) throws -> SavedObject {
        let result = try client.putObject(bucket: bucket, key: key(name), data: data, contentType: options.contentType,
                                          overwrite: options.overwrite)
        return SavedObject(name: name, size: Int64(data.count), crc64: result.crc64)
    }

    public func load(_ name: String, range: ClosedRange<Int64>?) throws -> Data {
        try client.getObject(bucket: bucket, key: key(name), range: range)
    }

    public func load(_ name: String, to destination: URL, listed: StorageEntry?, progress: StorageProgress?) throws -> LoadedObject {
        // A listed entry's size and ETag stand in for HeadObject (the download checks them against what it gets).
        let known = listed.flatMap { entry in
            entry.etag.map { ObjectSummary(key: key(name), size: entry.size, etag: $0, lastModified: entry.modified) }
        }
        let result = try client.download(bucket: bucket, key: key(name), to: destination.path, known: known, progress: progress)
        return LoadedObject(size: result.size, crc64: result.crc64, resumedFrom: result.resumedFrom)
    }

    public func stat(_ name: String) throws -> StorageEntry {
        let info = try client.headObject(bucket: bucket, key: key(name))
        return StorageEntry(name: name, size: info.size, modified: info.lastModified, crc64: info.crc64, etag: info.etag,
                            storageClass: info.storageClass)
    }

    /// ListObjectsV2 pages (delimiter `/` unless `recursive`); a "folder" placeholder object at the backend's own
    /// prefix (an empty name) is not listed.
    public func list(prefix namePrefix: String, recursive: Bool) throws -> [StorageEntry] {
        var entries: [StorageEntry] = []
        var token: String?
        repeat {
            let page = try client.listObjectsPage(bucket: bucket, prefix: key(namePrefix), delimiter: recursive ? nil : "/",
                                                  continuationToken: token)
            for object in page.objects {
                let name = String(object.key.dropFirst(prefix.count))
                guard !name.isEmpty else { continue }
                entries.append(StorageEntry(name: name, size: object.size, modified: object.lastModified, etag: object.etag,
                                            storageClass: object.storageClass))
            }
            for folder in page.commonPrefixes {
                entries.append(StorageEntry(name: String(folder.dropFirst(prefix.count)), size: 0, modified: nil, kind: .folder))
            }
            token = page.nextContinuationToken
        } while token != nil
        // OSS lists in UTF-8 byte order; a flat listing interleaves each page's objects and folders again.
        return recursive ? entries : entries.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// DeleteObject: OSS answers 204 whether or not the object existed.
    public func remove(_ name: String) throws {
        try client.deleteObject(bucket: bucket, key: key(name))
    }

    /// DeleteMultipleObjects, 1,000 keys a request.
    public func remove(_ names: [String]) throws {
        guard !names.isEmpty else { return }
        try client.deleteObjects(bucket: bucket, keys: names.map(key))
    }

    /// Multipart uploads under `namePrefix` that were started and never completed or aborted.
    public func incompleteUploads(prefix namePrefix: String = "") throws -> [IncompleteUpload] {
        try client.listMultipartUploads(bucket: bucket, prefix: key(namePrefix)).map {
            IncompleteUpload(name: String($0.key.dropFirst(prefix.count)), uploadID: $0.uploadId, initiated: $0.initiated)
        }
    }

    /// Aborts one incomplete multipart upload; one already gone (`NoSuchUpload`) counts as aborted.
    public func abortUpload(_ upload: IncompleteUpload) throws {
        do {
            try client.abortMultipartUpload(bucket: bucket, key: key(upload.name), uploadId: upload.uploadID)
        } catch let error as ObjectStorageError where error.serviceCode == "NoSuchUpload" {
            return
        }
    }
}

@available(*, unavailable)
extension OSSBackend: Sendable {}
