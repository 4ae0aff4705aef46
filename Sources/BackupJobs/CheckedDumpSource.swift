import Archive
import Foundation
import PostgresRestore
import VaultopsCore

/// The script of a dump artifact, checked while it is read: the gzip CRC-32 and length of every member, and
/// the artifact's size, SHA-256 and uncompressed size against its manifest.
///
/// The checks that need the whole file are made when the end is reached, before the end is reported, so a
/// restore that commits only after reading to the end never commits a damaged artifact. A failed check is
/// thrown as `BackupJobError.verification` (exit status 3).
/// - Important: Not thread-safe; used by one thread at a time (the read-ahead thread during a restore).
final class CheckedDumpSource: ScriptSource {
    private let path: String
    private let manifest: Manifest?
    private let hashing: HashingSource
    private let gzip: GzipReader?
    private var verified = false

    /// Opens `artifact` (gzip when `gzipped`) to compare with `manifest` when there is one.
    init(artifact: URL, gzipped: Bool, manifest: Manifest?) throws {
        path = artifact.path
        self.manifest = manifest
        hashing = HashingSource(try FileSource(path: artifact.path))
        gzip = gzipped ? try GzipReader(source: hashing, path: artifact.path) : nil
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if verified { return 0 }
        let n: Int
        do {
            let source: any ByteSource = gzip ?? hashing
            n = try source.read(into: buffer)
        } catch let error as ArchiveError {
            throw BackupJobError.verification(path: path, reason: "\(error)")
        }
        if n == 0 {
            try checkAgainstManifest()
            verified = true
        }
        return n
    }

    /// Called once the whole file has been read.
    private func checkAgainstManifest() throws {
        guard let manifest else { return }
        var problems = manifestProblems(manifest, hashed: hashing)
        if let gzip, manifest.uncompressedBytes != Int64(gzip.uncompressedBytes) {
            problems.append("uncompressed size \(gzip.uncompressedBytes) differs from the manifest's \(manifest.uncompressedBytes)")
        }
        if !problems.isEmpty {
            throw BackupJobError.verification(path: path, reason: problems.joined(separator: "; "))
        }
    }
}

@available(*, unavailable)
extension CheckedDumpSource: Sendable {}

/// How a fully read artifact differs from its manifest in size and SHA-256 (empty when it matches).
func manifestProblems(_ manifest: Manifest, hashed: HashingSource) -> [String] {
    var problems: [String] = []
    if manifest.sizeBytes != Int64(hashed.bytesRead) {
        problems.append("size \(hashed.bytesRead) bytes differs from the manifest's \(manifest.sizeBytes)")
    }
    let digest = hashed.finalizeHex()
    if manifest.sha256 != digest {
        problems.append("SHA-256 \(digest) differs from the manifest's \(manifest.sha256)")
    }
    return problems
}
