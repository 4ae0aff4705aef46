import Foundation
import VaultopsCore

/// Why a deploy, rollback or release-history read could not go on, with the release, stage or file concerned.
public struct DeployError: Error, CustomStringConvertible, ExitCodeProviding, Equatable {
    /// What went wrong, which decides the exit status.
    public enum Kind: String, Sendable, Equatable {
        /// The config has no usable `deploy:` section, or a command-line value is wrong.
        case configuration
        /// A check before any change failed (required variables, free space, backup folder).
        case preflight
        /// Taking or verifying the backup point failed.
        case backupPoint
        /// The release history cannot be read or appended to.
        case history
        /// `rollback` cannot find what to roll back to.
        case noRollbackTarget
        /// Starting a command failed (not its exit status: that is a step result).
        case process
        /// Restoring data from a backup point failed.
        case restore
    }

    public var kind: Kind
    /// What is wrong and what to do about it (redacted when printed).
    public var message: String
    /// The file concerned (history, log, artifact), when there is one.
    public var file: String?

    public init(_ kind: Kind, _ message: String, file: String? = nil) {
        self.kind = kind
        self.message = message
        self.file = file
    }

    public var description: String {
        Redacted.text((file.map { "\($0): " } ?? "") + message)
    }

    public var exitCode: VaultopsExitCode {
        switch kind {
        case .configuration, .noRollbackTarget: .usage
        case .preflight, .backupPoint: .deployAborted
        case .history, .process, .restore: .failure
        }
    }
}
