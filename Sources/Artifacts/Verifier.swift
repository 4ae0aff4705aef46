import Archive
import Foundation
import PostgresRestore
import VaultopsCore

/// The outcome of checking one artifact.
public struct VerifyReport: Sendable {
    public let artifact: URL
    public let format: ArtifactFormat?
    public let manifest: Manifest?
    /// Problems found; empty when the artifact is good.
    public let problems: [String]
    /// What was checked, for the user.
    public let checks: [String]
    /// The artifact is encrypted and could not be opened with the keys given (none, or not its recipients'): the
    /// user's to fix (exit 2), not damage.
    public private(set) var keyProblem = false

    public var ok: Bool { problems.isEmpty }

    /// This report, its problem being the keys.
    func withKeyProblem() -> VerifyReport {
        var report = self
        report.keyProblem = true
        return report
    }
}

/// A stream of an artifact's content as the handlers read it: Archive's byte source, which PostgreSQL's script
/// reader takes too.
public typealias ContentSource = ByteSource

/// One artifact under `verify`: what is known about it, and what the checks found so far.
public struct VerifyCheck: Sendable {
    public let artifact: URL
    public let format: ArtifactFormat
    public let manifest: Manifest?
    /// Check the content itself too (`verify --deep`).
    public let deep: Bool
    /// The PostgreSQL server for deep checks of dumps.
    public let serverURL: String?
    /// What was checked, for the user.
    public var checks: [String] = []
    /// Problems found; empty while the artifact is good.
    public var problems: [String] = []

    /// Reads the first bytes of `content` (at most `limit`) and records `problem`'s verdict on them, or `ok`.
    package mutating func checkStart(of content: any ContentSource, limit: Int, ok: String,
                                     problem: ([UInt8]) -> String?) throws {
        let head = HeadSink(limit: limit)
        try content.copy(to: head)
        if let found = problem(head.bytes) {
            problems.append(found)
        } else {
            checks.append(ok)
        }
    }
}

/// `verify`: reads an artifact end to end and compares it with its manifest.
public enum Verifier {
    /// Checks `artifact`: complete gzip stream (CRC-32 and length of every member), the content's format (SQLite's
    /// header, the first tar header), SHA-256 and size against the manifest, and with `deep` the content itself
    /// (SQLite integrity_check and row counts, every tar entry by the rules restore applies, and for dumps a restore
    /// into a scratch database on `serverURL`, created and dropped, with row counts).
    ///
    /// An encrypted artifact is decrypted with `keys` and its content checked as above; without keys only its age
    /// header and the whole file's size and SHA-256 against the manifest are checked (and `deep` is a key problem).
    public static func verify(_ artifact: URL, deep: Bool = false, serverURL: String? = nil,
                              keys: DecryptionKeys? = nil) -> VerifyReport {
        let preflight: ArtifactPreflight
        do {
            preflight = try ArtifactPreflight.check(artifact)
        } catch {
            return VerifyReport(artifact: artifact, format: error.format, manifest: nil, problems: [error.reason], checks: [])
        }
        let format = preflight.format
        let handler = format.kind.handler
        var check = VerifyCheck(artifact: artifact, format: format, manifest: preflight.manifest, deep: deep,
                                serverURL: serverURL)
        if let problem = preflight.manifestProblem { check.problems.append(problem) }
        if format.encrypted {
            guard check.problems.isEmpty else {
                return VerifyReport(artifact: artifact, format: format, manifest: nil, problems: check.problems, checks: [])
            }
            return ArtifactDecryption.verify(check, keys: keys)
        }
        do {
            try readAndCompare(handler, &check)
        } catch {
            check.problems.append("\(error)")
        }
        if check.problems.isEmpty { handler.verifyAfterRead(&check) }
        return VerifyReport(artifact: artifact, format: format, manifest: check.manifest, problems: check.problems,
                            checks: check.checks)
    }

    /// Has the handler check the content, reads the file to its very end, and compares it with the manifest.
    private static func readAndCompare(_ handler: any ArtifactHandler, _ check: inout VerifyCheck) throws {
        let path = check.artifact.path
        let hashing = HashingSource(try FileSource(path: path))
        if check.format.gzipped {
            let gzip = try GzipReader(source: hashing, path: path)
            try handler.verifyContent(gzip, &check)
            // Read to the very end so that the hash covers the whole file, trailing bytes included.
            try hashing.copy(to: DiscardSink())
            check.checks.append("gzip stream complete, CRC-32 and length match (\(gzip.uncompressedBytes) bytes)")
            if let expected = check.manifest?.uncompressedBytes, expected != Int64(gzip.uncompressedBytes) {
                check.problems.append("uncompressed size \(gzip.uncompressedBytes) differs from the manifest's \(expected)")
            }
        } else {
            try handler.verifyContent(hashing, &check)
            try hashing.copy(to: DiscardSink())
        }
        let digest = hashing.finalizeHex()
        if let manifest = check.manifest {
            if manifest.sizeBytes != Int64(hashing.bytesRead) {
                check.problems.append("size \(hashing.bytesRead) bytes differs from the manifest's \(manifest.sizeBytes)")
            }
            if manifest.sha256 != digest {
                check.problems.append("SHA-256 \(digest) differs from the manifest's \(manifest.sha256)")
            } else {
                check.checks.append("SHA-256 matches the manifest")
            }
        } else {
            check.checks.append("no manifest beside it: SHA-256 \(digest) not compared")
        }
    }
}

/// Keeps the first `limit` bytes written to it and discards the rest.
final class HeadSink: ByteSink {
    private let limit: Int
    private(set) var bytes: [UInt8] = []

    init(limit: Int) { self.limit = limit }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard bytes.count < limit else { return }
        bytes += buffer.prefix(limit - bytes.count)
    }
}
