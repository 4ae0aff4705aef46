import Archive
import Artifacts
import BackupJobs
import Deploy
import Migration
import Mirror
import ObjectStorage
import PostgresRestore
import Replication
import Retention
import Storage
import Testing
@testable import VaultopsCore

/// Every error type of every module, one value per case (or per flag), with the SPEC exit status it ends
/// `vaultops` with. The process maps errors to statuses through `VaultopsExitCode.for`, so this table is what users see.
@Suite("Exit codes of every error type")
struct ExitCodeMappingTests {
    struct Plain: Error {}

    static let table: [(name: String, error: any Error, code: VaultopsExitCode)] = [
        // VaultopsCore
        ("ArtifactNameError", ArtifactNameError(value: "a/b", reason: "x"), .usage),
        ("ConfigError", ConfigError(file: "v.yml", line: 3, message: "x"), .usage),
        ("LockError.held", LockError.held(by: "pid 1", path: "/l"), .locked),
        ("LockError.failed", LockError.failed(path: "/l", operation: "open", reason: "x"), .failure),
        ("ManifestError damaged", ManifestError(file: "m", problem: "x", isDamaged: true), .verificationFailed),
        ("ManifestError unreadable", ManifestError(file: "m", problem: "x", isDamaged: false), .failure),
        // Migration
        ("MigrationError.usage", MigrationError(.usage, "x"), .usage),
        ("MigrationError.targetNotEmpty", MigrationError(.targetNotEmpty, "x"), .failure),
        ("MigrationError.targetHasDependents", MigrationError(.targetHasDependents, "x"), .failure),
        ("MigrationError.io", MigrationError(.io, "x"), .failure),
        ("MigrationError.source", MigrationError(.source, "x"), .failure),
        ("MigrationError.target", MigrationError(.target, "x"), .failure),
        ("MigrationError.incomplete", MigrationError(.incomplete, "x"), .failure),
        ("MigrationError.verificationFailed", MigrationError(.verificationFailed, "x"), .verificationFailed),
        // Replication
        ("ReplicationError.notWAL", ReplicationError(.notWAL, "x"), .usage),
        ("ReplicationError.noRestorePoint", ReplicationError(.noRestorePoint, "x"), .usage),
        ("ReplicationError.walFormat", ReplicationError(.walFormat, "x"), .verificationFailed),
        ("ReplicationError.segmentFormat", ReplicationError(.segmentFormat, "x"), .verificationFailed),
        ("ReplicationError.integrity", ReplicationError(.integrity, "x"), .verificationFailed),
        ("ReplicationError.io", ReplicationError(.io, "x"), .failure),
        ("ReplicationError.locked", ReplicationError(.locked, "x"), .locked),
        // Storage
        ("StorageError.notFound", StorageError(.notFound, "x", object: "o"), .failure),
        ("StorageError.alreadyExists", StorageError(.alreadyExists, "x", object: "o"), .failure),
        ("StorageError.invalidName", StorageError(.invalidName, "x", object: "o"), .usage),
        ("StorageError.io", StorageError(.io, "x", object: "o"), .failure),
        ("StorageError.checksumMismatch", StorageError(.checksumMismatch, "x", object: "o"), .failure),
        // ObjectStorage
        ("ObjectStorageError.invalidURL", ObjectStorageError(.invalidURL, "x"), .usage),
        ("ObjectStorageError.missingCredentials", ObjectStorageError(.missingCredentials, "x"), .usage),
        ("ObjectStorageError.invalidConfiguration", ObjectStorageError(.invalidConfiguration, "x"), .usage),
        ("ObjectStorageError.transport", ObjectStorageError(.transport, "x"), .failure),
        ("ObjectStorageError.service", ObjectStorageError(.service, "x"), .failure),
        ("ObjectStorageError.checksumMismatch", ObjectStorageError(.checksumMismatch, "x"), .failure),
        ("ObjectStorageError.invalidResponse", ObjectStorageError(.invalidResponse, "x"), .failure),
        ("ObjectStorageError.localFile", ObjectStorageError(.localFile, "x"), .failure),
        // Mirror
        ("MirrorError usage", MirrorError("x", usage: true), .usage),
        ("MirrorError", MirrorError("x"), .failure),
        // Retention
        ("RetentionError.invalidPolicy", RetentionError(.invalidPolicy, "x"), .usage),
        ("RetentionError.listFailed", RetentionError(.listFailed, "x"), .failure),
        ("RetentionError.readFailed", RetentionError(.readFailed, "x"), .failure),
        ("RetentionError.removeFailed", RetentionError(.removeFailed, "x"), .failure),
        ("RetentionError.invalidLocation", RetentionError(.invalidLocation, "x"), .usage),
        // PostgresRestore
        ("PostgresRestoreError.statementFailed", PostgresRestoreError(kind: .statementFailed, message: "x"), .failure),
        ("PostgresRestoreError.connectionLost", PostgresRestoreError(kind: .connectionLost, message: "x"), .failure),
        ("PostgresRestoreError.truncated", PostgresRestoreError(kind: .truncated, message: "x"), .failure),
        ("PostgresRestoreError.unsupportedMetaCommand", PostgresRestoreError(kind: .unsupportedMetaCommand, message: "x"), .failure),
        ("PostgresRestoreError.invalidScript", PostgresRestoreError(kind: .invalidScript, message: "x"), .failure),
        ("PostgresRestoreError.targetNotEmpty", PostgresRestoreError(kind: .targetNotEmpty, message: "x"), .failure),
        ("PostgresRestoreError.target", PostgresRestoreError(kind: .target, message: "x"), .failure),
        ("PostgresRestoreError.io", PostgresRestoreError(kind: .io, message: "x"), .failure),
        ("PostgresRestoreError.options", PostgresRestoreError(kind: .options, message: "x"), .usage),
        ("PostgresRestoreError.outsideTarget", PostgresRestoreError(kind: .outsideTarget, message: "x"), .failure),
        ("PostgresRestoreError.untrustedStatement", PostgresRestoreError(kind: .untrustedStatement, message: "x"), .failure),
        ("PostgresRestoreError.lockTimeout", PostgresRestoreError(kind: .lockTimeout, message: "x"), .failure),
        ("PostgresRestoreError.interrupted", PostgresRestoreError(kind: .interrupted, message: "x"), .failure),
        // Archive: a damaged file is a verification failure only where a job knows it is an artifact.
        ("ArchiveError.checksumMismatch", ArchiveError.checksumMismatch("f", detail: "x"), .failure),
        ("ArchiveError.corrupt", ArchiveError.corrupt("f", offset: 1, reason: "x"), .failure),
        ("ArchiveError.truncated", ArchiveError.truncated("f", detail: "x"), .failure),
        ("ArchiveError.io", ArchiveError.io(path: "f", operation: "read", errno: 5), .failure),
        // BackupJobs (a job module)
        ("ArtifactError.outputFolder", ArtifactError.outputFolder(path: "p", reason: "x"), .failure),
        ("ArtifactError.source", ArtifactError.source(path: "p", reason: "x"), .failure),
        ("ArtifactError.verification", ArtifactError.verification(path: "p", reason: "x"), .verificationFailed),
        ("ArtifactError.unknownArtifact", ArtifactError.unknownArtifact(path: "p"), .usage),
        ("ArtifactError.refused", ArtifactError.refused(path: "p", reason: "x"), .failure),
        ("ArtifactError.identity", ArtifactError.identity(path: "p", reason: "x"), .usage),
        ("ArtifactError.encryptionSetting", ArtifactError.encryptionSetting("x"), .usage),
        ("ArtifactError.failed", ArtifactError.failed("x"), .failure),
        ("ArtifactLookupError", ArtifactLookupError("no such artifact x"), .usage),
        ("RestoreDeclined", RestoreDeclined(), .failure),
        // Deploy (a job module: 6 is its own)
        ("DeployError.configuration", DeployError(.configuration, "x"), .usage),
        ("DeployError.preflight", DeployError(.preflight, "x"), .deployAborted),
        ("DeployError.backupPoint", DeployError(.backupPoint, "x"), .deployAborted),
        ("DeployError.history", DeployError(.history, "x"), .failure),
        ("DeployError.noRollbackTarget", DeployError(.noRollbackTarget, "x"), .usage),
        ("DeployError.process", DeployError(.process, "x"), .failure),
        ("DeployError.restore", DeployError(.restore, "x"), .failure),
        // Anything else
        ("an error of no module", Plain(), .failure),
        ("CancellationError", CancellationError(), .failure),
    ]

    @Test("each error maps to its SPEC exit status")
    func everyErrorType() {
        for (name, error, code) in Self.table {
            #expect(VaultopsExitCode.for(error) == code, "\(name)")
        }
    }

    @Test("deploy and rollback outcomes keep their statuses (0, 6, 7, 8)", arguments: [
        (ReleaseOutcome.succeeded, VaultopsExitCode.success), (.aborted, .deployAborted), (.rolledBack, .rolledBack),
        (.rollbackFailed, .rollbackFailed), (.failed, .rollbackFailed), (.unfinished, .rollbackFailed),
    ])
    func releaseOutcomes(_ outcome: ReleaseOutcome, _ code: VaultopsExitCode) {
        #expect(outcome.exitCode == code)
    }

    @Test("run's partial status stays 5")
    func partialRun() {
        #expect(RunOutcome.exitCode(sourcesBackedUp: 1, sourcesFailed: 1, otherProblems: 0, dryRun: false) == .partial)
        #expect(VaultopsExitCode.partial.rawValue == 5)
    }
}
