import Foundation
import VaultopsCore

/// How an artifact on disk is stored: which kind, and whether it is gzipped.
public struct ArtifactFormat: Sendable, Equatable {
    public let kind: ArtifactKind
    public let gzipped: Bool

    /// Tells the format from a file name, or nil when the name is not one vaultops reads.
    public static func of(fileName: String) -> ArtifactFormat? {
        if fileName.hasSuffix(".sql.gz") { return ArtifactFormat(kind: .postgres, gzipped: true) }
        if fileName.hasSuffix(".sql") { return ArtifactFormat(kind: .postgres, gzipped: false) }
        if fileName.hasSuffix(".db.gz") { return ArtifactFormat(kind: .sqlite, gzipped: true) }
        if fileName.hasSuffix(".tar.gz") || fileName.hasSuffix(".tgz") { return ArtifactFormat(kind: .files, gzipped: true) }
        return nil
    }
}
