import ErrorKinds
import Foundation

/// Errors of backing up, verifying and restoring artifacts, with the path or source they concern.
public enum ArtifactError: Error, CustomStringConvertible, KindedError {
    /// The output folder is missing, not a folder, or not writable.
    case outputFolder(path: String, reason: String)
    /// A source path does not exist or cannot be read.
    case source(path: String, reason: String)
    /// An artifact failed verification; nothing was restored from it.
    case verification(path: String, reason: String)
    /// The artifact's kind cannot be told from its name.
    case unknownArtifact(path: String)
    /// A restore was refused to protect existing data.
    case refused(path: String, reason: String)
    /// An encrypted artifact cannot be opened with the keys given (none, unreadable, or not one of its recipients).
    case identity(path: String, reason: String)
    /// An `encryption:` setting or `--recipient` cannot be used (a bad recipient, an unreadable file).
    case encryptionSetting(String)
    /// Anything else, with a message for humans.
    case failed(String)

    public var description: String {
        switch self {
        case let .outputFolder(path, reason): return "output folder \(path): \(reason)"
        case let .source(path, reason): return "\(path): \(reason)"
        case let .verification(path, reason): return "\(path): verification failed: \(reason)"
        case let .unknownArtifact(path):
            return "\(path): not a vaultops artifact (expected a name ending in \(ArtifactFormat.expectedEndings))"
        case let .refused(path, reason): return "\(path): \(reason)"
        case let .identity(path, reason): return "\(path): \(reason)"
        case let .encryptionSetting(reason): return "encryption: \(reason)"
        case let .failed(message): return message
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .verification: return .verification
        case .unknownArtifact, .identity, .encryptionSetting: return .usage
        case .outputFolder, .source, .refused, .failed: return .failure
        }
    }
}
