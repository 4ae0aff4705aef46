import Crypto
import Foundation
import HTTP

/// Metadata of one object, from HeadObject.
public struct ObjectInfo: Sendable, Equatable {
    public var size: Int64
    public var etag: String
    public var crc64: UInt64?
    public var lastModified: Date?
    public var contentType: String?
    /// `x-oss-storage-class` (`Standard`, `IA`, `Archive`, `ColdArchive`).
    public var storageClass: String?
    /// `x-oss-restore` of an archived object that a RestoreObject was sent for.
    public var restore: RestoreStatus?
}

/// One entry of a listing.
public struct ObjectSummary: Sendable, Equatable, Codable {
    public var key: String
    public var size: Int64
    public var etag: String
    public var lastModified: Date?
    /// The listing's `StorageClass`.
    public var storageClass: String?

    package init(key: String, size: Int64, etag: String, lastModified: Date?, storageClass: String? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.storageClass = storageClass
    }
}

/// One page of ListObjectsV2.
public struct ListObjectsPage: Sendable {
    public var objects: [ObjectSummary]
    public var commonPrefixes: [String]
    /// Pass back to get the next page; nil on the last page.
    public var nextContinuationToken: String?
}

/// What PutObject (or a completed multipart upload) returned.
public struct PutObjectResult: Sendable, Equatable {
    public var etag: String
    public var crc64: UInt64
}

/// One uploaded part, as ListParts reports it.
public struct PartInfo: Sendable, Equatable {
    public var partNumber: Int
    public var etag: String
    public var size: Int64
}

/// A multipart upload that was started and not completed or aborted.
public struct MultipartUploadInfo: Sendable, Equatable {
    public var key: String
    public var uploadId: String
    public var initiated: Date?
}

/// Shared correction between our clock and OSS's, learnt from `RequestTimeTooSkewed` answers.
final class ClockOffset: @unchecked Sendable {
    // Safety: `value` is only read and written under `lock`.
    private let lock = NSLock()
    private var value: TimeInterval = 0

