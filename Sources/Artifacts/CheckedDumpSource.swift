import Archive
import Foundation
import VaultopsCore

/// The script of a dump artifact, checked while it is read: the gzip CRC-32 and length of every member, and
/// the artifact's size, SHA-256 and uncompressed size against its manifest.
///
/// The checks that need the whole file are made when the end is reached, before the end is reported, so a
/// restore that commits only after reading to the end never commits a damaged artifact. The whole chain is
/// Archive's (read-ahead → gzip → read-ahead → hashing → file); only the manifest comparisons are made here.
/// Damage reaches the reader as the error that found it: an `ArchiveError` (gzip, file) or, for a difference
/// from the manifest, `ArtifactError.verification` (exit status 3). A gzip file is read and hashed on a read-ahead
/// thread of its own while it is inflated, so the checks take about as long as decompression alone.
enum CheckedDumpSource {
    /// Opens `artifact` (gzip when `gzipped`) to compare with `manifest` when there is one, read ahead on a
    /// thread of its own.
    static func open(artifact: URL, gzipped: Bool, manifest: Manifest?) throws -> ReadAheadSource {
        let path = artifact.path
        let hashing = HashingSource(try FileSource(path: path))
        let file = EndCheckSource(hashing) {
            guard let manifest else { return }
            let problems = manifestProblems(manifest, hashed: hashing)
            if !problems.isEmpty {
                throw ArtifactError.verification(path: path, reason: problems.joined(separator: "; "))
            }
        }
        guard gzipped else { return ReadAheadSource(file) }
        // GzipReader reads 256 KiB at a time: chunks of that size keep the read-ahead's memory at 1 MiB. It reports
        // its end only after its source's, so the file has been hashed and checked whole by then.
        let gzip = try GzipReader(source: ReadAheadSource(file, chunkSize: 256 << 10), path: path)
        guard let manifest else { return ReadAheadSource(gzip) }
        let script = EndCheckSource(gzip) {
            if manifest.uncompressedBytes != Int64(gzip.uncompressedBytes) {
                throw ArtifactError.verification(path: path, reason: "uncompressed size \(gzip.uncompressedBytes) differs from the manifest's \(manifest.uncompressedBytes)")
            }
        }
        return ReadAheadSource(script)
    }
}

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
