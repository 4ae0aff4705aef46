import ArgumentParser
import Artifacts
import Foundation
import PostgresDump
import VaultopsCore

/// `vaultops backup postgres URL`: a pg_dump-compatible plain SQL dump over libpq, gzipped.
struct BackupPostgres: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Dump a PostgreSQL database (one consistent snapshot) into <name>_<YYYYMMDD>.sql.gz.",
        discussion: """
        URL is a libpq URI or keyword string; PGHOST, PGPASSWORD, ~/.pgpass and the other libpq settings work \
        as in psql. The file restores with `gunzip -c F | psql -X -v ON_ERROR_STOP=1 --single-transaction`.

        With --all, URL names a server (any database on it): its globals go into <name>_globals_<YYYYMMDD>.sql.gz \
        and every database (not templates, not those matching --exclude-database) into <name>_<db>_<YYYYMMDD>.sql.gz, \
        each from its own snapshot. Every database is attempted; the exit status is non-zero when any failed, and \
        the failed ones are named.
        """
    )

    @Argument(help: "libpq connection URI or keyword string (e.g. postgresql://user@host/db).")
    var url: String

    @OptionGroup var output: BackupOutputOptions

    @Flag(name: .customLong("all"), help: "Back up the whole server: globals, then every database, each its own artifact.")
    var all = false

    @Option(name: .customLong("exclude-database"),
            help: "With --all: leave out databases matching this pattern (* and ? as in pg_dumpall); repeatable.")
    var excludeDatabase: [String] = []

    @Option(name: .customLong("lock-timeout"), help: "How long to wait for each table's lock (a PostgreSQL interval).")
    var lockTimeout = "30s"

    @Flag(name: .customLong("no-owner"), help: "Leave out ALTER … OWNER TO statements.")
    var noOwner = false

    @Flag(name: .customLong("no-privileges"), help: "Leave out GRANT and REVOKE statements.")
    var noPrivileges = false

    @Flag(name: .customLong("no-role-passwords"), help: "With --all: leave the roles' password hashes out of the globals.")
    var noRolePasswords = false

    @Flag(name: .customLong("allow-incomplete"),
          help: "Back up even when the database has objects the dump cannot recreate; the manifest and the dump's header list them.")
    var allowIncomplete = false

    @Option(help: "Which program writes the dump: native (vaultops' own, the default) or pg_dump (the installed one).")
    var engine: PostgresEngine = .native

    @Option(name: .customLong("pg-dump"), help: "The pg_dump program for --engine pg_dump (default: the best one installed).")
    var pgDump: String?

    func validate() throws {
        if noRolePasswords && !all { throw ValidationError("--no-role-passwords needs --all") }
        if !excludeDatabase.isEmpty && !all { throw ValidationError("--exclude-database needs --all") }
        if all && engine == .pgDump { throw ValidationError("--all uses the native engine (the globals have no pg_dump form)") }
        if pgDump != nil && engine != .pgDump { throw ValidationError("--pg-dump needs --engine pg_dump") }
        if allowIncomplete && engine == .pgDump {
            throw ValidationError("--allow-incomplete applies to the native engine only (pg_dump dumps every object)")
        }
    }

    func run() throws {
        let options = try output.options
        if all { return try runAll(options) }
        let dump = DumpOptions(lockTimeout: lockTimeout, includeOwners: !noOwner, includePrivileges: !noPrivileges,
                               skipUnsupportedObjects: allowIncomplete)
        let result = try PostgresBackup.run(connection: url, options: options, dumpOptions: dump, engine: engine,
                                            pgDumpPath: pgDump)
        printBackupResult(result)
        if engine == .pgDump { printError("note: --engine pg_dump: the manifest has no per-table row counts (pg_dump does not report them)") }
        if !result.notDumped.isEmpty {
            printError("warning: incomplete backup (--allow-incomplete): \(result.notDumped.count) object(s) not dumped:\n"
                       + result.notDumped.map { "  \($0)" }.joined(separator: "\n"))
        }
    }
}

extension BackupPostgres {
    /// `--all`: every member of the server, each reported as it is written; one error naming every failure at the end.
    private func runAll(_ options: BackupOptions) throws {
        var source = SourceConfig(name: options.name ?? ArtifactName.defaultSource(kind: .postgres, path: ""),
                                  target: .postgres(connection: url), allowIncomplete: allowIncomplete)
        var server = WholeServerSource(excludeDatabases: excludeDatabase)
        server.noOwner = noOwner
        server.noPrivileges = noPrivileges
        server.noRolePasswords = noRolePasswords
        source.wholeServer = server
        let outcomes = try ClusterBackup.run(source, options: options)
        var failed: [String] = []
        for outcome in outcomes {
            switch outcome.result {
            case let .success(result):
                printBackupResult(result)
                for warning in result.warnings { printError("vaultops: warning: \(outcome.member.name): \(warning)") }
                if !result.notDumped.isEmpty {
                    printError("warning: \(outcome.member.name): incomplete (--allow-incomplete): \(result.notDumped.count) object(s) not dumped")
                }
            case let .failure(error):
                let what = outcome.member.clusterMember.map(\.role.description) ?? outcome.member.name
                printError("error: \(what): \(Redacted.text(String(describing: error)))")
                failed.append(what)
            }
        }
        if !failed.isEmpty {
            throw ArtifactError.failed("\(failed.count) of \(outcomes.count) parts of the server backup failed (the others were written): "
                                       + failed.joined(separator: ", "))
        }
    }
}

extension PostgresEngine: ExpressibleByArgument {}
