import Foundation

/// How a restore treats the target.
public struct RestoreOptions: Sendable, Equatable {
    /// Run the whole script in one transaction, so a failure changes nothing (default on).
    public var singleTransaction = true
    /// Drop every object the script creates (`IF EXISTS`, dependents first) before restoring.
    public var clean = false
    /// Restore into a target that already holds user tables.
    public var force = false
    /// Skip `ALTER … OWNER TO` and `SET SESSION AUTHORIZATION` (for RDS and other managed servers).
    public var noOwner = false
    /// Skip `GRANT`, `REVOKE` and `ALTER DEFAULT PRIVILEGES`.
    public var noPrivileges = false
    /// Create the target database first (with the options of the script's own `CREATE DATABASE` when it has one,
    /// else from template0); it is dropped again if the restore fails.
    public var createDatabase = false
    /// Skip every `CREATE`/`DROP`/`ALTER DATABASE` and `\connect` without looking at them (deep verification's
    /// scratch database). Without it they are translated to the target or refused (see `DatabaseScope`); a
    /// restore never follows them to another database either way.
    public var stayInTarget = false
    /// `maintenance_work_mem` for the restore's own sessions (index and constraint builds), or nil for the server's.
    ///
    /// PostgreSQL's advice for bulk loads ("Populating a Database"): the default 64MB makes the index builds
    /// after a large table's data sort on disk. The setting lasts as long as the restore's connections; a
    /// script that sets it itself wins. 256MB is one sort's budget at a time, as `pg_restore` users set it.
    public var maintenanceWorkMem: String? = "256MB"
    /// Connections to restore over. 1 (the default) is the single transaction above; N > 1 loads tables and
    /// builds indexes and constraints over N connections at once and GIVES UP ALL-OR-NOTHING.
    ///
    /// With N > 1 the script is read completely first (and refused if it would not restore completely), the target
    /// must hold no user tables (`clean` and `force` are refused), pre-data runs committed on the main connection,
    /// table data and then index/constraint builds and then foreign keys spread over N connections, and the rest
    /// runs on the main connection in script order. On a failure, everything the script created is dropped again
    /// (or the database, with `createDatabase`), so the target ends as empty as it was; a crash of the restore
    /// itself (or of the server) can leave a partly restored database behind.
    public var jobs = 1
    /// Run statements pg_dump never writes and that reach beyond the database (`COPY … PROGRAM`, server-side file
    /// `COPY`, `ALTER SYSTEM`, roles made superuser, `DO`); without it they are refused with their line.
    public var trustScript = false
    /// How long each statement may wait for a lock (a PostgreSQL interval), or nil to wait forever.
    ///
    /// Applied to every connection of the restore, over the script's own `SET lock_timeout = 0`: `--clean` drops
    /// tables an application may hold open, and a lock request that waits also blocks the application's queries
    /// behind it. When it fires, the error names the backend that holds the lock.
    public var lockTimeout: String? = "30s"

    public init(singleTransaction: Bool = true, clean: Bool = false, force: Bool = false, noOwner: Bool = false,
                noPrivileges: Bool = false, createDatabase: Bool = false, stayInTarget: Bool = false,
                maintenanceWorkMem: String? = "256MB", jobs: Int = 1, trustScript: Bool = false,
                lockTimeout: String? = "30s") {
        self.trustScript = trustScript
        self.lockTimeout = lockTimeout
        self.singleTransaction = singleTransaction
        self.clean = clean
        self.force = force
        self.noOwner = noOwner
        self.noPrivileges = noPrivileges
        self.createDatabase = createDatabase
        self.stayInTarget = stayInTarget
        self.maintenanceWorkMem = maintenanceWorkMem
        self.jobs = jobs
    }

    /// Why these options cannot be honoured together, or nil when they can.
    public var conflict: String? {
        guard jobs > 1 else { return jobs < 1 ? "--jobs must be at least 1" : nil }
        if clean {
            return "--jobs \(jobs) does not go with --clean: restoring over several connections is not one transaction, so a failure could not bring back what --clean dropped; use --jobs 1, or restore into an empty database"
        }
        if force {
            return "--jobs \(jobs) does not go with --force: a failure is undone by dropping what the dump created, which in a database that already holds tables could drop objects that were there before; use --jobs 1"
        }
        return nil
    }
}

/// What a restore did.
public struct RestoreSummary: Sendable, Equatable, CustomStringConvertible {
    /// Statements sent to the server (COPY statements included).
    public var statements = 0
    /// Statements left out by `noOwner`, `noPrivileges` or `stayInTarget`.
    public var skippedStatements = 0
    /// Rows loaded per table (`schema.table`), from COPY blocks and INSERT statements.
    public var rowsPerTable: [String: Int64] = [:]
    /// Script bytes read (uncompressed).
    public var bytesRead: Int64 = 0
    /// Wall-clock time of the whole restore, in seconds.
    public var seconds: Double = 0
    /// The database the script ended in.
    public var database = ""
    /// Who wrote the script, from its header.
    public var writer: DumpMarkers.Writer = .unknown
    /// Connections used (`RestoreOptions.jobs`); more than 1 means it was not one transaction.
    public var jobs = 1
    /// How statements about the script's own database were translated to the target (see `DatabaseScope`).
    public var notes: [String] = []

    /// Tables that received rows.
    public var tables: Int { rowsPerTable.count }
    /// All rows loaded.
    public var rows: Int64 { rowsPerTable.values.reduce(0, +) }

    public var description: String {
        let skipped = skippedStatements > 0 ? " (\(skippedStatements) skipped)" : ""
        return "restored \(database): \(statements) statements\(skipped), \(tables) tables, \(rows) rows, "
            + "\(bytesRead) bytes in \(String(format: "%.1f", seconds)) s"
            + (jobs > 1 ? " over \(jobs) connections (not one transaction)" : "")
    }
}

/// Progress of a running restore, reported after each read from the script.
public struct RestoreProgress: Sendable {
    /// Script bytes read so far (uncompressed).
    public var bytesRead: Int64
    /// Statements run so far.
    public var statements: Int
    /// Rows loaded so far (counted when each COPY finishes).
    public var rows: Int64
}
