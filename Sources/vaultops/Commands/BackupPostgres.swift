import ArgumentParser
import BackupJobs
import Foundation
import PostgresDump

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

    func run() throws {
        let options = output.options
        let dump = DumpOptions(lockTimeout: lockTimeout, includeOwners: !noOwner, includePrivileges: !noPrivileges,
                               skipUnsupportedObjects: allowIncomplete)
        let result = try PostgresBackup.run(connection: url, options: options, dumpOptions: dump)
        printBackupResult(result)
        if !result.notDumped.isEmpty {
            printError("warning: incomplete backup (--allow-incomplete): \(result.notDumped.count) object(s) not dumped:\n"
                       + result.notDumped.map { "  \($0)" }.joined(separator: "\n"))
        }
    }
}
