import Foundation
import VaultopsCore

/// How an artifact on disk is stored: which kind, whether it is gzipped, and whether it is encrypted.
///
/// Told from the file name alone, by the endings each kind's handler reads. Encryption is a layer around the
/// content (age around the gzip stream), so it is a further ending (`.age`) on any kind's, not a new kind.
public struct ArtifactFormat: Sendable, Equatable {
    public let kind: ArtifactKind
    public let gzipped: Bool
    /// The file is age-encrypted (`.sql.gz.age`): the kind's own format is inside.
    public let encrypted: Bool

    public init(kind: ArtifactKind, gzipped: Bool, encrypted: Bool = false) {
        self.kind = kind
        self.gzipped = gzipped
        self.encrypted = encrypted
    }

    /// Tells the format from a file name, or nil when the name is not one vaultops reads.
    public static func of(fileName: String) -> ArtifactFormat? {
        let encrypted = fileName.hasSuffix(ArtifactName.encryptedSuffix)
        let inner = encrypted ? String(fileName.dropLast(ArtifactName.encryptedSuffix.count)) : fileName
        for kind in ArtifactKind.allCases {
            // Only what backups write is encrypted: the kind's gzipped endings.
            for ending in kind.handler.endings where inner.hasSuffix(ending.suffix) && (ending.gzipped || !encrypted) {
                return ArtifactFormat(kind: kind, gzipped: ending.gzipped, encrypted: encrypted)
            }
        }
        return nil
    }

    /// The name of the content inside an encrypted artifact's file name (`db_20250101.sql.gz`), else the name itself.
    public static func innerName(of fileName: String) -> String {
        fileName.hasSuffix(ArtifactName.encryptedSuffix) ? String(fileName.dropLast(ArtifactName.encryptedSuffix.count)) : fileName
    }

    /// Every ending vaultops reads, for messages: `.sql.gz, .sql, .db.gz or .tar.gz` (the `.gz` ones also with
    /// `.age` after them, left out of messages).
    public static var expectedEndings: String {
        ArtifactEnding.list(ArtifactKind.allCases.flatMap { $0.handler.endings })
    }
}
