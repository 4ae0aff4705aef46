import Artifacts
import Foundation
import VaultopsCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Taking a backup point (backup + verification of each `backup_point` source) and restoring data from one.
public enum BackupPoint {
    /// Backs up each named source into `backup_dir` (normal artifact names) and verifies it; the first
    /// failure throws, so a deploy never starts on an unverified backup point.
    ///
    /// SQLite snapshots get the deep check (integrity_check of the snapshot itself); dumps and archives the
    /// full-stream check (gzip CRC, SHA-256 against the manifest, the dump's completion marker).
    public static func take(sources names: [String], config: Config, now: Date = Date(),
                            log: (String) -> Void) throws(DeployError) -> [BackupPointArtifact] {
        guard let backupDir = config.backupDir else {
            throw DeployError(.backupPoint, "no backup_dir configured for the backup point")
        }
        var artifacts: [BackupPointArtifact] = []
        for name in names {
            guard let source = config.source(named: name) else {
                throw DeployError(.backupPoint, "backup_point names '\(name)', which is not in sources")
            }
            log("backup point: \(source.name): backing up \(source.kind) \(source.redactedTarget)")
            let handler = source.kind.handler
            let result: BackupResult
            do {
                let options = BackupOptions(outputDirectory: URL(fileURLWithPath: backupDir), name: source.name,
                                            level: source.level ?? 6, jobs: ProcessInfo.processInfo.activeProcessorCount,
                                            timeZone: config.effectiveTimeZone,
                                            encryption: try config.encryption(for: source).map { try EncryptionRecipients.resolve($0) })
                result = try handler.backup(source, options: options, now: now)
            } catch {
                throw DeployError(.backupPoint, "backup of \(source.name) failed: \(oneLine(error)); nothing was deployed")
            }
            // An encrypted backup point is checked without its key (header, size and SHA-256): the deploy host
            // needs the identity only to restore it (--with-data).
            let report = Verifier.verify(result.artifact, deep: handler.backupPointChecksDeep && !(result.manifest.encryption != nil))
            guard report.ok else {
                throw DeployError(.backupPoint, "\(result.artifact.path) failed verification: \(report.problems.joined(separator: "; ")); nothing was deployed")
            }
            log("backup point: \(source.name): \(result.artifact.path) (\(ProgressReporter.formatBytes(result.manifest.sizeBytes))) verified")
            artifacts.append(BackupPointArtifact(source: source.name, kind: source.kind, path: result.artifact.path,
                                                 sizeBytes: result.manifest.sizeBytes, sha256: result.manifest.sha256))
        }
        return artifacts
    }

    /// Restores every artifact of a backup point over its source as configured now; returns one step per source.
    ///
    /// PostgreSQL: one transaction with `--clean` (what the dump creates is dropped first), so a failure leaves
    /// the database as it was. SQLite: integrity-checked before it replaces the file, the old file kept beside
    /// it. Folders: existing files replaced (files added since stay).
    public static func restore(_ artifacts: [BackupPointArtifact], config: Config,
                               log: (String) -> Void) -> [StepRecord] {
        var steps: [StepRecord] = []
        for artifact in artifacts {
            let started = Date()
            let url = URL(fileURLWithPath: artifact.path)
            var ok = true
            var detail: String
            do {
                detail = try restoreOne(artifact, url: url, config: config, log: log)
            } catch {
                ok = false
                detail = "FAILED: \(oneLine(error))"
            }
            log("restore: \(artifact.source): \(detail)")
            steps.append(StepRecord(phase: .restore, name: artifact.source, ok: ok,
                                    seconds: Date().timeIntervalSince(started), detail: detail))
        }
        return steps
    }

    /// Restores one artifact over its configured source; returns the handler's summary.
    // Kept out of line: Swift 6.3's release optimizer (CopyPropagation) crashed with "Found ownership error"
    // when this body was inlined into the loop above.
    @inline(never)
    private static func restoreOne(_ artifact: BackupPointArtifact, url: URL, config: Config,
                                   log: (String) -> Void) throws -> String {
        guard let source = config.source(named: artifact.source) else {
            throw DeployError(.restore, "source '\(artifact.source)' is no longer in the config; restore \(artifact.path) by hand")
        }
        log("restore: \(artifact.source): \(artifact.path) → \(source.redactedTarget)")
        let handler = source.kind.handler
        // An encrypted backup point is decrypted with the identity $VAULTOPS_IDENTITY_FILE names.
        return try ArtifactDecryption.withPlaintext(of: url, keys: try DecryptionKeys.load()) { plain in
            try handler.restore(plain, over: source)
        }
    }

    /// Bytes a new backup point is expected to need in `backup_dir`, from the newest artifacts of its sources.
    ///
    /// Each artifact takes about its previous size (plus a quarter for growth); a SQLite snapshot also needs
    /// its uncompressed size while it is being written. At least `minimum` (64 MiB) either way, so a first
    /// deploy still checks that the disk is not full.
    public static func estimatedBytes(previous: [(kind: ArtifactKind, sizeBytes: Int64, uncompressedBytes: Int64)],
                                      minimum: Int64 = 64 << 20) -> Int64 {
        var total: Int64 = 0
        for p in previous {
            total += p.sizeBytes + p.sizeBytes / 4
            if p.kind.handler.stagesUncompressedCopy { total += p.uncompressedBytes }
        }
        return max(total, minimum)
    }

    /// The newest artifact of each source in `backupDir`, read from their manifests (for `estimatedBytes`).
    public static func previousSizes(sources: [String], backupDir: String) -> [(kind: ArtifactKind, sizeBytes: Int64, uncompressedBytes: Int64)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: backupDir)) ?? []
        let parsed = names.compactMap(ArtifactName.parse).filter { !$0.isManifest && !$0.isPartial }
        var out: [(kind: ArtifactKind, sizeBytes: Int64, uncompressedBytes: Int64)] = []
        for source in sources {
            guard let newest = parsed.filter({ $0.source == source }).sorted(by: ParsedArtifact.chronological).last else { continue }
            let artifact = URL(fileURLWithPath: backupDir).appendingPathComponent(newest.artifactFileName)
            if let manifest = try? Manifest.load(from: Manifest.sidecarURL(for: artifact)) {
                out.append((manifest.kind, manifest.sizeBytes, manifest.uncompressedBytes))
            }
        }
        return out
    }

    /// Free bytes for an unprivileged writer in the file system holding `path`.
    public static func freeBytes(at path: String) -> Int64? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        return Int64(s.f_bavail) * Int64(s.f_frsize)
    }
}

/// An error as one redacted line (libpq hints come on several).
func oneLine(_ error: any Error) -> String {
    Redacted.text(String(describing: error)).split(whereSeparator: \.isNewline)
        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
}
