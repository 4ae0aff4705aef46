import ArgumentParser
import Artifacts
import Foundation
import Storage
import VaultopsCore

/// `vaultops restore ARTIFACT|oss://BUCKET/KEY`: put a backup back, safely by default.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore an artifact after verifying it; refuses to make things worse.",
        discussion: """
        Every artifact is verified (gzip CRC-32 and length, SHA-256 against the manifest, the dump's \
        completion marker); a damaged one is refused (exit 3) and the target is left as it was. A dump restored \
        in its one transaction is checked as it streams in, and the transaction commits only after the last \
        byte checked out (else it is rolled back); with --clean or --force everything is checked before \
        anything runs.
        .sql.gz/.sql: restored in one transaction into --to (default: $DATABASE_URL); a target that already \
        holds tables is refused unless --clean (drop what the dump creates first) or --force. Plain pg_dump \
        scripts work too. Only the target is ever touched: a script's CREATE/DROP/ALTER DATABASE and \\connect \
        are translated to it (with --create, the target gets the script's CREATE DATABASE options) or refused \
        with their line; COPY … PROGRAM, server-side file COPY, ALTER SYSTEM, roles made SUPERUSER and DO blocks \
        are refused unless --trust-script. Each statement waits at most --lock-timeout for a lock, and the error \
        names the session that holds it. SIGINT or SIGTERM stops the restore and undoes it (rollback, or \
        dropping what --jobs N created) before vaultops exits with 1.
        --jobs N (N > 1, dumps only) restores over N connections: table data, then indexes and keys, load in \
        parallel, which is faster but GIVES UP THE ONE TRANSACTION. The artifact is then checked completely \
        before anything is written, the target must hold no tables (no --clean or --force), and on a failure \
        everything the dump created is dropped again so the target is empty as before; only a crash of vaultops \
        or of the server midway can leave a partly restored database. --jobs 1 (the default) is all-or-nothing.
        .db.gz: integrity-checked before it replaces the target; the old file is kept as \
        <path>.pre-restore-<YYYYMMDD_HHMMSS>.
        .tar.gz: entries whose path would escape the target (absolute, .., through a link) are refused; links \
        that point outside are restored as links, each named; existing files are replaced only with --force. \
        Each file is written under a temporary name and renamed when complete, after a free-space check; \
        setuid/setgid bits are dropped unless --same-permissions.
        oss://BUCKET/KEY: downloaded (with its manifest) to a temporary folder first, then as above.
        .sql.gz.age, .db.gz.age, .tar.gz.age (encrypted): decrypted with --identity (or --passphrase-file) into a \
        private temporary copy, every chunk authenticated and the file compared with its manifest before anything \
        is restored; a missing or wrong identity is exit 2, a damaged file exit 3.
        """
    )

    @Argument(help: "The artifact: a .sql.gz, .sql, .db.gz or .tar.gz file (the .gz ones also encrypted, ending in .age), or oss://BUCKET/KEY.")
    var artifact: String

    @Option(help: "Where to restore: a PostgreSQL URL, a database path or a folder (default: $DATABASE_URL for dumps, the original path for the others).")
    var to: String?

    @Flag(help: "PostgreSQL: drop every object the dump creates (IF EXISTS) before restoring.")
    var clean = false

    @Flag(help: "PostgreSQL: restore into a database that already holds tables. Folders: replace existing files.")
    var force = false

    @Flag(name: .customLong("no-owner"), help: "PostgreSQL: skip ALTER … OWNER statements (RDS).")
    var noOwner = false

    @Flag(name: .customLong("no-privileges"), help: "PostgreSQL: skip GRANT and REVOKE statements (RDS).")
    var noPrivileges = false

    @Flag(help: "PostgreSQL: create the target database first.")
    var create = false

    @Flag(name: .customLong("same-permissions"), help: "Folders: keep setuid/setgid bits (as root); dropped by default.")
    var samePermissions = false

    @Option(help: "PostgreSQL: connections to restore over. 1 = one transaction (all-or-nothing); N > 1 is faster but not one transaction (a failure drops what was restored).")
    var jobs = 1

    @Flag(name: .customLong("trust-script"), help: "PostgreSQL: run statements pg_dump never writes that reach beyond the database (COPY … PROGRAM, server-side file COPY, ALTER SYSTEM, SUPERUSER roles, DO).")
    var trustScript = false

    @Option(name: .customLong("lock-timeout"), help: "PostgreSQL: how long each statement may wait for a lock (a PostgreSQL interval; 0 waits forever).")
    var lockTimeout = "30s"

    @OptionGroup var identity: IdentityOptions

    func validate() throws {
        if clean && force { throw ValidationError("--clean and --force do not go together: choose one") }
        if let conflict = request.conflict { throw ValidationError(conflict) }
    }

    /// The command line as a restore request (`--to`, else `$DATABASE_URL` for dumps).
    var request: RestoreRequest {
        var request = RestoreRequest(target: to, defaultDatabase: ProcessInfo.processInfo.environment["DATABASE_URL"])
        request.clean = clean
        request.force = force
        request.noOwner = noOwner
        request.noPrivileges = noPrivileges
        request.createDatabase = create
        request.jobs = jobs
        request.trustScript = trustScript
        request.lockTimeout = lockTimeout
        request.samePermissions = samePermissions
        request.showsProgress = true
        request.onSignal = { signal in
            printError(signal.message)
            if signal.endsNow { Foundation.exit(VaultopsExitCode.failure.rawValue) }
        }
        return request
    }

    func run() throws {
        let report: RestoreReport
        var request = self.request
        request.keys = try identity.keys(for: [artifact])
        do {
            report = try ArtifactRestore.run(artifact, request: request, settings: OSSSettings()) { printError($0) }
        } catch let error as RestoreRequestError {
            throw ValidationError(error.message)
        }
        for line in report.lines { print(line) }
    }
}
