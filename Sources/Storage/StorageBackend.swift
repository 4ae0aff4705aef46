import ErrorKinds
import Foundation

/// One stored object (or a "folder" of them) as a backend lists or stats it.
public struct StorageEntry: Sendable, Equatable {
    /// What kind of entry this is.
    public enum Kind: Sendable, Equatable {
        /// A complete object or regular file.
        case object
        /// A folder (OSS: a common prefix), listed by a non-recursive listing; its name ends in `/`.
        case folder
        /// Something that is neither (a symbolic link, a device): listed, never read or removed.
        case other
    }

    /// The name relative to the backend's root (`nightly/db_20250101.sql.gz`).
    public var name: String
    public var size: Int64
    public var modified: Date?
    /// The CRC-64/ECMA-182 the backend computed over the stored bytes (OSS's `x-oss-hash-crc64ecma`), when it
    /// reports one without reading the object; nil for a local folder.
    public var crc64: UInt64?
    /// OSS's ETag (upper-case hex, unquoted); nil for a local folder.
    public var etag: String?
    public var kind: Kind
    /// OSS's storage class (`Standard`, `IA`, `Archive`, `ColdArchive`); nil for a local folder.
    public var storageClass: String?

    public init(name: String, size: Int64, modified: Date?, crc64: UInt64? = nil, etag: String? = nil, kind: Kind = .object,
                storageClass: String? = nil) {
        self.storageClass = storageClass
        self.name = name
        self.size = size
        self.modified = modified
        self.crc64 = crc64
        self.etag = etag
        self.kind = kind
    }
}

/// How `save` writes an object.
public struct SaveOptions: Sendable {
    /// Replace an existing object; false (the safe choice for backups) fails when one exists.
    public var overwrite: Bool
    public var contentType: String
    /// Where resumable uploads keep their checkpoints (OSS multipart); nil for the default.
    public var checkpointDirectory: URL?

    public init(overwrite: Bool = false, contentType: String = "application/octet-stream", checkpointDirectory: URL? = nil) {
        self.overwrite = overwrite
        self.contentType = contentType
        self.checkpointDirectory = checkpointDirectory
    }
}

/// What `save` stored.
public struct SavedObject: Sendable, Equatable {
    public var name: String
    public var size: Int64
    /// CRC-64/ECMA-182 of the bytes stored, checked against the backend's own where it computes one.
    public var crc64: UInt64
    /// Parts sent in this call and parts found from an interrupted earlier one (OSS multipart; 0 otherwise).
    public var partsSent = 0
    public var partsResumed = 0
    public var multipart = false

    public init(name: String, size: Int64, crc64: UInt64) {
        self.name = name
        self.size = size
        self.crc64 = crc64
    }
}

/// What `load(_:to:)` fetched.
public struct LoadedObject: Sendable, Equatable {
    public var size: Int64
    /// CRC-64/ECMA-182 of the file written (checked against the backend's where it reports one).
    public var crc64: UInt64
    /// Bytes already on disk from an interrupted earlier download (OSS; 0 otherwise).
    public var resumedFrom: Int64

    public init(size: Int64, crc64: UInt64, resumedFrom: Int64 = 0) {
        self.size = size
        self.crc64 = crc64
        self.resumedFrom = resumedFrom
    }
}

/// Reports bytes done of the total while a transfer runs (possibly from worker threads).
public typealias StorageProgress = @Sendable (_ done: Int64, _ total: Int64) -> Void

