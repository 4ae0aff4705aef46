import ArgumentParser
import Artifacts
import Foundation
import Storage
import VaultopsCore

/// `vaultops restore ARTIFACT|NAME|oss://BUCKET/KEY`: put a backup back, safely by default.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore an artifact after verifying it; refuses to make things worse.",
        discussion: """
        Every artifact is verified (gzip CRC-32 and length, SHA-256 against the manifest, the dump's \
        completion marker); a damaged one is refused (exit 3) and the target is left as it was. A dump restored \
        in its one transaction is checked as it streams in, and the transaction commits only after the last \
        byte checked out (else it is rolled back); with --clean or --force everything is checked before \
        anything runs.
        .sql.gz/.sql: restored in one transaction into --to (default: the config's source, else $DATABASE_URL); a target that already \
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
        By name: db_20250101.sql.gz is looked for here, then in the config's backup_dir, then under its oss: prefix \
        (downloaded and verified first); a source name alone (db, or db --latest) takes its newest artifact, \
        db --at 2025-01-01 the newest made on or before that day. The config is --config, else $VAULTOPS_CONFIG, \
        else ./vaultops.yml, else /etc/vaultops/vaultops.yml when present; the .env beside it is read. The target \
        defaults to the source the artifact was made from (the config's source of the name in its file name: its \
        PostgreSQL URL, SQLite path or folder) after --to, then for dumps $DATABASE_URL. Before touching a \
        target that exists, restore prints what it will do and asks on a terminal (--yes skips the question). \
        Without a terminal and without --yes it goes ahead as always when you named the target (--to, \
        $DATABASE_URL) and refuses when the target would come from the config.
        Part of an artifact: --table schema.name (or --schema S) restores those tables of a dump (ours or pg_dump's) \
        in one transaction: definition, data, indexes, constraints, triggers, grants, and the types, sequences and \
        functions they need when the target lacks them. The live table is dropped and replaced (a view or foreign key \
        that depends on it stops the restore, which then changes nothing), or with --rename-to NAME / --into-schema S \
        the tables are restored beside the live ones. Our dumps' manifests index their table data and gzip blocks, so \
        only the definitions and the chosen tables' blocks are read (without the whole-file checksums); a pg_dump file \
        is read whole. --path restores only the entries of a .tar.gz that a name or glob matches (a folder with \
        everything below it), under the rules above. --list shows a dump's objects (kind, byte range in the \
        decompressed script) or an archive's entries (as `tar tzf`).
        .sql.gz.age, .db.gz.age, .tar.gz.age (encrypted): decrypted with --identity (or --passphrase-file) into a \
        private temporary copy, every chunk authenticated and the file compared with its manifest before anything \
        is restored; a missing or wrong identity is exit 2, a damaged file exit 3.
        Whole server: --all NAME_globals_<date>.sql.gz --to URL (URL: any database of the target server) restores \
        the globals of a `backup postgres --all` (roles, memberships, settings, tablespaces, and every database \
        created with its owner, encoding, locale and settings), then each database's artifact of the same backup \
        found beside it by their manifests (ARTIFACT as a path, a name in backup_dir, or on OSS: the set is downloaded \
        from the same prefix), each into its database in its own transaction under the rules above; \
        it prints a line per database and exits 1 naming each one that failed. Without --all, a globals artifact \
        restores roles and settings only.
        """
    )

    @Argument(help: "The artifact: a .sql.gz, .sql, .db.gz or .tar.gz file (the .gz ones also encrypted, ending in .age), its name in backup_dir or on OSS, a source name (its newest), or oss://BUCKET/KEY.")
    var artifact: String

    @Option(help: "With a source name: its newest artifact made on or before this day (YYYY-MM-DD); with a time (\"YYYY-MM-DD HH:MM:SS\", the config's time zone) the source's replica at that second.")
    var at: String?

    @Flag(name: .customLong("all"), help: "ARTIFACT is a whole-server backup's globals: restore them, then every database of the same backup found beside it.")
    var all = false

    @Option(name: .customLong("tablespace-mapping"),
            help: "With --all: create the source's tablespace folder OLD at NEW instead (OLD=NEW, as pg_basebackup); repeatable.")
    var tablespaceMapping: [String] = []

    @Flag(help: "With a source name: its newest artifact (the default for a source name).")
    var latest = false

    @Flag(help: "With a SQLite source name: restore from its replica ('vaultops replicate'), --latest, --at a time or --txid.")
    var replica = false

    @Option(help: "With a SQLite source name: its replica exactly after transaction N of the newest generation (GENERATION:N for another; a restore prints the txid it reached).")
    var txid: String?

    @Flag(name: [.customShort("y"), .long], help: "Go ahead without asking before touching an existing target.")
    var yes = false

    @OptionGroup var config: ConfigOption

    @Option(help: "Where to restore: a PostgreSQL URL, a database path or a folder (default: the config's source the artifact was made from, else $DATABASE_URL for dumps, else the original path).")
    var to: String?

    @Flag(help: "oss://… in Archive/ColdArchive: wait for its restore (RestoreObject), then restore. Without it, vaultops requests the restore and exits with status 9.")
    var wait = false

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

    @OptionGroup(title: "Part of an artifact")
    var part: RestorePartialOptions

    @OptionGroup var identity: IdentityOptions

    func validate() throws {
        if clean && force { throw ValidationError("--clean and --force do not go together: choose one") }
        if let conflict = request.conflict { throw ValidationError(conflict) }
        try part.check(artifact: artifact)
        if all && (part.isPartial || part.list || jobs > 1 || create || at != nil || latest) {
            throw ValidationError("--all restores whole databases in one transaction each: no --table, --schema, --list, --jobs, --create, --at or --latest")
        }
        if txid != nil && (at != nil || latest || all) { throw ValidationError("--txid names the point to restore: no --at, --latest or --all with it") }
        if !tablespaceMapping.isEmpty && !all { throw ValidationError("--tablespace-mapping needs --all") }
        _ = try tablespaceLocations
        if part.isPartial && (clean || jobs > 1 || create) { throw ValidationError("--table and --schema restore in one transaction: no --clean, --create or --jobs") }
    }

    /// The command line as a restore request (`--to`; `$DATABASE_URL` is the fallback for dumps).
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
        try? part.apply(to: &request)
        request.showsProgress = true
        request.onSignal = { signal in
            printError(signal.message)
            if signal.endsNow { Foundation.exit(VaultopsExitCode.failure.rawValue) }
        }
        return request
    }

    func run() throws {
        if replica || txid != nil || at?.contains(":") == true { return try restoreReplica() }
        let (identityFile, passphraseFile) = (identity.identity, identity.passphraseFile)
        // Read only when the artifact found is encrypted, so a stale VAULTOPS_IDENTITY_FILE stops no plain restore.
        let keys: @Sendable () throws -> DecryptionKeys? = { try DecryptionKeys.load(identityFile: identityFile, passphraseFile: passphraseFile) }
        if part.list {
            for line in try ArtifactContents.list(URL(fileURLWithPath: artifact), keys: keys, note: { printError($0) }) { print(line) }
            return
        }
        var request = self.request
        request.keys = keys
        if all { return try restoreAll(request, config: try config.load()) }
        let loaded = try config.load()
        let confirmation = RestoreConfirmation(yes: yes, interactive: isatty(STDIN_FILENO) == 1) { plan in
            printError(plan.text)
            FileHandle.standardError.write(Data("Restore? [y/N] ".utf8))
            let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            return answer == "y" || answer == "yes"
        }
        var settings = OSSCommand.settings(config: loaded)
        settings.waitForRestore = wait
        settings.onRestoreStatus = OSSCommand.restoreStatusPrinter
        let report = try ArtifactRestore.run(named: artifact, at: at, latest: latest, config: loaded, request: request,
                                             settings: settings, confirmation: confirmation) { printError($0) }
        for line in report.lines { print(line) }
    }
}

