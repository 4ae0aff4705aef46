import Foundation

/// OSS's storage classes, as `x-oss-storage-class` names them.
public enum StorageClass: String, Sendable, CaseIterable {
    case standard = "Standard"
    /// Infrequent Access: cheaper storage, a retrieval fee, 30 days minimum.
    case infrequentAccess = "IA"
    /// Must be restored (RestoreObject, about a minute) before it can be read; 60 days minimum.
    case archive = "Archive"
    /// Must be restored (hours) before it can be read; 180 days minimum.
    case coldArchive = "ColdArchive"

    /// Parses `Standard`, `IA`, `Archive`, `ColdArchive` in any case.
    public init?(parsing text: String) {
        guard let found = Self.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else { return nil }
        self = found
    }

    /// Whether objects of this class must be restored before GetObject.
    public var needsRestore: Bool { self == .archive || self == .coldArchive }

    /// How long a RestoreObject takes, as Alibaba documents it (Standard tier).
    public var restoreDuration: String {
        switch self {
        case .archive: "about a minute"
        case .coldArchive: "2 to 5 hours"
        default: "no time (it is readable now)"
        }
    }
}

/// Server-side encryption OSS applies to what it stores (`x-oss-server-side-encryption`).
public enum ServerSideEncryption: Sendable, Equatable {
    /// OSS-managed keys (SSE-OSS).
    case aes256
    /// KMS: the account's default key, or the customer master key with this ID.
    case kms(keyID: String?)

    /// Parses `AES256` or `KMS` (any case), with an optional KMS key ID (only with KMS).
    public init(parsing text: String, kmsKeyID: String?) throws {
        switch text.uppercased() {
        case "AES256":
            guard kmsKeyID == nil else {
                throw ObjectStorageError(.invalidConfiguration, "kms_key_id applies to server_side_encryption: KMS, not AES256")
            }
            self = .aes256
        case "KMS": self = .kms(keyID: kmsKeyID)
        default:
            throw ObjectStorageError(.invalidConfiguration, "server_side_encryption must be AES256 or KMS, not '\(text)'")
        }
    }
}

/// How new objects are stored: class and encryption, sent on PutObject and InitiateMultipartUpload (the headers
/// the official SDKs send for the same settings).
public struct ObjectWriteSettings: Sendable, Equatable {
    /// The storage class; nil leaves the bucket's default (Standard unless the bucket says otherwise).
    public var storageClass: StorageClass?
    public var encryption: ServerSideEncryption?

    public init(storageClass: StorageClass? = nil, encryption: ServerSideEncryption? = nil) {
        self.storageClass = storageClass
        self.encryption = encryption
    }

    /// The headers, in the order the SDK sets them.
    public var headers: [(String, String)] {
        var headers: [(String, String)] = []
        if let storageClass { headers.append(("x-oss-storage-class", storageClass.rawValue)) }
        switch encryption {
        case .aes256: headers.append(("x-oss-server-side-encryption", "AES256"))
        case let .kms(keyID):
            headers.append(("x-oss-server-side-encryption", "KMS"))
            if let keyID { headers.append(("x-oss-server-side-encryption-key-id", keyID)) }
        case nil: break
        }
        return headers
    }

    /// Sets the headers on a PutObject or InitiateMultipartUpload request.
    func apply(to request: inout OSSRequest) {
        for (name, value) in headers { request.setHeader(name, value) }
    }
}
