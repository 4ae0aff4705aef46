import Foundation
import VaultopsCore

/// How an artifact on disk is stored: which kind, and whether it is gzipped.
///
/// Told from the file name alone, by the endings each kind's handler reads. A layer around the content (say,
/// encryption around the gzip stream) is a further property here and a further ending, not a new kind.
public struct ArtifactFormat: Sendable, Equatable {
    public let kind: ArtifactKind
    public let gzipped: Bool

    public init(kind: ArtifactKind, gzipped: Bool) {
        self.kind = kind
        self.gzipped = gzipped
    }

    /// Tells the format from a file name, or nil when the name is not one vaultops reads.
    public static func of(fileName: String) -> ArtifactFormat? {
        for kind in ArtifactKind.allCases {
            for ending in kind.handler.endings where fileName.hasSuffix(ending.suffix) {
                return ArtifactFormat(kind: kind, gzipped: ending.gzipped)
            }
        }
        return nil
    }

    /// Every ending vaultops reads, for messages: `.sql.gz, .sql, .db.gz or .tar.gz`.
    public static var expectedEndings: String {
        ArtifactEnding.list(ArtifactKind.allCases.flatMap { $0.handler.endings })
    }
}
