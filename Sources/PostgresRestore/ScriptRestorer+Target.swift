import Foundation
import LibPQ

/// The restore stays in its target, refuses untrusted statements, and stops on a signal.
extension ScriptRestorer {
    /// Runs, translates or refuses a statement that names a database (see `DatabaseScope`).
    func runAboutDatabase(_ sql: String, line: Int, references: DatabaseReferences) throws {
        let decision: DatabaseScope.Decision
        do {
            decision = try scope.statement(sql, line: line, references: references, targetIsFresh: !session.prepared && !session.didWork)
        } catch {
            throw PostgresRestoreError(kind: .outsideTarget, message: error.message, file: fileName, line: error.line,
                                       statement: error.line == line ? sql : nil)
        }
        switch decision {
        case .skip:
            return
        case .run(let translated):
            // Database properties are transactional and are not work: the empty-target check still comes first.
            try beginIfNeeded()
            try execute(translated, line: line, on: session)
        case .recreateTarget(let create):
            try recreateTarget(create, line: line)
        }
    }

    /// `--create` with a script that creates its database: makes the (still empty) target again with the script's
    /// options (encoding, locale), under the target's name.
    func recreateTarget(_ create: String, line: Int) throws {
        let name = session.database
        interrupt.unregister(interruptKey + "main")
        // Our connections to it must be gone before DROP DATABASE.
        session = nil
        firstSession = nil
        let admin = try maintenanceConnection()
        do {
            try admin.execute("DROP DATABASE \(quoteIdentifier(name))")
            try admin.execute(create)
            summary.statements += 1
        } catch let error as PostgresError {
            var failure = statementError(error, sql: create, line: line)
            failure.message += " (the script's CREATE DATABASE, run to make the target \(name) for --create; to restore without its options, "
                + "create the database yourself and restore without --create)"
            throw failure
        }
        session = try connect(targetURL, database: name, createdHere: true)
        firstSession = session
        for setting in settings { try execute(setting, line: nil, on: session) }
    }

    /// Refuses a `DROP DATABASE` the script did not follow with its `CREATE DATABASE`.
    func settleScope() throws {
        do {
            try scope.settlePendingDrop()
        } catch {
            throw PostgresRestoreError(kind: .outsideTarget, message: error.message, file: fileName, line: error.line)
        }
    }

    /// Refuses `sql` when it reaches beyond the database (see `StatementInfo.hazard`).
    func refuseHazard(_ sql: String, line: Int) throws {
        guard let hazard = StatementInfo.hazard(sql) else { return }
        throw PostgresRestoreError(kind: .untrustedStatement,
                                   message: "refused: \(hazard), which pg_dump never writes. "
                                       + "If you wrote this script and mean it, restore with --trust-script",
                                   file: fileName, line: line, statement: sql)
    }

    /// Throws once SIGINT or SIGTERM arrived.
    func checkInterrupt() throws {
        if let signal = interrupt.received {
            throw PostgresRestoreError(kind: .interrupted, message: "stopped by \(RestoreInterrupt.name(signal))", file: fileName)
        }
    }

    func setLockTimeout(_ timeout: String, on connection: Connection) throws {
        do {
            // A parameter, not text in the statement: the value comes from the command line.
            _ = try connection.query("SELECT pg_catalog.set_config('lock_timeout', $1, false)", [timeout])
        } catch let error as PostgresError {
            throw PostgresRestoreError(kind: .options, message: "cannot set lock_timeout to \(timeout) (--lock-timeout): \(error.message)",
                                       underlying: error)
        }
    }
}
