import Age
import Archive
import Foundation
import VaultopsCore

/// Reading age-encrypted artifacts (`.sql.gz.age`, `.db.gz.age`, `.tar.gz.age`): checked without a key against the
/// manifest, or decrypted into a private temporary copy that the kind's handler then verifies or restores as if
/// it were the plain artifact.
///
/// The decrypted copy is the artifact's gzip stream (never the uncompressed data), in a folder of mode 0700 under
/// the temporary folder (`TMPDIR`), removed when the work is done. Every payload chunk is authenticated and the
/// whole encrypted file compared with its manifest before the copy is handed on, so a tampered, cut or swapped
/// file is refused before anything is restored.
public enum ArtifactDecryption {
    /// Runs `body` with the plain artifact: `artifact` itself when it is not encrypted, else its decrypted copy
    /// (with a manifest beside it that describes the copy) made with `keys`, which are only read then (so a stale
    /// `VAULTOPS_IDENTITY_FILE` never stops a plain artifact).
    ///
    /// Throws `ArtifactError.identity` (exit 2) when `keys` is nil or opens none of the file's recipients, and
    /// `ArtifactError.verification` (exit 3) when the file is damaged or differs from its manifest.
    public static func withPlaintext<T>(of artifact: URL, keys loadKeys: @autoclosure () throws -> DecryptionKeys?,
                                        _ body: (URL) throws -> T) throws -> T {
        guard ArtifactFormat.of(fileName: artifact.lastPathComponent)?.encrypted == true else { return try body(artifact) }
        let manifest: Manifest?
        do {
            let preflight = try ArtifactPreflight.check(artifact)
            if let problem = preflight.manifestProblem { throw ArtifactError.verification(path: artifact.path, reason: problem) }
            manifest = preflight.manifest
        } catch let refusal as ArtifactPreflight.Refusal {
            throw ArtifactError.verification(path: artifact.path, reason: refusal.reason)
        }
        guard let keys = try loadKeys() else {
            throw ArtifactError.identity(path: artifact.path, reason: "encrypted (age); give the identity that reads it with --identity FILE "
                + "or \(DecryptionKeys.identityFileVariable) (a passphrase-encrypted one: --passphrase-file FILE or \(DecryptionKeys.passphraseFileVariable))")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vaultops-decrypt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let inner = folder.appendingPathComponent(ArtifactFormat.innerName(of: artifact.lastPathComponent))
        try decrypt(artifact, manifest: manifest, keys: keys, into: inner)
        return try body(inner)
    }

    /// Decrypts `artifact` into `destination` (created, mode 0600) and writes a manifest beside it that describes
    /// the decrypted copy; checks the encrypted file's size and SHA-256 against `manifest` first.
    static func decrypt(_ artifact: URL, manifest: Manifest?, keys: DecryptionKeys, into destination: URL) throws {
        let path = artifact.path
        let hashing = HashingSource(try FileSource(path: path))
        let file = try FileSink(path: destination.path)
        let copy = HashingSink(forwardingTo: file)
        do {
            let reader = try AgeReader(source: hashing, identities: keys.identities)
            try reader.copy(to: copy)
            // The reader ends after a valid final chunk and refuses data after it; nothing is left, but read on so
            // that the hash covers the whole file whatever happens.
            try hashing.copy(to: DiscardSink())
            try file.close()
        } catch {
            try? file.close()
            throw refusal(error, path: path, keys: keys)
        }
        if let manifest {
            let problems = manifestProblems(manifest, hashed: hashing)
            if !problems.isEmpty { throw ArtifactError.verification(path: path, reason: problems.joined(separator: "; ")) }
            var plain = manifest
            plain.artifact = destination.lastPathComponent
            plain.sizeBytes = Int64(copy.bytesWritten)
            plain.sha256 = copy.finalizeHex()
            plain.encryption = nil
            try AtomicFile.write(data: try plain.encoded(), to: Manifest.sidecarURL(for: destination))
        }
    }

    /// The artifact error for an age failure: keys that open nothing are the user's to fix (exit 2); anything the
    /// file itself fails (header, MAC, a chunk, its end) is damage (exit 3). Other errors pass unchanged.
    static func refusal(_ error: any Error, path: String, keys: DecryptionKeys) -> any Error {
        guard let age = error as? AgeError else { return error }
        switch age {
        case .noMatchingIdentity:
            return ArtifactError.identity(path: path, reason: "none of the keys of \(keys.origin) opens it "
                                          + "(it is encrypted for other recipients, or the passphrase is wrong); nothing was decrypted")
        case .invalidIdentity, .misuse:
            return ArtifactError.identity(path: path, reason: "\(age)")
        default:
            return ArtifactError.verification(path: path, reason: "\(age)")
        }
    }

    /// `verify` of an encrypted artifact: decrypted with `keys` and the copy verified like a plain artifact, or,
    /// without keys, the age header and the whole file's size and SHA-256 against the manifest.
    static func verify(_ check: VerifyCheck, keys: DecryptionKeys?) -> VerifyReport {
        var check = check
        guard let keys else {
            if check.deep {
                let report = VerifyReport(artifact: check.artifact, format: check.format, manifest: check.manifest,
                                          problems: ["--deep of an encrypted artifact decrypts it: give --identity FILE or \(DecryptionKeys.identityFileVariable)"],
                                          checks: [])
                return report.withKeyProblem()
            }
            do {
                try checkWithoutKeys(&check)
            } catch {
                check.problems.append("\(error)")
            }
            return VerifyReport(artifact: check.artifact, format: check.format, manifest: check.manifest,
                                problems: check.problems, checks: check.checks)
        }
        do {
            let inner = try withPlaintext(of: check.artifact, keys: keys) { plain in
                Verifier.verify(plain, deep: check.deep, serverURL: check.serverURL)
            }
            let checks = ["decrypted with \(keys.origin), every age chunk authenticated",
                          check.manifest == nil ? "no manifest beside it: SHA-256 not compared" : "SHA-256 of the encrypted file matches the manifest"]
            return VerifyReport(artifact: check.artifact, format: check.format, manifest: check.manifest,
                                problems: inner.problems, checks: checks + inner.checks)
        } catch {
            var report = VerifyReport(artifact: check.artifact, format: check.format, manifest: check.manifest,
                                      problems: ["\(error)"], checks: [])
            if case ArtifactError.identity = error { report = report.withKeyProblem() }
            return report
        }
    }

    /// The checks an encrypted artifact gets without its key: the age header line, and the whole file against
    /// the manifest (size, SHA-256, recipients recorded).
    private static func checkWithoutKeys(_ check: inout VerifyCheck) throws {
        let hashing = HashingSource(try FileSource(path: check.artifact.path))
        let intro = Array("age-encryption.org/v1\n".utf8)
        try check.checkStart(of: hashing, limit: intro.count, ok: "age v1 header") { head in
            head == intro ? nil : "not an age v1 file: it does not start with the age-encryption.org/v1 line"
        }
        try hashing.copy(to: DiscardSink())
        let digest = hashing.finalizeHex()
        guard let manifest = check.manifest else {
            check.checks.append("no manifest beside it: SHA-256 \(digest) not compared; content not checked (encrypted)")
            return
        }
        let problems = manifestProblems(manifest, hashed: hashing)
        check.problems += problems
        if problems.isEmpty { check.checks.append("size and SHA-256 of the encrypted file match the manifest") }
        if let recipients = manifest.encryption?.recipients {
            check.checks.append("encrypted for \(recipients.joined(separator: ", ")); content not checked without an identity (--identity)")
        } else {
            check.problems.append("the manifest does not record the encryption its .age name says")
        }
    }
}

extension ArtifactDecryption {
    /// Decrypts the age file `artifact` into `destination` with `keys` (`download --decrypt`): written under a
    /// temporary name and renamed into place only once every chunk authenticated. An existing `destination` is
    /// refused, or with `replacing` replaced only then, so a wrong key or a damaged file leaves it as it was.
    public static func decrypt(_ artifact: URL, keys: DecryptionKeys, to destination: URL, replacing: Bool = false) throws {
        let target = replacing
            ? destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).decrypt-\(UUID().uuidString.prefix(8))")
            : destination
        let file = try AtomicFile(destination: target)
        do {
            let reader = try AgeReader(source: try FileSource(path: artifact.path), identities: keys.identities)
            try reader.copy(to: file)
            try file.commit()
        } catch {
            file.discard()
            throw refusal(error, path: artifact.path, keys: keys)
        }
        if replacing && rename(target.path, destination.path) != 0 {
            let failure = ArchiveError.io(path: destination.path, operation: "rename", errno: errno)
            try? FileManager.default.removeItem(at: target)
            throw failure
        }
    }
}
