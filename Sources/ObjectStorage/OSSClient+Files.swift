import Crypto
import Foundation
import HTTP

/// What `uploadFile` did.
public struct UploadResult: Sendable, Equatable {
    public var bucket: String
    public var key: String
    public var size: Int64
    public var etag: String
    public var crc64: UInt64
    /// Whether it went up as a multipart upload.
    public var multipart: Bool
    /// Parts sent in this run.
    public var partsUploaded: Int
    /// Parts found already on OSS from an interrupted earlier run, and not sent again.
    public var partsResumed: Int
}

/// What `download` did.
public struct DownloadResult: Sendable, Equatable {
    public var size: Int64
    public var crc64: UInt64
    /// Bytes that were already on disk from an interrupted earlier run.
    public var resumedFrom: Int64
}

/// The resumable state of a multipart upload, saved beside nothing the user sees (a cache folder).
struct UploadCheckpoint: Codable, Equatable {
    var version = 1
    var bucket: String
    var key: String
    var file: String
    var fileSize: Int64
    var fileModified: Double
    var partSize: Int64
    var uploadId: String
    /// Part number → hex MD5 (upper case) of parts known to be on OSS.
    var parts: [Int: String] = [:]
}

/// The part layout of a multipart upload: a pure function of the file size.
public struct PartPlan: Sendable, Equatable {
    public var partSize: Int64
    public var count: Int
    public var fileSize: Int64

    /// Uses `preferred` but grows it to stay within OSS's 10,000 parts, and never goes below 100 KB.
    public init(fileSize: Int64, preferred: Int64) {
        var size = max(preferred, 100 * 1024)
        let minimum = (fileSize + 9_999) / 10_000
        if size < minimum { size = ((minimum + 1_048_575) / 1_048_576) * 1_048_576 }
        self.partSize = size
        self.fileSize = fileSize
        self.count = max(1, Int((fileSize + size - 1) / size))
    }

    /// The byte range of part `number` (1-based).
    public func range(of number: Int) -> (offset: Int64, length: Int64) {
        let offset = Int64(number - 1) * partSize
        return (offset, min(partSize, fileSize - offset))
    }
}

/// State shared by the part-upload threads.
private final class MultipartRun: @unchecked Sendable {
    // Safety: every mutable field is read and written only while holding `lock`; the immutable ones are
    // set in init. The worker threads share nothing else.
    let lock = NSLock()
    let plan: PartPlan
    var next = 1
    var failure: Error?
    var checkpoint: UploadCheckpoint
    var crcs: [Int: UInt64] = [:]
    var uploaded = 0
    var resumed = 0
    var bytesDone: Int64 = 0

    init(plan: PartPlan, checkpoint: UploadCheckpoint) {
        self.plan = plan
        self.checkpoint = checkpoint
    }

    /// The next part to work on, or nil when all are taken or one failed.
    func take() -> Int? {
        lock.withLock {
            guard failure == nil, next <= plan.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func fail(_ error: Error) {
        lock.withLock { if failure == nil { failure = error } }
    }
}

extension OSSClient {
    /// Uploads a local file: PutObject below the multipart threshold, otherwise a parallel, resumable multipart upload.
    ///
    /// Multipart parts go up `configuration.parallelism` at a time, each with Content-MD5, so memory stays near
    /// parallelism × part size; `progress` is called from the worker threads. A checkpoint in `checkpointDirectory` lets a killed upload resume: the next run
    /// reconciles it with ListParts and sends only the missing parts. The whole object's CRC-64 is compared with
    /// OSS's `x-oss-hash-crc64ecma`; a mismatch deletes the object and throws `.checksumMismatch`.
    ///
    /// With `overwrite: false` (the safe choice for backups) OSS refuses, with 409 `FileAlreadyExists`, to
    /// replace an existing object (`x-oss-forbid-overwrite`).
    public func uploadFile(at path: String, bucket: String, key: String, checkpointDirectory: URL? = nil,
                           contentType: String = "application/octet-stream", overwrite: Bool = true,
                           progress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)? = nil) throws -> UploadResult {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ObjectStorageError(.localFile, "cannot open \(path): \(String(cString: strerror(errno)))", operation: "upload")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw ObjectStorageError(.localFile, "\(path) is not a regular file", operation: "upload")
        }
        let size = Int64(st.st_size)
        let modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        if size < configuration.multipartThreshold {
            return try putFile(fd: fd, size: size, bucket: bucket, key: key, contentType: contentType, overwrite: overwrite,
                               progress: progress)
        }
        return try multipartUpload(fd: fd, path: path, size: size, modified: modified, bucket: bucket, key: key,
                                   checkpointDirectory: checkpointDirectory ?? Self.defaultCheckpointDirectory,
                                   contentType: contentType, overwrite: overwrite, progress: progress)
    }

