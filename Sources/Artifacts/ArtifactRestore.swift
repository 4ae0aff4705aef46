import ErrorKinds
import Foundation
import PostgresRestore
import Storage
import VaultopsCore

/// What `restore` is asked to do: where to, and how; each kind reads the options that apply to it.
public struct RestoreRequest: Sendable {
    /// Where to restore: a PostgreSQL connection, a database file or a folder; nil for the kind's default (the
    /// path in the manifest; for dumps `defaultDatabase`).
    public var target: String?
    /// The database a dump restores into when `target` is nil (`$DATABASE_URL`).
    public var defaultDatabase: String?
    /// PostgreSQL: drop every object the dump creates (IF EXISTS) first.
    public var clean = false
    /// PostgreSQL: restore into a database that already holds tables. Folders: replace existing files.
    public var force = false
    /// PostgreSQL: skip ALTER … OWNER statements.
    public var noOwner = false
    /// PostgreSQL: skip GRANT and REVOKE statements.
    public var noPrivileges = false
    /// PostgreSQL: create the target database first.
    public var createDatabase = false
    /// PostgreSQL: connections to restore over (1 is one transaction).
    public var jobs = 1
    /// PostgreSQL: run statements pg_dump never writes that reach beyond the database.
    public var trustScript = false
    /// PostgreSQL: how long each statement may wait for a lock.
    public var lockTimeout: String? = "30s"
    /// Folders: keep setuid/setgid bits.
    public var samePermissions = false
    /// Show a progress line while a dump restores.
    public var showsProgress = false
    /// Told of SIGINT or SIGTERM while a dump restores; nil leaves the signals alone.
    public var onSignal: (@Sendable (RestoreSignal) -> Void)?
    /// PostgreSQL: restore only these tables (`--table`, `--schema`), maybe beside the live ones.
    public var partial: PartialRestoreRequest?
    /// Folders: restore only the entries these names or globs match (`--path`).
    public var paths: [String] = []
    /// Loads the keys that read an encrypted artifact (`--identity`, `VAULTOPS_IDENTITY_FILE`); called only for an
    /// encrypted one, so a stale variable stops no plain restore.
    public var keys: @Sendable () throws -> DecryptionKeys? = { nil }

    public init(target: String? = nil, defaultDatabase: String? = nil) {
        self.target = target
        self.defaultDatabase = defaultDatabase
    }

    /// Why these options cannot be honoured together, or nil when they can.
    public var conflict: String? { postgresOptions.conflict }

    /// The options of a dump's restore.
    var postgresOptions: RestoreOptions {
        RestoreOptions(clean: clean, force: force, noOwner: noOwner, noPrivileges: noPrivileges, createDatabase: createDatabase,
                       jobs: jobs, trustScript: trustScript, lockTimeout: lockTimeout)
    }
}

/// A SIGINT or SIGTERM during a dump's restore, as the user should hear of it.
public struct RestoreSignal: Sendable {
    public let message: String
    /// The signal came before the restore touched the target: nothing to undo, and vaultops should end now (exit 1).
    public let endsNow: Bool
}

/// What a restore did, as lines for the user.
public struct RestoreReport: Sendable {
    public var lines: [String]
}

/// A restore request the artifact's kind cannot act on as given: a usage error of the command line.
public struct RestoreRequestError: Error, KindedError, CustomStringConvertible {
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
    public var failureKind: FailureKind { .usage }
}

/// `restore ARTIFACT|oss://BUCKET/KEY`: the artifact restored by its kind's handler, after fetching it from OSS.
public enum ArtifactRestore {
    /// `ArtifactDecryption.withPlaintext`, its refusals saying that nothing was restored.
    static func decrypted<T>(_ artifact: URL, keys: () throws -> DecryptionKeys?, _ body: (URL) throws -> T) throws -> T {
        var decrypting = true
        do {
            return try ArtifactDecryption.withPlaintext(of: artifact, keys: try keys()) { plain in
                decrypting = false
                return try body(plain)
            }
        } catch ArtifactError.verification(let path, let reason) where decrypting {
            throw ArtifactError.verification(path: path, reason: reason + "; nothing was restored")
        }
    }
}
