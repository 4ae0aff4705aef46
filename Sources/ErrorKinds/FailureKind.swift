/// What kind of failure an error is, in the terms the person running vaultops acts on.
///
/// Library modules describe their errors this way and never name an exit status: the one mapping from a kind to
/// a status of SPEC.md is `VaultopsExitCode.for` in VaultopsCore (restic's `ComputeExitCode`). Outcomes that only a job
/// has (run's partial success, deploy's aborted / rolled back / rollback failed) stay with the job modules.
public enum FailureKind: String, Sendable, Equatable, CaseIterable {
    /// The work failed; what any error without a kind is.
    case failure
    /// What the user typed or configured is wrong (a bad option, name, URL or setting).
    case usage
    /// Data failed a check: a damaged artifact or manifest, a migration whose copy differs from its source.
    case verification
    /// Another process holds a lock this one needs.
    case locked
    /// The data is archived (OSS Archive/ColdArchive) and being restored: the same command works later.
    case pendingRestore
}

/// An error that says which kind of failure it is.
public protocol KindedError: Error {
    /// The kind of failure, which decides the exit status when this error ends the process.
    var failureKind: FailureKind { get }
}
