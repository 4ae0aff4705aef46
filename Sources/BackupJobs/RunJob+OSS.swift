import Artifacts
import Foundation
import Mirror
import ObjectStorage
import Retention
import Storage
import VaultopsCore

/// Where `run` ships artifacts: the storage backend for the configured bucket and prefix.
///
/// - Important: holds an `OSSClient` (one libcurl handle), so it stays on the run's thread.
struct OSSTarget {
    let backend: OSSBackend
    var bucket: String { backend.bucket }
    /// Empty or ending in `/`.
    var prefix: String { backend.prefix }

    /// The backend for `oss:`, its settings in `OSSSettings`' precedence (`oss:` keys, the environment, `.env`).
    init(config: OSSConfig, of whole: Config, environment: [String: String], log: @escaping @Sendable (String) -> Void) throws {
        if let problem = OSSLocation.bucketNameProblem(config.bucket) { throw ArtifactError.failed("oss.bucket: \(problem)") }
        let settings = OSSSettings(config: whole, environment: environment, onRetry: { line in log("oss: \(line)") })
        backend = try settings.backend(bucket: config.bucket, prefix: config.prefix ?? "")
    }

    var location: String { backend.location }

    /// The key an artifact (or its manifest) gets.
    func key(for file: URL) -> String { backend.key(file.lastPathComponent) }

    /// Uploads the artifact, then its manifest (`ArtifactUpload`), and returns the bytes sent.
    ///
    /// An object already at either key is never replaced (SPEC: an existing backup is never overwritten);
    /// the upload fails naming it instead.
    func upload(artifact: URL, manifest: URL) throws -> Int64 {
        for file in [artifact, manifest] where try backend.exists(file.lastPathComponent) {
            throw ArtifactError.failed("oss://\(bucket)/\(key(for: file)) already exists; vaultops never overwrites a backup "
                                        + "(is another host writing to the same prefix?)")
        }
        // overwrite: false (x-oss-forbid-overwrite) also closes the gap between the check above and the upload.
        return try ArtifactUpload.upload(artifact: artifact, manifest: manifest, as: artifact.lastPathComponent, to: backend,
                                         options: SaveOptions(overwrite: false)).bytes
    }

    /// True when `error` means every later request would fail the same way (OSS unreachable after the
    /// client's retries, wrong keys, no such bucket), so the run stops hammering OSS.
    static func failsEveryRequest(_ error: any Error) -> Bool {
        guard let error = error as? ObjectStorageError else { return false }
        switch error.kind {
        case .transport, .missingCredentials, .invalidConfiguration, .invalidURL: return true
        case .service:
            return ["InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchBucket", "AccessDenied"].contains(error.serviceCode ?? "")
        case .checksumMismatch, .invalidResponse, .localFile, .pendingRestore: return false
        }
    }
}

@available(*, unavailable)
extension OSSTarget: Sendable {}

extension RunJob {
    /// Mirrors a files source's folders to its `mirror:` prefix (never deleting), and records the result; any
    /// file that failed or could not be mirrored fails the source.
    static func mirror(_ result: inout SourceRunResult, folders: [String], to target: String, config: Config,
                       environment: [String: String], log: @escaping @Sendable (String) -> Void) {
        let started = Date()
        log("source \(result.name): mirroring \(folders.joined(separator: ", ")) to \(target)")
        do {
            let location = try OSSLocation(parsing: target)
            if let oss = config.oss, oss.bucket == location.bucket {
                let backups = OSSBackend.normalized(prefix: oss.prefix ?? "")
                let mirrored = MirrorKey.normalized(prefix: location.key)
                if backups.hasPrefix(mirrored) || mirrored.hasPrefix(backups) {
                    // Folder files among the artifacts would confuse prune and status, and a changed file would
                    // overwrite an object in the prefix that must never be overwritten.
                    throw ArtifactError.failed("the mirror target \(target) overlaps the backup prefix oss://\(oss.bucket)/\(backups); "
                                                + "give the mirror its own prefix")
                }
            }
            // Its settings come from the one place all OSS settings do.
            let backend = try OSSSettings(config: config, environment: environment, onRetry: { line in log("oss: \(line)") })
                .backend(bucket: location.bucket, prefix: location.key)
            let name = result.name
            var options = MirrorOptions()
            // `exclude:` applies to the mirror as to the archive (paths relative to each folder).
            if let exclude = config.source(named: result.name)?.exclude, !exclude.isEmpty {
                options.include = { path in !exclude.isExcluded(path, isDirectory: false) }
            }
            let report = try FolderMirror.upload(directories: folders, to: backend, options: options,
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
