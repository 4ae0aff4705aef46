import Archive
import Foundation
import PostgresRestore
import VaultopsCore

/// `restore` for PostgreSQL dumps (`.sql.gz` or `.sql`, ours or pg_dump's).
public enum PostgresDumpRestore {
    /// The script of `artifact`, decompressed when it is gzip (on a read-ahead thread, beside the restore's work).
    public static func scriptInput(for artifact: URL) -> ScriptInput {
        let path = artifact.path
        if path.hasSuffix(".gz") {
            // Sendable: it captures only the path, so `--jobs` workers may open their own streams with it.
            let open: @Sendable () throws -> any ByteSource = { ReadAheadSource(try GzipReader(path: path)) }
            return ScriptInput(name: path, open: open, openConcurrently: open)
        }
        return ScriptInput.file(path)
    }

    /// Verifies `artifact` (gzip CRC and length, manifest SHA-256, completion marker) and restores it into `targetURL`.
    ///
    /// One transaction by default, so a failure leaves the target as it was; a target that already holds
    /// user tables is refused unless `options.clean` or `options.force`.
    ///
    /// In the default mode (one transaction, neither `clean` nor `force`) the artifact is read once: the checks
    /// run while the script streams into the restore transaction, decompression and hashing on read-ahead
    /// threads, and the transaction commits only after the last byte passed them, so a damaged artifact is rolled
    /// back and changes nothing. The other modes are verified completely before anything runs (`--clean` and `--force`
    /// act on a database that holds data, and without one transaction every statement commits). `options.jobs` > 1 gives up the single transaction (see
    /// `RestoreOptions.jobs`): the artifact is verified completely first, and a failure drops what was restored.
    public static func restore(_ artifact: URL, targetURL: String, options: RestoreOptions,
                               progress: ((RestoreProgress) -> Void)? = nil) throws -> PostgresRestore.RestoreSummary {
        let restorer = ScriptRestorer(targetURL: targetURL, options: options)
        if options.jobs > 1 {
            return try restoreInParallel(artifact, restorer: restorer, options: options, progress: progress)
        }
        guard checksWhileRestoring(options) else {
            let report = Verifier.verify(artifact)
            guard report.ok else {
                throw ArtifactError.verification(path: artifact.path, reason: report.problems.joined(separator: "; ") + "; nothing was restored")
            }
            return try restorer.restore(scriptInput(for: artifact), progress: progress)
        }

        let (format, manifest) = try preflight(artifact)
        let stream = try CheckedDumpSource.open(artifact: artifact, gzipped: format.gzipped, manifest: manifest)
        var opened = false
        let input = ScriptInput(name: artifact.path) {
            // One pass only: nothing in this mode reads the script twice.
            guard !opened else { throw ArtifactError.failed("internal: the checked script of \(artifact.path) was opened twice") }
            opened = true
            return stream
        }
        do {
            return try restorer.restore(input, progress: progress)
        } catch let error as PostgresRestoreError where error.kind == .interrupted {
            // Stopped by a signal: reading the rest of the artifact would only keep the user waiting.
            throw error
        } catch {
            // The damage the checked stream found reaches here as its own error. A damaged artifact also explains
            // whatever it caused before its check could fail (a truncated statement, a row the server rejects), and
            // is what the user must act on: after any other failure, read the rest and report the damage first, as
            // a verification failure, like the pre-check of the other modes would have.
            if let damage = damage(in: error) ?? readToEnd(stream) {
                throw ArtifactError.verification(path: artifact.path,
                                                  reason: damage + "; nothing was restored (the restore transaction was rolled back)")
            }
            if let error = error as? PostgresRestoreError, error.kind == .truncated || error.kind == .unsupportedMetaCommand {
                // What `verify` reports for a script (missing completion marker, unknown meta-command) is a
                // verification failure here too.
                throw ArtifactError.verification(path: artifact.path, reason: "\(error)")
            }
            throw error
        }
    }

    /// `jobs` > 1: one pass checks the whole artifact (gzip CRC and length, manifest size and SHA-256, completion
    /// marker) and finds the COPY blocks before anything is written; then the restore runs over several
    /// connections. The check pass of a `.sql.gz` also writes the decompressed table data to an unlinked temporary
    /// file (when the temporary folder has room), so the workers read each table at its offset instead of
    /// decompressing the script again up to it.
    private static func restoreInParallel(_ artifact: URL, restorer: ScriptRestorer, options: RestoreOptions,
                                          progress: ((RestoreProgress) -> Void)?) throws -> PostgresRestore.RestoreSummary {
        if let conflict = options.conflict {
            throw PostgresRestoreError(kind: .options, message: conflict + "; nothing was changed", file: artifact.path)
        }
        let (format, manifest) = try preflight(artifact)
        let check: ScriptCheck
        let compressedBytes = ((try? FileManager.default.attributesOfItem(atPath: artifact.path))?[.size] as? NSNumber)?.int64Value ?? 0
        let spool = format.gzipped
            ? CopySpool.make(expectedBytes: manifest?.uncompressedBytes ?? compressedBytes * 10)
            : nil
        do {
            let stream = try CheckedDumpSource.open(artifact: artifact, gzipped: format.gzipped, manifest: manifest)
            check = try checkScript(ScriptInput(name: artifact.path) { stream }, keepingItemsUpTo: ScriptRestorer.keptScriptLimit,
                                    spool: spool)
        } catch let error as ArtifactError {
            if case .verification(let path, let reason) = error {
                throw ArtifactError.verification(path: path, reason: reason + "; nothing was restored")
            }
            throw error
        } catch {
            throw ArtifactError.verification(path: artifact.path, reason: "\(error); nothing was restored")
        }
        return try restorer.restore(scriptInput(for: artifact), checked: check, spool: spool, progress: progress)
    }

    /// Whether the artifact's checks may run during the restore rather than before it (see `restore`).
    static func checksWhileRestoring(_ options: RestoreOptions) -> Bool {
        options.singleTransaction && !options.clean && !options.force
    }

    /// The checks that need no full read (`ArtifactPreflight`, as `verify` makes them): a finished dump with a
    /// readable manifest, when there is one.
    private static func preflight(_ artifact: URL) throws -> (ArtifactFormat, Manifest?) {
        func refuse(_ reason: String) -> ArtifactError {
            .verification(path: artifact.path, reason: reason + "; nothing was restored")
        }
        let checked: ArtifactPreflight
        do {
            checked = try ArtifactPreflight.check(artifact, kind: .postgres)
        } catch {
            throw refuse(error.reason)
        }
        if let problem = checked.manifestProblem { throw refuse(problem) }
        return (checked.format, checked.manifest)
    }

    /// Reads what the restore left of `stream`; returns the artifact's damage when its checks fail.
    private static func readToEnd(_ stream: ReadAheadSource) -> String? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while try stream.read(into: buffer) > 0 {}
            return nil
        } catch {
            return damage(in: error) ?? "\(error)"
        }
    }

    /// The damage `error` reports when it is the checked stream's own: what Archive found in the file or gzip
    /// stream, or how the file differs from its manifest.
    private static func damage(in error: any Error) -> String? {
        switch error {
        case ArtifactError.verification(_, let reason): reason
        case let error as ArchiveError: "\(error)"
        default: nil
        }
    }
}