/// A place that stores named objects: a local folder or an OSS bucket prefix (restic's backend, in small).
///
/// Names are relative to the backend's root and use `/` between folders. Retries, checksums of every transfer
/// and resumption live in the implementations (OSS: `OSSClient`), so callers see one call per operation.
/// Errors are the implementation's own (OSS errors keep OSS's code, RequestId and hints); `isNotFound` tells a
/// missing object apart, as restic's `IsNotExist` does.
/// - Important: implementations are not thread-safe (an OSS client owns one libcurl handle).
public protocol StorageBackend {
    /// The root for messages, e.g. `/var/backups/` or `oss://bucket/nightly/`.
    var location: String { get }
    /// The root as reports name it on its own (a local folder's path without its trailing `/`); `location` by default.
    var displayLocation: String { get }
    /// What the backend puts before every name to make the stored key (an OSS prefix; "" by default), for limits that
    /// apply to the whole key (OSS: 1,023 bytes).
    var keyPrefix: String { get }
    /// `entry`'s name as reports show it: a local folder's sub-folders without their `/`; the name itself by default.
    func displayName(of entry: StorageEntry) -> String
    /// Stores the file at `file` under `name`, streamed (memory stays flat), CRC-64 checked.
    func save(_ name: String, from file: URL, options: SaveOptions, progress: StorageProgress?) throws -> SavedObject
    /// Stores `data` under `name` (for small objects such as manifests).
    func save(_ name: String, data: Data, options: SaveOptions) throws -> SavedObject
    /// The bytes of `name`, or of `range` of it (clamped to the object's end).
    func load(_ name: String, range: ClosedRange<Int64>?) throws -> Data
    /// Writes `name` to the file `destination` (through `destination.partial`, renamed when complete and checked).
    ///
    /// `listed` is the entry as a listing gave it, so the backend need not ask for its size again (OSS: no HeadObject).
    func load(_ name: String, to destination: URL, listed: StorageEntry?, progress: StorageProgress?) throws -> LoadedObject
    /// Size, date and (where the backend reports one) CRC-64 of `name`.
    func stat(_ name: String) throws -> StorageEntry
    /// Entries whose names start with `prefix`: every object below it when `recursive`, else only those directly
    /// in the prefix's folder, plus that folder's sub-folders as `.folder` entries. In UTF-8 byte order of the names.
    func list(prefix: String, recursive: Bool) throws -> [StorageEntry]
    /// Removes `name`; succeeds when it is already gone (an interrupted prune is finished by the next one).
    func remove(_ name: String) throws
    /// Removes several objects, in as few requests as the backend allows; idempotent like `remove(_:)`.
    func remove(_ names: [String]) throws
    /// Whether `error` (thrown by this backend) means the object does not exist.
    func isNotFound(_ error: any Error) -> Bool
    /// Whether `error` (from a removal) means the storage refuses to remove the object on purpose: the credentials
    /// may not delete (OSS 403 AccessDenied: the two-key pattern), or a retention policy (WORM) holds it.
    func isProtected(_ error: any Error) -> Bool
    /// A backend over the same storage for another thread, with up to `parallelism` transfers of its own at once
    /// (OSS: a new client with this one's settings and its own connection; a local folder: itself).
    func sibling(parallelism: Int) -> Self
    /// Uploads under `prefix` that were started and never completed or aborted (OSS multipart; a local folder has
    /// none: its unfinished writes are files, listed like any other).
    func incompleteUploads(prefix: String) throws -> [IncompleteUpload]
    /// Gives up an incomplete upload and frees what it holds; one already gone counts as aborted.
    func abortUpload(_ upload: IncompleteUpload) throws
}

/// An upload that was started and never completed or aborted (an OSS multipart upload): it holds storage until
/// it is aborted, and prune removes it once it is stale.
public struct IncompleteUpload: Sendable, Hashable {
    /// The name it would have had, relative to the backend's root.
    public var name: String
    /// The backend's handle on it (OSS's UploadId).
    public var uploadID: String
    /// When it was started, when the backend says.
    public var initiated: Date?

    public init(name: String, uploadID: String, initiated: Date?) {
        self.name = name
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

extension StorageBackend {
    public var displayLocation: String { location }

    public var keyPrefix: String { "" }

    public func displayName(of entry: StorageEntry) -> String { entry.name }

    /// Never: a local folder has no such protection (a permission error is a failure to fix).
    public func isProtected(_ error: any Error) -> Bool { false }

    /// Whether `name` exists (`stat`, with a missing object meaning no).
    public func exists(_ name: String) throws -> Bool {
        do {
            _ = try stat(name)
            return true
        } catch where isNotFound(error) {
            return false
        }
    }

    public func remove(_ names: [String]) throws {
        for name in names { try remove(name) }
    }

    /// Writes `name` to the file `destination`, as `load(_:to:listed:progress:)` without a listed entry.
    public func load(_ name: String, to destination: URL, progress: StorageProgress?) throws -> LoadedObject {
        try load(name, to: destination, listed: nil, progress: progress)
    }

    /// `stat`, with nil for an object that does not exist (deleted since it was listed, or never there).
    public func statIfPresent(_ name: String) throws -> StorageEntry? {
        do {
            return try stat(name)
        } catch where isNotFound(error) {
            return nil
        }
    }

    /// None: only backends with resumable uploads of their own (OSS) have any.
    public func incompleteUploads(prefix: String) throws -> [IncompleteUpload] { [] }

    public func abortUpload(_ upload: IncompleteUpload) throws {}
}

/// A storage failure outside OSS (the local folder), naming the object and what went wrong.
public struct StorageError: Error, CustomStringConvertible, Sendable, Equatable, KindedError {
    /// What went wrong.
    public enum Kind: String, Sendable {
        /// The object does not exist.
        case notFound
        /// `save` without `overwrite` found an object under the name.
        case alreadyExists
        /// The name cannot be stored (empty, absolute, a `.`/`..` segment).
        case invalidName
        /// Reading, writing or removing failed.
        case io
        /// The bytes read back are not the bytes written.
        case checksumMismatch
    }

    public var kind: Kind
    /// The object's full location (`/var/backups/db.sql.gz`).
    public var object: String
    public var message: String

    public init(_ kind: Kind, _ message: String, object: String) {
        self.kind = kind
        self.message = message
        self.object = object
    }

    public var description: String { "\(object): \(message)" }
    public var failureKind: FailureKind { kind == .invalidName ? .usage : .failure }
}
