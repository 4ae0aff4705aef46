import Crypto
import Foundation
import Mirror
import ObjectStorage
import Retention
import VaultopsCore

/// Where `run` ships artifacts: a client for the configured bucket and prefix.
///
/// - Important: holds an `OSSClient` (one libcurl handle), so it stays on the run's thread.
struct OSSTarget {
    let client: OSSClient
    let bucket: String
    /// Empty or ending in `/`.
    let prefix: String

    /// Builds the client from `oss:`, with anything not given there taken from the `OSS_*` variables.
    init(config: OSSConfig, of whole: Config, environment: [String: String], log: @escaping @Sendable (String) -> Void) throws {
        if let problem = OSSLocation.bucketNameProblem(config.bucket) { throw BackupJobError.failed("oss.bucket: \(problem)") }
        let configuration = try RunJob.ossConfiguration(config: whole, environment: environment)
        client = OSSClient(configuration: configuration)
        client.onRetry = { line in log("oss: \(line)") }
        bucket = config.bucket
        prefix = OSSRetentionStore.normalized(prefix: config.prefix ?? "")
    }

    var location: String { "oss://\(bucket)/\(prefix)" }

    /// The key an artifact (or its manifest) gets.
    func key(for file: URL) -> String { prefix + file.lastPathComponent }

    /// Uploads the artifact, then its manifest, and returns the bytes sent.
    ///
    /// The artifact goes first: a prune running elsewhere takes a manifest without its artifact for an
    /// orphan and removes it, while an artifact without a manifest is left alone until the manifest follows.
    ///
    /// An object already at either key is never replaced (SPEC: an existing backup is never overwritten);
    /// the upload fails naming it instead.
    func upload(artifact: URL, manifest: URL) throws -> Int64 {
        for file in [artifact, manifest] where try exists(key(for: file)) {
            throw BackupJobError.failed("oss://\(bucket)/\(key(for: file)) already exists; vaultops never overwrites a backup "
                                        + "(is another host writing to the same prefix?)")
        }
        // The manifest that goes up records the artifact's CRC-64, which prune on OSS compares with the CRC-64 OSS
        // computes over the stored bytes (no download). It is taken in the same read as a SHA-256 that must match
        // the manifest, so it describes the verified backup, not whatever the file holds now.
        var described = try Manifest.load(from: manifest)
        let digest = try Self.digest(of: artifact)
        guard digest.sha256 == described.sha256 else {
            throw BackupJobError.failed("\(artifact.path) changed since it was verified (SHA-256 \(digest.sha256), manifest "
                                        + "\(described.sha256)); not uploaded")
        }
        // overwrite: false (x-oss-forbid-overwrite) also closes the gap between the check above and the upload.
        let first = try client.uploadFile(at: artifact.path, bucket: bucket, key: key(for: artifact), contentType: "application/gzip",
                                          overwrite: false)
        guard first.crc64 == digest.crc64 else {
            try? client.deleteObject(bucket: bucket, key: key(for: artifact))
            throw BackupJobError.failed("\(artifact.path) changed while it was uploaded; the object was deleted")
        }
        var extra = described.extra ?? [:]
        extra[ManifestSummary.crc64Key] = String(digest.crc64)
        extra[ManifestSummary.crc64Key + "_note"] = "CRC-64/ECMA-182 of the artifact, read with its SHA-256 when run uploaded it; "
            + "OSS reports it as x-oss-hash-crc64ecma, and prune on OSS compares the two instead of downloading the artifact"
        described.extra = extra
        let body = try described.encoded()
        try client.putObject(bucket: bucket, key: key(for: manifest), data: body, contentType: "application/json", overwrite: false)
        return first.size + Int64(body.count)
    }

