import Foundation
import LibPQ

/// `--jobs N` > 1: the workers that load tables and build indexes beside the main connection, and undoing
/// what a failed parallel restore committed.
extension ScriptRestorer {

    /// Hands `step` to the workers, after what the main connection did is committed (so they see it).
    func dispatch(_ step: ParallelStep, sql: String, line: Int, copyData: Range<Int64>?) throws {
        try prepareForWork(line: line)
        // Steps on one table run in script order (an index after its table's data), so only foreign keys wait for
        // everything before them: they read the referenced table, whose partitions are tables of their own.
        if run.workersPhase != nil && run.workersPhase != step.phase && step.phase == .foreignKey { try settleWorkers() }
        try commitMain()
        if run.workers == nil {
            let url = try ConnectionString.replacingDatabase(in: targetURL, with: session.database)
            let pool = RestoreWorkers(url: url, jobs: options.jobs, maintenanceWorkMem: options.maintenanceWorkMem,
                                      lockTimeout: options.lockTimeout, fileName: fileName, logger: logger, spool: run.spool,
                                      open: run.openConcurrently!)
            for setting in settings { pool.addSetting(setting) }
            run.workers = pool
            interrupt.register(interruptKey + "workers", pool.stopper(file: fileName))
        }
        session.didWork = true
        recordCreated(sql)
        let spoolOffset = copyData != nil && run.copiesSeen <= run.spoolOffsets.count ? run.spoolOffsets[run.copiesSeen - 1] : nil
        let task = RestoreWorkers.Task(sql: sql, line: line, step: step, copyData: copyData, spoolOffset: spoolOffset)
        run.workersPhase = step.phase
        if run.batching && step.phase == .data {
            // Queued together with the COPYs that follow, so the workers can start with the largest tables.
            run.batch.append(task)
        } else {
            try submitBatch()
            try run.workers!.submit([task])
        }
    }

    /// Hands the queued COPYs to the workers.
    func submitBatch() throws {
        guard !run.batch.isEmpty else { return }
        let tasks = run.batch
        run.batch = []
        try run.workers!.submit(tasks)
    }

    /// Waits for the workers' steps to finish and counts what they did.
    func settleWorkers() throws {
        guard let workers = run.workers, run.workersPhase != nil else { return }
        try submitBatch()
        run.workersPhase = nil
        let done = try workers.barrier()
        summary.statements += done.statements
        for (table, rows) in done.rows { summary.rowsPerTable[table, default: 0] += rows }
    }

    /// Commits the main connection's open transaction (jobs > 1 only: the default mode commits once, at the end).
    func commitMain() throws {
        guard parallel, session.inTransaction else { return }
        try execute("COMMIT", line: nil, on: session)
        session.inTransaction = false
    }

    /// Remembers how to drop what `sql` creates, to undo a failed restore with jobs > 1.
    ///
    /// `IF NOT EXISTS` may have met an object that was there before, so those are left alone.
    func recordCreated(_ sql: String) {
        let t = StatementInfo.tokens(sql, limit: 12)
        for i in t.indices.dropLast(2) where t[i].isWord("if") && t[i + 1].isWord("not") && t[i + 2].isWord("exists") {
            // pg_dump writes CREATE EXTENSION IF NOT EXISTS: drop those (and schemas) that were not there before.
            guard i == 2, i + 3 < t.count, t[i + 3].isIdentifier else { return }
            if t[1].isWord("extension") && !run.existedBefore.extensions.contains(t[i + 3].text)
                || t[1].isWord("schema") && !run.existedBefore.schemas.contains(t[i + 3].text) {
                run.plan.add(sql)
            }
            return
        }
        run.plan.add(sql)
    }

    /// After a failure with jobs > 1: drops everything the script created in the target, so it is empty again.
    func undoParallelRestore(_ failure: inout PostgresRestoreError) {
        // Nothing was created yet when the target check itself refused (the tables found are someone else's).
        guard let session, session.prepared, !session.createdHere, failure.kind != .targetNotEmpty, !run.plan.drops.isEmpty else { return }
        let lead = "--jobs \(options.jobs) restores without one transaction, so what had been committed"
        do {
            let connection = session.connection.isOpen
                ? session.connection
                : try Connection(try ConnectionString.replacingDatabase(in: targetURL, with: session.database), logger: logger)
            var problems: [String] = []
            for drop in run.plan.drops {
                do {
                    do {
                        _ = try connection.execute(drop)
                    } catch let error as PostgresError where error.kind == .cancelled {
                        // A signal's cancel request can land just after the statement it was meant for.
                        _ = try connection.execute(drop)
                    }
                } catch let error as PostgresError {
                    problems.append("\(drop) failed: \(error.message)")
                }
            }
            let left = try connection.execute("""
                SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
                """)[0, 0] ?? "?"
            if problems.isEmpty && left == "0" {
                failure.message += "; \(lead) was dropped again (\(run.plan.drops.count) objects): the target \(session.database) is empty as before"
            } else {
                failure.message += "; \(lead) was dropped again as far as possible, but \(left) tables/views/sequences remain in \(session.database)"
                    + (problems.isEmpty ? "" : " (\(problems.prefix(3).joined(separator: "; ")))") + ": drop them by hand before restoring again"
            }
        } catch {
            failure.message += "; \(lead) could NOT be dropped again (\(error)): the target \(session.database) is partly restored, drop what the dump created by hand"
        }
    }
}
