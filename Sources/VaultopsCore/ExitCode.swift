/// The process exit status of `vaultops`, as SPEC.md defines it (6–8 are the deploy outcomes).
///
/// Decided in one place: `ExitCode.for(_:)` maps any error to a status, so every command exits the same way.
/// - Important: ArgumentParser also has a type named `ExitCode`; in the executable spell this one
///   `VaultopsCore.ExitCode` (or use the `VaultopsExitCode` alias).
public enum ExitCode: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// Everything worked.
    case success = 0
    /// Something failed.
    case failure = 1
    /// Bad command-line usage or a configuration error.
    case usage = 2
    /// An artifact failed verification (checksum, gzip trailer, integrity check).
    case verificationFailed = 3
    /// Another vaultops process holds the lock.
    case locked = 4
    /// `run` finished with some sources failed and others done.
    case partial = 5
    /// `deploy`/`rollback` stopped before changing anything (preflight, backup point or `pre_deploy` failed).
    case deployAborted = 6
    /// `deploy` failed a stage or gate and the previous release was rolled back and is healthy again.
    case rolledBack = 7
    /// `deploy` failed and the previous release could not be restored (its rollback failed, or there was none);
    /// or `rollback` itself failed after it started changing things. Needs a person.
    case rollbackFailed = 8

    public var description: String {
        switch self {
        case .success: "success"
        case .failure: "failure"
        case .usage: "usage"
        case .verificationFailed: "verification failed"
        case .locked: "locked"
        case .partial: "partial"
        case .deployAborted: "deploy aborted"
        case .rolledBack: "rolled back"
        case .rollbackFailed: "rollback failed"
        }
    }

    /// The exit status for `error`: its own when it provides one, `failure` otherwise.
    public static func `for`(_ error: any Error) -> ExitCode {
        if let provider = error as? any ExitCodeProviding { return provider.exitCode }
        return .failure
    }
}

/// An unambiguous name for `VaultopsCore.ExitCode` in files that also import ArgumentParser.
public typealias VaultopsExitCode = ExitCode

/// An error that knows which exit status it should end the process with.
///
/// Module errors adopt it (configuration errors → `usage`, lock contention → `locked`,
/// damaged artifacts → `verificationFailed`); anything else exits with `failure`.
public protocol ExitCodeProviding: Error {
    /// The status the process exits with when this error ends it.
    var exitCode: ExitCode { get }
}

/// The exit status for `error` (the one place where errors become exit codes).
public func exitCode(for error: any Error) -> ExitCode {
    ExitCode.for(error)
}
