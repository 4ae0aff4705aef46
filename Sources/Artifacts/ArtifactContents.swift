import Foundation
import VaultopsCore

/// `restore ARTIFACT --list`: what a dump or folder archive holds.
public enum ArtifactContents {
    /// The lines to print for `artifact`: a dump's objects (start, end, kind, schema, name, owner; offsets in the
    /// decompressed script), or a folder archive's entries as `tar tzf` prints them. `note` hears how much of a
    /// dump was read.
    public static func list(_ artifact: URL, keys: () throws -> DecryptionKeys? = { nil }, note: (String) -> Void) throws -> [String] {
        guard let format = ArtifactFormat.of(fileName: artifact.lastPathComponent) else {
            throw ArtifactError.unknownArtifact(path: artifact.path)
        }
        // An encrypted artifact is listed from its plaintext, decrypted as a restore would (never its ciphertext).
        return try ArtifactDecryption.withPlaintext(of: artifact, keys: try keys()) { plain in
            switch format.kind {
            case .postgres:
                let listing = try PartialDumpRestore.list(plain)
                note("vaultops: read \(listing.bytesRead) of \(listing.fileSize) bytes"
                     + (listing.usedIndex ? " (the manifest's index skipped the table contents)" : ""))
                return ["start\tend\tkind\tschema\tname\towner"] + listing.contents.listing
            case .files:
                return try ArchivePaths.list(plain)
            default:
                throw RestoreRequestError("--list works on dumps (.sql.gz, .sql) and folder archives (.tar.gz), not on \(artifact.lastPathComponent)")
            }
        }
    }
}
