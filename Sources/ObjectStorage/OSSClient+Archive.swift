import Foundation

/// An archived object's `x-oss-restore`: a restore running, or done (readable until `expiry`).
public struct RestoreStatus: Sendable, Equatable {
    public var ongoing: Bool
    public var expiry: Date?

    /// Parses `ongoing-request="true"` or `ongoing-request="false", expiry-date="Sun, 16 Apr 2017 08:12:33 GMT"`.
    public init(header: String) {
        ongoing = header.replacingOccurrences(of: " ", with: "").lowercased().contains("ongoing-request=\"true\"")
        if let range = header.range(of: "expiry-date=\"") {
            let rest = header[range.upperBound...]
            expiry = rest.firstIndex(of: "\"").flatMap { HTTPDate.parseRFC1123(String(rest[..<$0])) }
        }
    }
}

/// What a download does when the object is Archive or ColdArchive and not restored: RestoreObject is always sent
/// (or found running); then it waits, polling HeadObject's `x-oss-restore`, or stops with `.pendingRestore`.
public struct ArchivedReadPolicy: Sendable {
    /// Wait for the restore to finish (`--wait`), then download.
    public var wait = false
    /// Seconds between HeadObject polls while waiting.
    public var pollInterval: TimeInterval = 30
    /// Days the restored copy stays readable.
    public var days = 1
    /// Told what is happening (the restore sent, how long it takes, each poll), for the user.
    public var onStatus: (@Sendable (String) -> Void)?

    public init() {}
}

/// What RestoreObject answered.
public enum RestoreAnswer: Sendable, Equatable {
    /// 202: the restore began.
    case started
    /// 409 RestoreAlreadyInProgress.
    case alreadyRunning
    /// 200: the object is restored and readable.
    case alreadyRestored
}

extension OSSClient {
    /// RestoreObject: asks OSS to make an Archive/ColdArchive object readable for `days` days.
    @discardableResult
    public func restoreObject(bucket: String, key: String, days: Int = 1) throws -> RestoreAnswer {
        var request = OSSRequest(method: "POST", bucket: bucket, key: key, query: [QueryItem("restore")])
        request.setHeader("Content-Type", "application/xml")
        let body = Self.restoreRequestBody(days: days)
        request.setHeader("Content-MD5", OSSDigest.contentMD5(body))
        do {
            let response = try send("RestoreObject", request, body: .data(body))
            return response.status == 202 ? .started : .alreadyRestored
        } catch let error as ObjectStorageError where error.serviceCode == "RestoreAlreadyInProgress" {
            return .alreadyRunning
        }
    }

    /// RestoreObject's body, as the official SDK writes it.
    static func restoreRequestBody(days: Int) -> Data {
        Data("<RestoreRequest><Days>\(max(1, days))</Days></RestoreRequest>".utf8)
    }

    /// Makes an archived object readable: sends RestoreObject unless one is running, then waits (polling
    /// `x-oss-restore`) when the policy says so, or throws a `.pendingRestore` error that says how long it takes.
    func restoreBeforeReading(bucket: String, key: String) throws {
        let policy = configuration.archivedRead
        let info = try headObject(bucket: bucket, key: key)
        let storageClass = info.storageClass.flatMap(StorageClass.init(parsing:)) ?? .archive
        if let restore = info.restore, !restore.ongoing { return }
        let location = "oss://\(bucket)/\(key)"
        if info.restore == nil {
            let answer = try restoreObject(bucket: bucket, key: key, days: policy.days)
            if answer == .alreadyRestored { return }
            policy.onStatus?("\(location) is \(storageClass.rawValue): restore requested (RestoreObject); it takes \(storageClass.restoreDuration)")
        } else {
            policy.onStatus?("\(location) is \(storageClass.rawValue): a restore is already running; it takes \(storageClass.restoreDuration)")
        }
        guard policy.wait else {
            throw ObjectStorageError(.pendingRestore, """
                \(location) is \(storageClass.rawValue) and is being restored (\(storageClass.restoreDuration)); \
                run the same command again once it is readable, or add --wait to wait for it
                """, operation: "RestoreObject", bucket: bucket, key: key)
        }
        while true {
            Thread.sleep(forTimeInterval: policy.pollInterval)
            if let restore = try headObject(bucket: bucket, key: key).restore, !restore.ongoing {
                policy.onStatus?("\(location) is restored; downloading")
                return
            }
            policy.onStatus?("\(location): still restoring")
        }
    }
}