extension Restore {
    /// `--tablespace-mapping OLD=NEW` as a map from the source's folder to the target's.
    private var tablespaceLocations: [String: String] {
        get throws {
            var map: [String: String] = [:]
            for pair in tablespaceMapping {
                guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex, pair.index(after: eq) != pair.endIndex else {
                    throw ValidationError("--tablespace-mapping takes OLD=NEW (two absolute folders), not '\(pair)'")
                }
                map[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
            }
            return map
        }
    }

    /// `--all`: the globals artifact (a local file) and its set beside it, onto the server `--to` (or $DATABASE_URL) names.
    private func restoreAll(_ request: RestoreRequest, config loaded: Config?) throws {
        guard let target = request.target ?? request.defaultDatabase, !target.isEmpty else {
            throw ValidationError("--all needs the target server: --to postgres://… (any database on it) or DATABASE_URL")
        }
        // The globals artifact as a path, a name in backup_dir or on the OSS prefix, or oss://…; the set lies beside it.
        let settings = OSSCommand.settings(config: loaded)
        let located = try ArtifactLocator.locate(artifact, config: loaded, settings: settings) { printError($0) }
        var remote: ClusterRestore.RemoteSet?
        if located.place == .oss {
            printError("vaultops: downloading the set of \(located.fileName) from \(located.location)")
            remote = try ClusterRestore.RemoteSet(location: located.location, settings: settings)
        }
        let globals = remote?.globals ?? URL(fileURLWithPath: located.location)
        let report = try ClusterRestore.run(globals: globals, to: target, request: request, tablespaceLocations: try tablespaceLocations)
        withExtendedLifetime(remote) {}
        for line in report.lines { print(line) }
    }
}
