import ArgumentParser
import Artifacts
import Foundation
import ObjectStorage
import PostgresRestore
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
        """
    )

    @Argument(help: "The artifact: a .sql.gz, .sql, .db.gz or .tar.gz file, or oss://BUCKET/KEY.")
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

    func validate() throws {
        if clean && force { throw ValidationError("--clean and --force do not go together: choose one") }
        if let conflict = RestoreOptions(clean: clean, force: force, jobs: jobs).conflict { throw ValidationError(conflict) }
    }

    func run() throws {
        var remote: RemoteArtifact?
        var url = URL(fileURLWithPath: artifact)
        if artifact.lowercased().hasPrefix("oss://") {
            let reporter = ProgressReporter(label: artifact, total: nil)
            remote = try RemoteArtifact(location: artifact, settings: OSSSettings()) { done, total in
                reporter.update(done, total)
            }
            reporter.finish()
            url = remote!.local
            if !remote!.hasManifest { printError("vaultops: note: no manifest beside \(artifact) on OSS; checking the gzip stream only") }
        }
        defer { remote = nil }
        guard let format = ArtifactFormat.of(fileName: url.lastPathComponent) else {
            throw BackupJobError.unknownArtifact(path: artifact)
        }
        switch format.kind {
        case .postgres:
            guard let target = to ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !target.isEmpty else {
                throw ValidationError("say which database to restore into: --to postgres://… (or set DATABASE_URL)")
            }
            let options = RestoreOptions(clean: clean, force: force, noOwner: noOwner, noPrivileges: noPrivileges,
                                         createDatabase: create, jobs: jobs, trustScript: trustScript, lockTimeout: lockTimeout)
            RestoreInterrupt.shared.install { signal, phase in
                let name = RestoreInterrupt.name(signal)
                switch phase {
                case .before:
                    printError("vaultops: stopped by \(name) before the restore touched \(Redacted.connectionString(target)); nothing was changed")
                    Foundation.exit(VaultopsExitCode.failure.rawValue)
                case .during:
                    printError("vaultops: got \(name): stopping the restore and undoing it (a second signal ends vaultops at once, without cleanup)")
                case .after:
                    printError("vaultops: got \(name) after the restore had finished; its outcome stands")
                }
            }
            let reporter = ProgressReporter(label: url.lastPathComponent, total: nil)
            let summary = try PostgresRestoreJob.restore(url, targetURL: target, options: options) { p in
                reporter.set(completed: p.bytesRead)
            }
            reporter.finish()
            print("restored \(artifact) into \(Redacted.connectionString(target)): \(summary)")
            for note in summary.notes { print("  note: \(note)") }
        case .sqlite:
            let summary = try Restorer.restoreSQLite(url, to: to.map { URL(fileURLWithPath: $0) })
            print("restored \(artifact) to \(summary.target.path): \(summary.details.joined(separator: "; "))")
        case .files:
            let summary = try Restorer.restoreFiles(url, to: to.map { URL(fileURLWithPath: $0) }, force: force,
                                                    samePermissions: samePermissions)
            for note in summary.notes { print(note) }
            print("restored \(artifact) to \(summary.target.path): \(summary.details.joined(separator: "; "))")
        }
    }
}