    /// SHA-256 (lowercase hex) and CRC-64/ECMA-182 of a file, in one read.
    static func digest(of file: URL) throws -> (sha256: String, crc64: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw BackupJobError.failed("cannot open \(file.path) to upload it")
        }
        defer { try? handle.close() }
        var sha = SHA256()
        var crc = CRC64()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            sha.update(data: chunk)
            crc.update(chunk)
        }
        return (sha.finalize().map { String(format: "%02x", $0) }.joined(), crc.value)
    }

    /// Whether `key` exists (HeadObject; 404 means no).
    func exists(_ key: String) throws -> Bool {
        do {
            _ = try client.headObject(bucket: bucket, key: key)
            return true
        } catch let error as ObjectStorageError where error.httpStatus == 404 {
            return false
        }
    }

    /// True when `error` means every later request would fail the same way (OSS unreachable after the
    /// client's retries, wrong keys, no such bucket), so the run stops hammering OSS.
    static func failsEveryRequest(_ error: any Error) -> Bool {
        guard let error = error as? ObjectStorageError else { return false }
        switch error.kind {
        case .transport, .missingCredentials, .invalidConfiguration, .invalidURL: return true
        case .service:
            return ["InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchBucket", "AccessDenied"].contains(error.serviceCode ?? "")
        case .checksumMismatch, .invalidResponse, .localFile: return false
        }
    }
}

@available(*, unavailable)
extension OSSTarget: Sendable {}

extension RunJob {
    /// The OSS client settings for `config`: the only place they are built, so every command that reads a
    /// config follows `Config.ossVariables`' precedence (`oss:` keys, then the environment, then `.env`).
    public static func ossConfiguration(config: Config, environment: [String: String]) throws -> OSSConfiguration {
        try OSSConfiguration.fromEnvironment(config.ossVariables(environment: environment))
    }

    /// Mirrors a files source's folders to its `mirror:` prefix (never deleting), and records the result; any
    /// file that failed or could not be mirrored fails the source.
    static func mirror(_ result: inout SourceRunResult, folders: [String], to target: String, config: Config,
                       environment: [String: String], log: @escaping @Sendable (String) -> Void) {
        let started = Date()
        log("source \(result.name): mirroring \(folders.joined(separator: ", ")) to \(target)")
        do {
            let location = try OSSLocation(parsing: target)
            if let oss = config.oss, oss.bucket == location.bucket {
                let backups = OSSRetentionStore.normalized(prefix: oss.prefix ?? "")
                let mirrored = MirrorKey.normalized(prefix: location.key)
                if backups.hasPrefix(mirrored) || mirrored.hasPrefix(backups) {
                    // Folder files among the artifacts would confuse prune and status, and a changed file would
                    // overwrite an object in the prefix that must never be overwritten.
                    throw BackupJobError.failed("the mirror target \(target) overlaps the backup prefix oss://\(oss.bucket)/\(backups); "
                                                + "give the mirror its own prefix")
                }
            }
            let configuration = try ossConfiguration(config: config, environment: environment)
            let client = OSSClient(configuration: configuration)
            client.onRetry = { line in log("oss: \(line)") }
            let name = result.name
            var options = MirrorOptions()
            // `exclude:` applies to the mirror as to the archive (paths relative to each folder).
            if let exclude = config.source(named: result.name)?.exclude, !exclude.isEmpty {
                options.include = { path in !exclude.isExcluded(path, isDirectory: false) }
            }
            let report = try FolderMirror.upload(directories: folders, to: location, client: client, options: options,
                                           events: { event in
                                               switch event {
                                               case let .problem(problem): log("source \(name): mirror: not mirrored: \(problem)")
                                               case let .failed(subject, message): log("source \(name): mirror: FAILED \(subject): \(message)")
                                               default: break
                                               }
                                           })
            let problems = report.problems.map(\.description) + report.failures
            let error = problems.isEmpty ? nil
                : oneLine(Redacted.text("\(report.failed) not mirrored: " + problems.prefix(3).joined(separator: "; ")
                    + (problems.count > 3 ? "; …" : "")))
            result.mirror = MirrorStatus(location: report.destination, ok: report.ok, sent: report.sent, skipped: report.skipped,
                                         failed: report.failed, bytes: report.bytesSent, durationSeconds: report.seconds, error: error)
            log("source \(result.name): mirror: \(report.summary)")
            if report.excluded > 0 { log("source \(result.name): mirror: excluded \(report.excluded) files (exclude:)") }
            if let error { result.error = (result.error.map { $0 + "; " } ?? "") + "mirror to \(report.destination) failed: \(error)" }
        } catch {
            let text = oneLine(Redacted.text(String(describing: error)))
            result.mirror = MirrorStatus(location: target, ok: false, sent: 0, skipped: 0, failed: 0, bytes: 0,
                                         durationSeconds: Date().timeIntervalSince(started), error: text)
            result.error = (result.error.map { $0 + "; " } ?? "") + "mirror to \(target) failed: \(text)"
        }
    }
}
