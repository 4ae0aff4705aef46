import Foundation
import LibPQ

/// The target database: its transaction, the empty-target check (or `--clean`), creating it, and connecting.
extension ScriptRestorer {

    func beginIfNeeded() throws {
        // With jobs > 1 the main connection still batches its statements in transactions (committed before the
        // workers need to see them), which is faster than one commit per statement.
        if (oneTransaction || parallel) && !session.inTransaction {
            try execute("BEGIN", line: nil, on: session)
            session.inTransaction = true
        }
    }

    /// Before the first statement that changes data in a database: open the transaction, then check
    /// the target is empty (or clean it).
    func prepareForWork(line: Int) throws {
        try settleScope()
        try beginIfNeeded()
        guard !session.prepared else { return }
        session.prepared = true
        if session.createdHere { return }
        if options.clean {
            for drop in run.plan.drops {
                try execute(drop, line: nil, on: session)
            }
            return
        }
        if options.force { return }
        let tables = try userTables(on: session)
        if parallel && tables.names.isEmpty {
            run.existedBefore = (Set(try execute("SELECT extname FROM pg_catalog.pg_extension", line: nil, on: session).rows.map { try $0.string("extname") }),
                             Set(try execute("SELECT nspname FROM pg_catalog.pg_namespace", line: nil, on: session).rows.map { try $0.string("nspname") }))
        }
        if !tables.names.isEmpty {
            let shown = tables.names.joined(separator: ", ") + (tables.count > tables.names.count ? ", …" : "")
            throw PostgresRestoreError(kind: .targetNotEmpty,
                                       message: "the target database \(session.database) already holds \(tables.count) user table(s) (\(shown)); "
                                           + "nothing was changed. Use --clean to drop the objects this dump creates first, or --force to restore on top of what is there"
                                           + (parallel ? " (both only with --jobs 1)" : ""),
                                       file: fileName, line: line)
        }
    }

    func userTables(on session: Session) throws -> (count: Int, names: [String]) {
        let result = try execute("""
            SELECT n.nspname || '.' || c.relname AS name, count(*) OVER () AS total
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                              WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1 LIMIT 5
            """, line: nil, on: session)
        let names = try result.rows.map { try $0.string("name") }
        let total = try result.rows.first?.int("total") ?? 0
        return (total, names)
    }

    func createTargetDatabase(_ name: String) throws {
        let admin = try maintenanceConnection()
        do {
            try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0")
        } catch let error as PostgresError {
            let hint = error.sqlState == "42P04" ? "; restore into it without creating it, or drop it first" : ""
            throw PostgresRestoreError(kind: .target, message: "cannot create database \(name): \(error.message)\(hint)", underlying: error)
        }
        run.createdDatabases.append(name)
    }

    /// A connection to the server's maintenance database (postgres, else template1), for CREATE/DROP DATABASE.
    func maintenanceConnection() throws -> Connection {
        var lastError: Error?
        for database in ["postgres", "template1"] {
            do {
                return try Connection(try ConnectionString.replacingDatabase(in: targetURL, with: database), logger: logger)
            } catch {
                lastError = error
            }
        }
        throw mapped(lastError!)
    }

    func connect(_ url: String, database: String, createdHere: Bool) throws -> Session {
        do {
            let connection = try Connection(url, logger: logger)
            // synchronous_commit stays as the server has it: turning it off would only skip the final commit's
            // WAL flush (the load's WAL is written as it goes, so that wait is milliseconds), and would let restore
            // report success for a transaction a crash right after could still lose.
            if let memory = options.maintenanceWorkMem {
                do {
                    // A parameter, not text in the statement: the value may come from the command line.
                    _ = try connection.query("SELECT pg_catalog.set_config('maintenance_work_mem', $1, false)", [memory])
                } catch let error as PostgresError {
                    throw PostgresRestoreError(kind: .target, message: "cannot set maintenance_work_mem to \(memory): \(error.message)",
                                               underlying: error)
                }
            }
            if let timeout = options.lockTimeout { try setLockTimeout(timeout, on: connection) }
            let found = try connection.execute("SELECT current_database(), pg_backend_pid()")
            let next = Session(connection: connection, database: database.isEmpty ? found[0, 0] ?? "" : database, createdHere: createdHere)
            next.backendPID = Int(found[0, 1] ?? "") ?? 0
            // A signal cancels what this connection runs; the restore's thread then undoes the restore.
            if let token = try? connection.cancelToken() {
                interrupt.register(interruptKey + "main") { _ = token.cancel() }
            }
            return next
        } catch let error as PostgresError {
            throw PostgresRestoreError(kind: .target, message: "cannot connect to the target: \(error.message) (\(error.context))",
                                       underlying: error)
        }
    }
}
