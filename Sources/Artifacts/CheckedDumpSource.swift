import Archive
import Foundation
import PostgresRestore
import VaultopsCore

/// The script of a dump artifact, checked while it is read: the gzip CRC-32 and length of every member, and
/// the artifact's size, SHA-256 and uncompressed size against its manifest.
///
/// The checks that need the whole file are made when the end is reached, before the end is reported, so a
/// restore that commits only after reading to the end never commits a damaged artifact. A failed check is
/// thrown as `BackupJobError.verification` (exit status 3). A gzip file is read and hashed on a read-ahead thread
/// of its own while it is inflated, so the checks take about as long as decompression alone.
/// - Important: Not thread-safe; used by one thread at a time (the read-ahead thread during a restore).
final class CheckedDumpSource: ScriptSource {
    private let path: String
    private let manifest: Manifest?
    /// The file's bytes, hashed; checked against the manifest when its end is read.
    private let file: any ByteSource
    private let gzip: GzipReader?
    private var verified = false

    /// Opens `artifact` (gzip when `gzipped`) to compare with `manifest` when there is one.
    init(artifact: URL, gzipped: Bool, manifest: Manifest?) throws {
        path = artifact.path
        self.manifest = manifest
        if gzipped {
            // GzipReader reads 256 KiB at a time: chunks of that size keep the read-ahead's memory at 1 MiB.
            let file = ReadAheadSource(try HashedFile(path: artifact.path, manifest: manifest), chunkSize: 256 << 10)
            self.file = file
            gzip = try GzipReader(source: file, path: artifact.path)
        } else {
            file = try HashedFile(path: artifact.path, manifest: manifest)
            gzip = nil
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if verified { return 0 }
        let n: Int
        do {
            n = try (gzip ?? file).read(into: buffer)
        } catch let error as ArchiveError {
            throw BackupJobError.verification(path: path, reason: "\(error)")
        }
        guard n == 0 else { return n }
        if let gzip {
            // The hash covers the whole file, whatever follows the last gzip member: read the rest (its check throws).
            let rest = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
            defer { rest.deallocate() }
            while try file.read(into: rest) > 0 {}
            if let manifest, manifest.uncompressedBytes != Int64(gzip.uncompressedBytes) {
                throw BackupJobError.verification(path: path, reason: "uncompressed size \(gzip.uncompressedBytes) differs from the manifest's \(manifest.uncompressedBytes)")
            }
        }
        verified = true
        return 0
    }

    /// The file's bytes as read, hashed; at their end, their size and SHA-256 are compared with the manifest.
    private final class HashedFile: ScriptSource, ByteSource {
        let path: String
        let manifest: Manifest?
        let hashing: HashingSource
        var checked = false

        init(path: String, manifest: Manifest?) throws {
            self.path = path
            self.manifest = manifest
            hashing = HashingSource(try FileSource(path: path))
        }

        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n: Int
            do {
                n = try hashing.read(into: buffer)
            } catch let error as ArchiveError {
                throw BackupJobError.verification(path: path, reason: "\(error)")
            }
            if n == 0 && !checked {
                checked = true
                guard let manifest else { return 0 }
                let problems = manifestProblems(manifest, hashed: hashing)
                if !problems.isEmpty {
                    throw BackupJobError.verification(path: path, reason: problems.joined(separator: "; "))
                }
            }
            return n
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
