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
        """
    )

    @Argument(help: "libpq connection URI or keyword string (e.g. postgresql://user@host/db).")
    var url: String

    @OptionGroup var output: BackupOutputOptions

    @Option(name: .customLong("lock-timeout"), help: "How long to wait for each table's lock (a PostgreSQL interval).")
    var lockTimeout = "30s"

    @Flag(name: .customLong("no-owner"), help: "Leave out ALTER … OWNER TO statements.")
    var noOwner = false

    @Flag(name: .customLong("no-privileges"), help: "Leave out GRANT and REVOKE statements.")
    var noPrivileges = false

    @Flag(name: .customLong("allow-incomplete"),
          help: "Back up even when the database has objects the dump cannot recreate; the manifest and the dump's header list them.")
    var allowIncomplete = false

    @Option(help: "Which program writes the dump: native (vaultops' own, the default) or pg_dump (the installed one).")
    var engine: PostgresEngine = .native

    @Option(name: .customLong("pg-dump"), help: "The pg_dump program for --engine pg_dump (default: the best one installed).")
    var pgDump: String?

    func validate() throws {
        if pgDump != nil && engine != .pgDump { throw ValidationError("--pg-dump needs --engine pg_dump") }
        if allowIncomplete && engine == .pgDump {
            throw ValidationError("--allow-incomplete applies to the native engine only (pg_dump dumps every object)")
        }
    }

    func run() throws {
        let options = try output.options
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

extension PostgresEngine: ExpressibleByArgument {}