    var seconds: TimeInterval {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// A blocking client for Alibaba Cloud OSS over signed HTTP (libcurl).
///
/// Every request is signed (V4 by default, V1 on request) immediately before each attempt, carries an
/// explicit Content-Type, and is retried with capped exponential backoff and jitter on 5xx, 429,
/// timeouts, resets and `RequestTimeTooSkewed`.
/// - Important: a client owns one libcurl easy handle and must stay on one thread; parallel work
///   (multipart parts) makes one client per worker thread with `sibling()`.
public final class OSSClient {
    public let configuration: OSSConfiguration
    let clockOffset: ClockOffset
    private var easyHandle: CurlEasy?
    /// Called with a line for each retry (operation, reason, wait); the CLI logs them.
    public var onRetry: (@Sendable (String) -> Void)?

    public init(configuration: OSSConfiguration) {
        self.configuration = configuration
        self.clockOffset = ClockOffset()
    }

    private init(configuration: OSSConfiguration, clockOffset: ClockOffset, onRetry: (@Sendable (String) -> Void)?) {
        self.configuration = configuration
        self.clockOffset = clockOffset
        self.onRetry = onRetry
    }

    /// A client with the same configuration (or `parallelism` parts at once, at least 1) and clock correction, for
    /// use on another thread.
    package func sibling(parallelism: Int? = nil) -> OSSClient {
        var configuration = configuration
        if let parallelism { configuration.parallelism = max(1, parallelism) }
        return OSSClient(configuration: configuration, clockOffset: clockOffset, onRetry: onRetry)
    }

    private func easy() throws(HTTPFailure) -> CurlEasy {
        if let easyHandle { return easyHandle }
        let handle = try CurlEasy()
        easyHandle = handle
        return handle
    }

    var now: Date { configuration.clock().addingTimeInterval(clockOffset.seconds) }

    // MARK: - Sending

    /// Signs and sends `request` once; returns 2xx responses and throws everything else as `ObjectStorageError`.
    func sendOnce(_ operation: String, _ base: OSSRequest, body: RequestBody = .empty, sink: ResponseSink = .memory(limit: 16 << 20),
                  progress: ((Int64) -> Void)? = nil) throws -> HTTPResponse {
        if let key = base.key, let problem = Self.keyProblem(key) {
            throw ObjectStorageError(.invalidURL, problem, operation: operation, bucket: base.bucket, key: key)
        }
        var request = base
        if request.header("Content-Type") == nil {
            // libcurl adds a form Content-Type to POSTs unless one is set, and it would not be signed.
            request.setHeader("Content-Type", "application/octet-stream")
        }
        let credentials = try signingCredentials(operation: operation, bucket: base.bucket, key: base.key)
        switch configuration.signatureVersion {
        case .v1:
            SignerV1.sign(&request, credentials: credentials, now: now)
        case .v4:
            SignerV4.sign(&request, credentials: credentials, region: configuration.region, now: now)
        }
        // libcurl would otherwise add `Expect: 100-continue` for large bodies, costing a round trip per part.
        let headers = request.headers + [("Expect", ""), ("Accept", "")]
        var transfer = HTTPTransfer(method: request.method, url: configuration.url(for: request), headers: headers,
                                    body: body, sink: sink, connectTimeout: .seconds(configuration.connectTimeout),
                                    lowSpeedTime: configuration.stallTimeout, progress: progress)
        let limiter = body.length > 0 ? configuration.uploadLimit : request.method == "GET" ? configuration.downloadLimit : nil
        if let limiter { transfer.throttle = { limiter.take($0) } }
        let response: HTTPResponse
        do {
            response = try easy().perform(transfer)
        } catch {
            throw ObjectStorageError(error).with(operation: operation, bucket: base.bucket, key: base.key)
        }
        guard (200..<300).contains(response.status) else {
            var error = Self.serviceError(response, operation: operation, bucket: base.bucket, key: base.key)
            error.signedWith = credentials.accessKeyId
            throw error
        }
        return response
    }

    /// Why `key` cannot be sent, or nil; checked before signing, so nothing OSS would refuse is ever sent.
    ///
    /// OSS's naming rules: 1 to 1,023 bytes of UTF-8, not starting with `/` or `\`. Also refused: a `.` or `..`
    /// path segment, which URL normalisation collapses on the way, so the request would reach another key than
    /// the one signed (OSS answers SignatureDoesNotMatch, which blames the credentials), or, worse, another
    /// object; and a NUL byte, which C strings on the way cut off. (Swift strings are always valid UTF-8.)
    static func keyProblem(_ key: String) -> String? {
        let shown = key.count > 60 ? String(key.prefix(60)) + "…" : key
        func refused(_ why: String) -> String { "the object key '\(shown)' is not allowed: \(why); rename it" }
        if key.isEmpty { return refused("it is empty (OSS keys are 1 to 1,023 bytes)") }
        let bytes = key.utf8.count
        if bytes > 1023 { return refused("it is \(bytes.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) bytes; OSS allows 1 to 1,023") }
        if key.hasPrefix("/") { return refused("it starts with '/', which OSS rejects") }
        if key.hasPrefix("\\") { return refused("it starts with '\\', which OSS rejects") }
        if key.utf8.contains(0) { return refused("it contains a NUL byte, which cannot travel in an OSS request") }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        return refused("it has a '.' or '..' path segment, which URLs collapse")
    }

    /// Turns an error answer (OSS's `<Error>` XML, or just a status for HEAD) into an `ObjectStorageError`.
    static func serviceError(_ response: HTTPResponse, operation: String, bucket: String?, key: String?) -> ObjectStorageError {
        let xml = response.body.isEmpty ? nil : XMLElement.parse(response.body)
        var code = xml?.text("Code")
        var message = xml?.text("Message")
        if code == nil {
            switch response.status {
            case 404: code = key == nil || key == "" ? "NoSuchBucket" : "NoSuchKey"
            case 403: code = "AccessDenied"
            case 412: code = "PreconditionFailed"
            default: break
            }
            message = response.body.isEmpty ? "no error details (HTTP \(response.status))"
                : String(decoding: response.body.prefix(300), as: UTF8.self)
        }
        if response.status == 404 && code == "NoSuchKey" { message = message ?? "the object does not exist" }
        var error = ObjectStorageError(.service, message ?? "HTTP \(response.status)", operation: operation, bucket: bucket, key: key,
                                       httpStatus: response.status, serviceCode: code,
                                       requestId: xml?.text("RequestId") ?? response.header("x-oss-request-id"))
        if let serverTime = xml?.text("ServerTime") {
            error.serverTime = HTTPDate.parseISO8601(serverTime)
        } else if let date = response.header("date") {
            error.serverTime = HTTPDate.parseRFC1123(date)
        }
        return error
    }

    /// Runs `attempt` until it succeeds, the error is not retryable, or the policy's attempts are used up.
    ///
    /// A 403 for expired or rotated-away STS credentials is repeated at once with fresh ones from the provider
    /// (a few times at most, not counted as attempts): a long multipart upload outlives the credentials it began with.
    func withRetries<T>(_ operation: String, bucket: String?, key: String?, _ attempt: (Int) throws -> T) throws -> T {
        var number = 1
        var refreshes = 0
        while true {
            do {
                return try attempt(number)
            } catch var error as ObjectStorageError {
                error = error.with(operation: operation, bucket: bucket, key: key)
                if refreshes < 3, refreshedAfterRejection(error) {
                    refreshes += 1
                    onRetry?("\(operation) \(bucket.map { "oss://\($0)/\(key ?? "")" } ?? ""): \(error.serviceCode ?? ""); retrying with fresh credentials from \(configuration.credentialsProvider?.source ?? "the provider")")
                    continue
                }
                if error.serviceCode == "RequestTimeTooSkewed", let serverTime = error.serverTime {
                    // Re-signing with the same wrong clock would fail again: sign with OSS's time from now on.
                    clockOffset.seconds = serverTime.timeIntervalSince(configuration.clock())
                }
                guard RetryPolicy.isRetryable(error) else { throw error }
                guard number < configuration.retry.maxAttempts else {
                    error.message += " (gave up after \(number) attempts)"
                    throw error
                }
                number += 1
                let wait = configuration.retry.delay(beforeAttempt: number, random: Double.random(in: 0..<1))
                onRetry?("\(operation) \(bucket.map { "oss://\($0)/\(key ?? "")" } ?? ""): \(error.httpStatus.map { "HTTP \($0) " } ?? "")\(error.serviceCode ?? error.message); retry \(number - 1) in \(String(format: "%.1f", wait))s")
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
        }
    }

    func send(_ operation: String, _ request: OSSRequest, body: RequestBody = .empty,
              sink: ResponseSink = .memory(limit: 16 << 20)) throws -> HTTPResponse {
        try withRetries(operation, bucket: request.bucket, key: request.key) { _ in
            try sendOnce(operation, request, body: body, sink: sink)
        }
    }

    func xml(_ response: HTTPResponse, _ operation: String, bucket: String?, key: String?) throws -> XMLElement {
        guard let root = XMLElement.parse(response.body) else {
            throw ObjectStorageError(.invalidResponse, "OSS answered with a body that is not XML: \(String(decoding: response.body.prefix(200), as: UTF8.self))",
                                     operation: operation, bucket: bucket, key: key, httpStatus: response.status,
                                     requestId: response.header("x-oss-request-id"))
        }
        return root
    }

    static func unquoteETag(_ etag: String) -> String {
        etag.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")).uppercased()
    }

    /// Checks the `x-oss-hash-crc64ecma` answer against what we computed; a mismatch means corrupted data.
    static func verifyCRC(_ response: HTTPResponse, expected: UInt64, operation: String, bucket: String, key: String) throws {
        guard let header = response.header("x-oss-hash-crc64ecma") else { return }
        guard let got = UInt64(header), got == expected else {
            throw ObjectStorageError(.checksumMismatch,
                                     "CRC-64 mismatch: OSS computed \(header) but the data sent has \(expected); the upload is corrupt",
                                     operation: operation, bucket: bucket, key: key, requestId: response.header("x-oss-request-id"))
        }
    }

    /// `verifyCRC` for a whole object just written: on a mismatch the object is deleted before the error is
    /// thrown, so nothing that failed its check stays looking like a good upload (and a retry with
    /// `x-oss-forbid-overwrite` can write it again), as a failed multipart upload is.
    func verifyCRCOrDelete(_ response: HTTPResponse, expected: UInt64, bucket: String, key: String) throws {
        do {
            try Self.verifyCRC(response, expected: expected, operation: "PutObject", bucket: bucket, key: key)
        } catch var mismatch as ObjectStorageError {
            do {
                try deleteObject(bucket: bucket, key: key)
                mismatch.message += "; the object was deleted"
            } catch {
                mismatch.message += "; deleting the object failed too (\(error)): remove it by hand"
            }
            throw mismatch
        }
    }

    // MARK: - Objects

    /// Uploads `data` with PutObject (Content-MD5 set, CRC-64 checked).
    @discardableResult
    public func putObject(bucket: String, key: String, data: Data, contentType: String = "application/octet-stream",
                          overwrite: Bool = true) throws -> PutObjectResult {
        var request = OSSRequest(method: "PUT", bucket: bucket, key: key)
        request.setHeader("Content-Type", contentType)
        if !overwrite { request.setHeader("x-oss-forbid-overwrite", "true") }
        configuration.write.apply(to: &request)
        request.setHeader("Content-MD5", OSSDigest.contentMD5(data))
        let response = try send("PutObject", request, body: .data(data))
        let crc = CRC64.checksum(data)
        try verifyCRCOrDelete(response, expected: crc, bucket: bucket, key: key)
        return PutObjectResult(etag: Self.unquoteETag(response.header("etag") ?? ""), crc64: crc)
    }

    /// Reads an object (or `range` of it) into memory; for small objects.
    public func getObject(bucket: String, key: String, range: ClosedRange<Int64>? = nil) throws -> Data {
        var request = OSSRequest(method: "GET", bucket: bucket, key: key)
        if let range { request.setHeader("Range", "bytes=\(range.lowerBound)-\(range.upperBound)") }
        return try send("GetObject", request, sink: .memory(limit: 256 << 20)).body
    }

    /// The object's size, ETag, CRC-64 and dates (HeadObject).
    public func headObject(bucket: String, key: String) throws -> ObjectInfo {
        let response = try send("HeadObject", OSSRequest(method: "HEAD", bucket: bucket, key: key))
        return ObjectInfo(size: Int64(response.header("content-length") ?? "") ?? 0,
                          etag: Self.unquoteETag(response.header("etag") ?? ""),
                          crc64: response.header("x-oss-hash-crc64ecma").flatMap { UInt64($0) },
                          lastModified: response.header("last-modified").flatMap(HTTPDate.parseRFC1123),
                          contentType: response.header("content-type"), storageClass: response.header("x-oss-storage-class"),
                          restore: response.header("x-oss-restore").map(RestoreStatus.init(header:)))
    }

    /// Deletes one object (OSS answers 204 whether or not it existed).
    public func deleteObject(bucket: String, key: String) throws {
        _ = try send("DeleteObject", OSSRequest(method: "DELETE", bucket: bucket, key: key))
    }

    /// Deletes `keys` with DeleteMultipleObjects, 1,000 per request (OSS's limit), each batch with Content-MD5.
    ///
    /// Returns how many keys were sent for deletion.
    @discardableResult
    public func deleteObjects(bucket: String, keys: [String], progress: ((Int) -> Void)? = nil) throws -> Int {
        var done = 0
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let batch = keys[start..<min(start + 1000, keys.count)]
            let body = Data(DeleteObjectsXML.body(keys: Array(batch)).utf8)
            var request = OSSRequest(method: "POST", bucket: bucket, key: nil, query: [QueryItem("delete")])
            request.setHeader("Content-Type", "application/xml")
            request.setHeader("Content-MD5", OSSDigest.contentMD5(body))
            _ = try send("DeleteMultipleObjects", request, body: .data(body))
            done += batch.count
            progress?(done)
        }
        return done
    }

    /// One page of ListObjectsV2 (keys URL-encoded on the wire so any key survives XML).
    public func listObjectsPage(bucket: String, prefix: String = "", delimiter: String? = nil, continuationToken: String? = nil,
                                maxKeys: Int = 1000) throws -> ListObjectsPage {
        var query = [QueryItem("list-type", "2"), QueryItem("max-keys", String(maxKeys)), QueryItem("encoding-type", "url")]
        if !prefix.isEmpty { query.append(QueryItem("prefix", prefix)) }
        if let delimiter { query.append(QueryItem("delimiter", delimiter)) }
        if let continuationToken { query.append(QueryItem("continuation-token", continuationToken)) }
        let request = OSSRequest(method: "GET", bucket: bucket, key: nil, query: query)
        let response = try send("ListObjectsV2", request)
        let root = try xml(response, "ListObjectsV2", bucket: bucket, key: prefix)
        let encoded = root.text("EncodingType") == "url"
        func decode(_ s: String) -> String { encoded ? (OSSPercentEncoding.decode(s, plusIsSpace: true) ?? s) : s }
        let objects = root.all("Contents").map { c in
            ObjectSummary(key: decode(c.text("Key") ?? ""), size: Int64(c.text("Size") ?? "") ?? 0,
                          etag: Self.unquoteETag(c.text("ETag") ?? ""),
                          lastModified: c.text("LastModified").flatMap(HTTPDate.parseISO8601),
                          storageClass: c.text("StorageClass"))
        }
        let prefixes = root.all("CommonPrefixes").compactMap { $0.text("Prefix") }.map(decode)
        let truncated = root.text("IsTruncated") == "true"
        let token = truncated ? root.text("NextContinuationToken") : nil
        if truncated && (token ?? "").isEmpty {
            throw ObjectStorageError(.invalidResponse, "a truncated listing came without NextContinuationToken",
                                     operation: "ListObjectsV2", bucket: bucket, key: prefix)
        }
        return ListObjectsPage(objects: objects, commonPrefixes: prefixes, nextContinuationToken: token)
    }

    /// Every object under `prefix`, following continuation tokens across pages.
    public func listObjects(bucket: String, prefix: String = "", maxKeysPerPage: Int = 1000) throws -> [ObjectSummary] {
        var all: [ObjectSummary] = []
        var token: String?
        repeat {
            let page = try listObjectsPage(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: maxKeysPerPage)
            all += page.objects
            token = page.nextContinuationToken
        } while token != nil
        return all
    }

    /// A presigned URL for `method` on the object, valid for `expires` seconds (V4 allows at most 7 days).
    public func presignedURL(bucket: String, key: String, method: String = "GET", expires: Int) throws -> String {
        guard expires > 0 else {
            throw ObjectStorageError(.invalidConfiguration, "the expiry must be a positive number of seconds")
        }
        var request = OSSRequest(method: method, bucket: bucket, key: key)
        let credentials = try signingCredentials(operation: "Presign", bucket: bucket, key: key)
        // OSS refuses a URL signed with STS credentials once they expire, whatever its own expiry says.
        if let expiration = credentials.expiration, now.addingTimeInterval(TimeInterval(expires)) > expiration {
            let left = max(0, Int(expiration.timeIntervalSince(now)))
            throw ObjectStorageError(.invalidConfiguration, "the URL is signed with temporary (STS) credentials that expire in \(left) seconds, "
                                     + "so it would stop working before the \(expires) seconds asked: use --expires \(left) or less, "
                                     + "or presign with long-term AccessKeys")
        }
        switch configuration.signatureVersion {
        case .v1:
            SignerV1.presign(&request, credentials: credentials, expires: now.addingTimeInterval(TimeInterval(expires)))
        case .v4:
            guard expires <= 604_800 else {
                throw ObjectStorageError(.invalidConfiguration, "a V4 presigned URL can be valid for at most 604800 seconds (7 days)")
            }
            SignerV4.presign(&request, credentials: credentials, region: configuration.region, now: now, expiresIn: expires)
        }
        return configuration.url(for: request)
    }

    // MARK: - Multipart

    /// Starts a multipart upload and returns its upload ID.
    public func initiateMultipartUpload(bucket: String, key: String, contentType: String = "application/octet-stream",
                                        overwrite: Bool = true) throws -> String {
        var request = OSSRequest(method: "POST", bucket: bucket, key: key, query: [QueryItem("uploads")])
        request.setHeader("Content-Type", contentType)
        if !overwrite { request.setHeader("x-oss-forbid-overwrite", "true") }
        configuration.write.apply(to: &request)
        let response = try send("InitiateMultipartUpload", request)
        guard let id = try xml(response, "InitiateMultipartUpload", bucket: bucket, key: key).text("UploadId"), !id.isEmpty else {
            throw ObjectStorageError(.invalidResponse, "no UploadId in the answer", operation: "InitiateMultipartUpload", bucket: bucket, key: key)
        }
        return id
    }

    /// Uploads one part with Content-MD5, checks the returned ETag and CRC-64, and returns the ETag.
    @discardableResult
    public func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, data: Data) throws -> String {
        try uploadPart(bucket: bucket, key: key, uploadId: uploadId, partNumber: partNumber, body: .data(data),
                       md5: Data(Insecure.MD5.hash(data: data)), crc: CRC64.checksum(data))
    }

    /// Uploads `length` bytes of the open file `fd` from `offset` as one part, streamed from the file so that
    /// memory does not grow with the part size; `md5` (raw digest) and `crc` are the part's, computed by the
    /// caller on the same bytes. OSS recomputes the MD5, so a file that changed in between is refused.
    @discardableResult
    public func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int,
                           fd: Int32, offset: Int64, length: Int64, md5: Data, crc: UInt64) throws -> String {
        try uploadPart(bucket: bucket, key: key, uploadId: uploadId, partNumber: partNumber,
                       body: .file(fd: fd, offset: offset, length: length), md5: md5, crc: crc)
    }

    private func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, body: RequestBody,
                            md5: Data, crc: UInt64) throws -> String {
        var request = OSSRequest(method: "PUT", bucket: bucket, key: key,
                                 query: [QueryItem("partNumber", String(partNumber)), QueryItem("uploadId", uploadId)])
        request.setHeader("Content-MD5", md5.base64EncodedString())
        let op = "UploadPart \(partNumber)"
        let response = try send(op, request, body: body)
        try Self.verifyCRC(response, expected: crc, operation: op, bucket: bucket, key: key)
        let etag = Self.unquoteETag(response.header("etag") ?? "")
        let md5Hex = SignerV4.hex(md5).uppercased()
        guard etag == md5Hex else {
            throw ObjectStorageError(.checksumMismatch, "part ETag \(etag) is not the MD5 \(md5Hex) of the data sent",
                                     operation: op, bucket: bucket, key: key)
        }
        return etag
    }

    /// The parts uploaded so far (ListParts, following pages).
    public func listParts(bucket: String, key: String, uploadId: String) throws -> [PartInfo] {
        var parts: [PartInfo] = []
        var marker = 0
        while true {
            let request = OSSRequest(method: "GET", bucket: bucket, key: key,
                                     query: [QueryItem("uploadId", uploadId), QueryItem("max-parts", "1000"),
                                             QueryItem("part-number-marker", String(marker))])
            let root = try xml(try send("ListParts", request), "ListParts", bucket: bucket, key: key)
            parts += root.all("Part").map {
                PartInfo(partNumber: Int($0.text("PartNumber") ?? "") ?? 0, etag: Self.unquoteETag($0.text("ETag") ?? ""),
                         size: Int64($0.text("Size") ?? "") ?? 0)
            }
            guard root.text("IsTruncated") == "true", let next = Int(root.text("NextPartNumberMarker") ?? ""), next > marker else { break }
            marker = next
        }
        return parts
    }

    /// Completes a multipart upload from `parts` (number, ETag) and returns the object's ETag and OSS's CRC-64.
    public func completeMultipartUpload(bucket: String, key: String, uploadId: String,
                                        parts: [(partNumber: Int, etag: String)],
                                        overwrite: Bool = true) throws -> (etag: String, crc64: UInt64?) {
        var xmlBody = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload>"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xmlBody += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\"\(part.etag)\"</ETag></Part>"
        }
        xmlBody += "</CompleteMultipartUpload>"
        let body = Data(xmlBody.utf8)
        var request = OSSRequest(method: "POST", bucket: bucket, key: key, query: [QueryItem("uploadId", uploadId)])
        request.setHeader("Content-Type", "application/xml")
        request.setHeader("Content-MD5", OSSDigest.contentMD5(body))
        if !overwrite { request.setHeader("x-oss-forbid-overwrite", "true") }
        let response = try send("CompleteMultipartUpload", request, body: .data(body))
        let root = try xml(response, "CompleteMultipartUpload", bucket: bucket, key: key)
        return (Self.unquoteETag(root.text("ETag") ?? ""), response.header("x-oss-hash-crc64ecma").flatMap { UInt64($0) })
    }

