import ErrorKinds

/// The process exit status of `vaultops`, as SPEC.md defines it (6–8 are the deploy outcomes).
///
/// Decided in one place: `VaultopsExitCode.for(_:)` maps any error to a status, so every command exits the same way.
/// - Note: Named `VaultopsExitCode`, not `ExitCode`, because ArgumentParser (imported beside it in the executable)
///   has a type of that name.
public enum VaultopsExitCode: Int32, Sendable, CaseIterable, CustomStringConvertible {
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
    /// The object is archived (OSS Archive/ColdArchive) and its restore was requested or is running: run the same
    /// command again later, or with `--wait`.
    case restorePending = 9

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
        case .restorePending: "restore pending"
        }
    }

    /// The exit status for `error`: the one place where errors become exit codes (restic's `ComputeExitCode`).
    ///
    /// Library modules' errors say their `FailureKind` and never name a status; a job module's error that ends a
    /// job with an outcome of its own (deploy's "aborted", 6) provides the status itself; anything else is `failure`.
    /// Here rather than in the executable because the job modules decide exit codes too (`run`'s lock report).
    public static func `for`(_ error: any Error) -> VaultopsExitCode {
        if let provider = error as? any ExitCodeProviding { return provider.exitCode }
        guard let kinded = error as? any KindedError else { return .failure }
        switch kinded.failureKind {
        case .failure: return .failure
        case .usage: return .usage
        case .verification: return .verificationFailed
        case .locked: return .locked
        case .pendingRestore: return .restorePending
        }
    }
}

/// An error of a job module that knows which exit status it should end the process with.
///
/// Only for outcomes a `FailureKind` cannot say (deploy's aborted, 6); library modules' errors adopt
/// `KindedError` instead and leave the status to `VaultopsExitCode.for`.
public protocol ExitCodeProviding: Error {
    /// The status the process exits with when this error ends it.
    var exitCode: VaultopsExitCode { get }
}

/// The exit status for `error` (the one place where errors become exit codes).
public func exitCode(for error: any Error) -> VaultopsExitCode {
    VaultopsExitCode.for(error)
}