    /// `~/.cache/vaultops/uploads` (or under `XDG_CACHE_HOME`).
    public static var defaultCheckpointDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("vaultops/uploads")
    }

    private func putFile(fd: Int32, size: Int64, bucket: String, key: String, contentType: String, overwrite: Bool,
                         progress: (@Sendable (Int64, Int64) -> Void)?) throws -> UploadResult {
        // One pass for Content-MD5 and CRC-64, then the body streams from the file: memory stays flat.
        var md5 = Insecure.MD5()
        var crc = CRC64()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while offset < size {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard n > 0 else {
                throw ObjectStorageError(.localFile, "reading the file failed: \(String(cString: strerror(errno)))", operation: "PutObject")
            }
            buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                md5.update(bufferPointer: chunk)
                crc.update(chunk)
            }
            offset += Int64(n)
        }
        var request = OSSRequest(method: "PUT", bucket: bucket, key: key)
        request.setHeader("Content-Type", contentType)
        request.setHeader("Content-MD5", Data(md5.finalize()).base64EncodedString())
        if !overwrite { request.setHeader("x-oss-forbid-overwrite", "true") }
        configuration.write.apply(to: &request)
        let response = try send("PutObject", request, body: .file(fd: fd, offset: 0, length: size))
        try verifyCRCOrDelete(response, expected: crc.value, bucket: bucket, key: key)
        progress?(size, size)
        return UploadResult(bucket: bucket, key: key, size: size, etag: Self.unquoteETag(response.header("etag") ?? ""),
                            crc64: crc.value, multipart: false, partsUploaded: 1, partsResumed: 0)
    }

    static func checkpointURL(directory: URL, bucket: String, key: String, path: String) -> URL {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let digest = SHA256.hash(data: Data("\(bucket)\u{0}\(key)\u{0}\(absolute)".utf8))
        return directory.appendingPathComponent(SignerV4.hex(digest).prefix(32) + ".json")
    }

    static func saveCheckpoint(_ checkpoint: UploadCheckpoint, to url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            // .atomic writes a temporary file and renames it, so a crash never leaves half a checkpoint.
            try encoder.encode(checkpoint).write(to: url, options: .atomic)
        } catch {
            throw ObjectStorageError(.localFile, "cannot write the upload checkpoint \(url.path): \(error)", operation: "upload")
        }
    }

    private func multipartUpload(fd: Int32, path: String, size: Int64, modified: Double, bucket: String, key: String,
                                 checkpointDirectory: URL, contentType: String, overwrite: Bool,
                                 progress: (@Sendable (Int64, Int64) -> Void)?) throws -> UploadResult {
        let plan = PartPlan(fileSize: size, preferred: configuration.partSize)
        let checkpointURL = Self.checkpointURL(directory: checkpointDirectory, bucket: bucket, key: key, path: path)
        var checkpoint: UploadCheckpoint?
        var onServer: [Int: PartInfo] = [:]
        if let data = try? Data(contentsOf: checkpointURL),
           let saved = try? JSONDecoder().decode(UploadCheckpoint.self, from: data),
           saved.bucket == bucket, saved.key == key, saved.fileSize == size, saved.fileModified == modified,
           saved.partSize == plan.partSize {
            do {
                for part in try listParts(bucket: bucket, key: key, uploadId: saved.uploadId) { onServer[part.partNumber] = part }
                checkpoint = saved
            } catch let error as ObjectStorageError where error.serviceCode == "NoSuchUpload" {
                checkpoint = nil  // completed, aborted or pruned since: start again
            }
        }
        if checkpoint == nil {
            let uploadId = try initiateMultipartUpload(bucket: bucket, key: key, contentType: contentType, overwrite: overwrite)
            checkpoint = UploadCheckpoint(bucket: bucket, key: key, file: path, fileSize: size, fileModified: modified,
                                          partSize: plan.partSize, uploadId: uploadId)
            try Self.saveCheckpoint(checkpoint!, to: checkpointURL)
        }
        let uploadId = checkpoint!.uploadId
        let run = MultipartRun(plan: plan, checkpoint: checkpoint!)
        let serverParts = onServer
        let workers = max(1, min(configuration.parallelism, plan.count))
        let group = DispatchGroup()
        // One thread per worker, each with its own client and libcurl handle (easy handles are single-threaded),
        // pulling part numbers from a shared counter: at most `workers` parts are in memory at once.
        for _ in 0..<workers {
            let client = sibling()
            let box = UncheckedBox(client)
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let client = box.value
                while let number = run.take() {
                    do {
                        try Self.transferPart(number, client: client, fd: fd, run: run, serverParts: serverParts,
                                              bucket: bucket, key: key, uploadId: uploadId, checkpointURL: checkpointURL,
                                              progress: progress)
                    } catch {
                        run.fail(error)
                        return
                    }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        if let failure = run.failure { throw failure }

        var combined: UInt64 = 0
        for number in 1...plan.count {
            combined = CRC64.combine(combined, run.crcs[number]!, length2: plan.range(of: number).length)
        }
        let parts = (1...plan.count).map { (partNumber: $0, etag: run.checkpoint.parts[$0]!) }
        let result = try completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: parts, overwrite: overwrite)
        try? FileManager.default.removeItem(at: checkpointURL)
        if let crc = result.crc64, crc != combined {
            // What OSS assembled is not our file: do not leave it looking like a good backup.
            try? deleteObject(bucket: bucket, key: key)
            throw ObjectStorageError(.checksumMismatch,
                                     "CRC-64 mismatch after CompleteMultipartUpload: OSS has \(crc), the file has \(combined); the object was deleted",
                                     operation: "CompleteMultipartUpload", bucket: bucket, key: key)
        }
        return UploadResult(bucket: bucket, key: key, size: size, etag: result.etag, crc64: combined, multipart: true,
                            partsUploaded: run.uploaded, partsResumed: run.resumed)
    }

    private static func transferPart(_ number: Int, client: OSSClient, fd: Int32, run: MultipartRun, serverParts: [Int: PartInfo],
                                     bucket: String, key: String, uploadId: String, checkpointURL: URL,
                                     progress: (@Sendable (Int64, Int64) -> Void)?) throws {
        let (offset, length) = run.plan.range(of: number)
        // Hash the part in small blocks and let curl stream it from the file: memory stays at one block per
        // worker whatever the part size (the page cache serves the second read).
        var md5 = Insecure.MD5()
        var crc64 = CRC64()
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { block.deallocate() }
        var hashed: Int64 = 0
        while hashed < length {
            let want = Int(min(Int64(block.count), length - hashed))
            let n = pread(fd, block.baseAddress!, want, off_t(offset + hashed))
            guard n > 0 else {
                throw ObjectStorageError(.localFile, "reading part \(number) of the file failed (file changed or unreadable)",
                                         operation: "UploadPart \(number)", bucket: bucket, key: key)
            }
            let chunk = UnsafeRawBufferPointer(rebasing: block[0..<n])
            md5.update(bufferPointer: chunk)
            crc64.update(chunk)
            hashed += Int64(n)
        }
        let digest = Data(md5.finalize())
        let md5Hex = SignerV4.hex(digest).uppercased()
        let crc = crc64.value
        var sent = false
        if let existing = serverParts[number], existing.etag == md5Hex, existing.size == length {
            // Already on OSS from an interrupted run, and byte-identical (the ETag is the part's MD5).
        } else {
            let etag = try client.uploadPart(bucket: bucket, key: key, uploadId: uploadId, partNumber: number,
                                             fd: fd, offset: offset, length: length, md5: digest, crc: crc)
            guard etag == md5Hex else {
                throw ObjectStorageError(.checksumMismatch, "part \(number) ETag \(etag) is not its MD5 \(md5Hex)",
                                         operation: "UploadPart \(number)", bucket: bucket, key: key)
            }
            sent = true
        }
        let (snapshot, done) = run.lock.withLock { () -> (UploadCheckpoint, Int64) in
            run.crcs[number] = crc
            run.checkpoint.parts[number] = md5Hex
            if sent { run.uploaded += 1 } else { run.resumed += 1 }
            run.bytesDone += length
            return (run.checkpoint, run.bytesDone)
        }
        if sent { try saveCheckpoint(snapshot, to: checkpointURL) }
        progress?(done, run.plan.fileSize)
    }

    /// Downloads an object to `destination` through `destination.partial`, resuming an interrupted download.
    ///
    /// GetObject asks for the missing `Range` with `If-Match` on the ETag, so a changed object restarts
    /// from zero instead of mixing versions. The finished file's CRC-64 must equal `x-oss-hash-crc64ecma`
    /// before it is fsynced and renamed into place.
    ///
    /// `known` (size and ETag from a listing) saves the HeadObject: the CRC-64 is then taken from the
    /// GetObject answer's `x-oss-hash-crc64ecma`, which OSS sends for the whole object on every GET.
    ///
    /// An Archive/ColdArchive object that is not restored (GetObject: 403 InvalidObjectState) is restored first, as
    /// `configuration.archivedRead` says: waited for, or a `.pendingRestore` error.
    public func download(bucket: String, key: String, to destination: String, known: ObjectSummary? = nil,
                         progress: ((_ done: Int64, _ total: Int64) -> Void)? = nil) throws -> DownloadResult {
        do {
            return try downloadReadable(bucket: bucket, key: key, to: destination, known: known, progress: progress)
        } catch let error as ObjectStorageError where error.serviceCode == "InvalidObjectState" {
            // Nothing was read: leave no empty partial download behind while the restore runs.
            let partial = destination + ".partial"
            if (try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) == 0 {
                try? FileManager.default.removeItem(atPath: partial)
                try? FileManager.default.removeItem(atPath: partial + ".etag")
            }
            try restoreBeforeReading(bucket: bucket, key: key)
            return try downloadReadable(bucket: bucket, key: key, to: destination, known: known, progress: progress)
        }
    }

    private func downloadReadable(bucket: String, key: String, to destination: String, known: ObjectSummary?,
                                  progress: ((_ done: Int64, _ total: Int64) -> Void)?) throws -> DownloadResult {
        var info = try known.map { ObjectInfo(size: $0.size, etag: $0.etag, crc64: nil) } ?? headObject(bucket: bucket, key: key)
        let partial = destination + ".partial"
        let stateFile = destination + ".partial.etag"
        let previousETag = try? String(contentsOfFile: stateFile, encoding: .utf8)
        if previousETag != info.etag {
            try? FileManager.default.removeItem(atPath: partial)
        }
        do {
            try info.etag.write(toFile: stateFile, atomically: true, encoding: .utf8)
        } catch {
            throw ObjectStorageError(.localFile, "cannot write \(stateFile): \(error)", operation: "download", bucket: bucket, key: key)
        }
        let fd = open(partial, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ObjectStorageError(.localFile, "cannot open \(partial): \(String(cString: strerror(errno)))",
                                     operation: "download", bucket: bucket, key: key)
        }
        var closed = false
        defer { if !closed { close(fd) } }
        func currentSize() -> Int64 {
            var st = stat()
            return fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
        }
        var start = currentSize()
        if start > info.size {
            ftruncate(fd, 0)
            start = 0
        }
        let resumedFrom = start
        var crc = try Self.crcOfFile(fd: fd, length: start)
        var crcLength = start
        progress?(start, info.size)
        try withRetries("GetObject", bucket: bucket, key: key) { _ in
            let offset = currentSize()
            if offset != crcLength {
                // A failed attempt wrote some bytes: checksum what is on disk before appending.
                crc = try Self.crcOfFile(fd: fd, length: offset)
                crcLength = offset
            }
            guard offset < info.size else { return }
            var request = OSSRequest(method: "GET", bucket: bucket, key: key)
            request.setHeader("Range", "bytes=\(offset)-")
            request.setHeader("If-Match", "\"\(info.etag)\"")
            let base = offset
            var written = CRC64()
            let response: HTTPResponse
            do {
                response = try sendOnce("GetObject", request, sink: .file(fd: fd, offset: offset, observe: { written.update($0) }),
                                        progress: { _ in })
            } catch var error as ObjectStorageError where error.serviceCode == "PreconditionFailed" {
                // The object was replaced since we started: never splice two versions; the next run starts over.
                try? FileManager.default.removeItem(atPath: partial)
                try? FileManager.default.removeItem(atPath: stateFile)
                error.message = "the object changed while it was downloading (its ETag is no longer \(info.etag)); run the download again"
                throw error
            }
            if info.crc64 == nil { info.crc64 = response.header("x-oss-hash-crc64ecma").flatMap { UInt64($0) } }
            crc = CRC64.combine(crc, written.value, length2: response.bytesWritten)
            crcLength = base + response.bytesWritten
            progress?(crcLength, info.size)
            guard crcLength == info.size else {
                throw ObjectStorageError(.transport, "the download stopped at \(crcLength) of \(info.size) bytes", operation: "GetObject",
                                         bucket: bucket, key: key, curlCode: 18)
            }
        }
        if info.crc64 == nil, known != nil, info.size > 0 {
            // Nothing was fetched (the partial file was already complete): ask for the CRC-64 to check it.
            info.crc64 = try headObject(bucket: bucket, key: key).crc64
        }
        if let expected = info.crc64, expected != crc {
            try? FileManager.default.removeItem(atPath: partial)
            try? FileManager.default.removeItem(atPath: stateFile)
            throw ObjectStorageError(.checksumMismatch, "CRC-64 mismatch: OSS says \(expected), the downloaded bytes give \(crc); the partial file was removed",
                                     operation: "GetObject", bucket: bucket, key: key)
        }
        guard fsync(fd) == 0 else {
            throw ObjectStorageError(.localFile, "fsync \(partial) failed: \(String(cString: strerror(errno)))", operation: "download")
        }
        close(fd)
        closed = true
        guard rename(partial, destination) == 0 else {
            throw ObjectStorageError(.localFile, "cannot rename \(partial) to \(destination): \(String(cString: strerror(errno)))",
                                     operation: "download")
        }
        try? FileManager.default.removeItem(atPath: stateFile)
        return DownloadResult(size: info.size, crc64: crc, resumedFrom: resumedFrom)
    }

    static func crcOfFile(fd: Int32, length: Int64) throws -> UInt64 {
        var crc = CRC64()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while offset < length {
            let want = Int(min(Int64(buffer.count), length - offset))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
            guard n > 0 else {
                throw ObjectStorageError(.localFile, "reading back the partial download failed", operation: "download")
            }
            buffer.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            offset += Int64(n)
        }
        return crc.value
    }
}

/// Moves a non-Sendable value into exactly one other thread.
struct UncheckedBox<T>: @unchecked Sendable {
    // Safety: used only to hand a freshly made OSSClient to the one worker thread that will own it; the
    // creating thread never touches it again.
    let value: T
    init(_ value: T) { self.value = value }
}