    /// Abandons a multipart upload and frees its parts.
    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) throws {
        _ = try send("AbortMultipartUpload", OSSRequest(method: "DELETE", bucket: bucket, key: key, query: [QueryItem("uploadId", uploadId)]))
    }

    /// Multipart uploads under `prefix` that were started and never completed or aborted (for prune).
    public func listMultipartUploads(bucket: String, prefix: String = "") throws -> [MultipartUploadInfo] {
        var uploads: [MultipartUploadInfo] = []
        var keyMarker = "", idMarker = ""
        while true {
            var query = [QueryItem("uploads"), QueryItem("max-uploads", "1000")]
            if !prefix.isEmpty { query.append(QueryItem("prefix", prefix)) }
            if !keyMarker.isEmpty {
                query.append(QueryItem("key-marker", keyMarker))
                query.append(QueryItem("upload-id-marker", idMarker))
            }
            let request = OSSRequest(method: "GET", bucket: bucket, key: nil, query: query)
            let root = try xml(try send("ListMultipartUploads", request), "ListMultipartUploads", bucket: bucket, key: prefix)
            uploads += root.all("Upload").map {
                MultipartUploadInfo(key: $0.text("Key") ?? "", uploadId: $0.text("UploadId") ?? "",
                                    initiated: $0.text("Initiated").flatMap(HTTPDate.parseISO8601))
            }
            guard root.text("IsTruncated") == "true", let nextKey = root.text("NextKeyMarker"), !nextKey.isEmpty else { break }
            keyMarker = nextKey
            idMarker = root.text("NextUploadIdMarker") ?? ""
        }
        return uploads
    }
}

@available(*, unavailable)
extension OSSClient: Sendable {}

/// The request body of DeleteMultipleObjects, as a pure function.
public enum DeleteObjectsXML {
    /// `<Delete><Quiet>true</Quiet><Object><Key>…</Key></Object>…</Delete>` with keys XML-escaped.
    public static func body(keys: [String]) -> String {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete><Quiet>true</Quiet>"
        for key in keys { xml += "<Object><Key>\(xmlEscape(key))</Key></Object>" }
        return xml + "</Delete>"
    }
}
