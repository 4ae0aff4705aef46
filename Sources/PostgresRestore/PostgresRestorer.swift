import Foundation
import LibPQ
import Logging
import VaultopsCore

/// Runs a plain SQL script (pg_dump's or vaultops' own) against a PostgreSQL server safely.
///
/// The script is streamed: statements are split as they are read, and COPY data goes to
/// `PQputCopyData` in large runs of whole lines without being turned into strings. By default the
/// whole script runs in one transaction, a target that already holds user tables is refused, and a
/// script that ends early (mid-statement, mid-COPY, or without its writer's completion marker) is
/// rolled back. See `RestoreOptions` for the switches.
/// - Important: Not thread-safe; one restore at a time per restorer.
public final class PostgresRestorer {
    let targetURL: String
    let options: RestoreOptions
    private let logger: Logger

    var session: Session!
    /// The first connection (the restore only ever has one database, but `--create` may make it again).
    var firstSession: Session?
    private var createdDatabases: [String] = []
    /// What the script's database-level statements become (set once connected to the target).
    var scope = DatabaseScope(target: "", created: false)
    /// SIGINT/SIGTERM: stops the restore and undoes it as on an error.
    let interrupt: RestoreInterrupt
    /// The key this restore's stoppers are registered under in `interrupt`.
    var interruptKey: String { "restore-\(ObjectIdentifier(self).hashValue)/" }
    private var plan = CleanPlan()
    var summary = RestoreSummary()
    var fileName = ""

    // --jobs N > 1 (see `RestoreOptions.jobs`).
    private var parallel: Bool { options.jobs > 1 }
    /// Whether the whole script runs in one transaction (the default, and never with jobs > 1).
    private var oneTransaction: Bool { options.singleTransaction && !parallel }
    private var workers: RestoreWorkers?
    /// The phase the workers are in; a step of another phase waits until they have finished it.
    private var workersPhase: ParallelStep.Phase?
    /// Session settings run on the main connection since it connected, replayed on every worker.
    var settings: [String] = []
    /// Where each COPY block's data lies in the script, and how many COPY blocks were met so far.
    private var copyData: [Range<Int64>] = []
    private var copiesSeen = 0
    private var openConcurrently: (@Sendable () throws -> any ScriptSource)?
    private var parallelCheck: ScriptCheck?
    /// Whether COPYs are queued up before they go to the workers (when running from the check pass's items:
    /// then the main connection reaches the next COPY at once, instead of after reading the data in between).
    private var batching = false
    private var batch: [RestoreWorkers.Task] = []
    private var spool: CopySpool?
    /// Where each COPY block's data starts in `spool`.
    private var spoolOffsets: [Int64] = []
    /// Extensions and schemas in the target before the restore (jobs > 1: a failure must not drop them).
    private var existedBefore: (extensions: Set<String>, schemas: Set<String>) = ([], [])

    /// How much script text (without COPY data) a `jobs` > 1 restore keeps from its check pass to run from;
    /// a script with more (INSERT dumps) is read again instead.
    package static let keptScriptLimit = 16 << 20

    /// A connection and what this restore did on it.
    final class Session {
        let connection: Connection
        let database: String
        /// The server process of the connection (to leave it out when looking for who holds a lock).
        var backendPID = 0
        var inTransaction = false
        /// Whether the open transaction changed anything beyond session settings.
        var didWork = false
        /// Whether the target check (or `--clean`) ran for this database.
        var prepared = false
        let createdHere: Bool

        init(connection: Connection, database: String, createdHere: Bool) {
            self.connection = connection
            self.database = database
            self.createdHere = createdHere
        }
    }

    /// A restorer for the database at `targetURL` (a libpq URI or keyword/value string).
    /// - Parameter interrupt: where SIGINT/SIGTERM arrive (see `RestoreInterrupt.install`).
    public init(targetURL: String, options: RestoreOptions = RestoreOptions(),
                logger: Logger = Logger(label: "vaultops.restore"), interrupt: RestoreInterrupt = .shared) {
        // Before anything can log it: libpq hides the password only in its own messages.
        Redacted.register(connection: targetURL)
        self.targetURL = targetURL
        self.options = options
        self.logger = logger
        self.interrupt = interrupt
    }

    /// Restores `input`; throws a `PostgresRestoreError` and leaves the target as it was on failure.
    ///
    /// With `jobs` > 1 the script is read completely first, unless `checked` is the result of `checkScript` on
    /// the same script (then the caller has read it, for example while checking the artifact's checksums), and
    /// the workers read table data from `spool` when `checked` wrote one (else from streams of their own).
    /// - Parameter progress: called after each read from the script (about every MiB).
    public func restore(_ input: ScriptInput, checked: ScriptCheck? = nil, spool: CopySpool? = nil,
                        progress: ((RestoreProgress) -> Void)? = nil) throws -> RestoreSummary {
        let started = Date()
        fileName = input.name
        summary = RestoreSummary()
        summary.jobs = max(1, options.jobs)
        createdDatabases = []
        plan = CleanPlan()
        session = nil
        firstSession = nil
        workers = nil
        workersPhase = nil
        parallelCheck = nil
        batching = false
        batch = []
        self.spool = nil
        spoolOffsets = []
        existedBefore = ([], [])
        settings = []
        copiesSeen = 0
        copyData = []
        defer {
            interrupt.unregister(interruptKey)
            workers?.stop()
            workers = nil
            session = nil
            firstSession = nil
        }

        if let conflict = options.conflict {
            throw PostgresRestoreError(kind: .options, message: conflict + "; nothing was changed", file: input.name)
        }
        if parallel {
            guard let open = input.openConcurrently else {
                throw PostgresRestoreError(kind: .options, message: "this script can be read only once, which --jobs \(options.jobs) needs several times; use --jobs 1",
                                           file: input.name)
            }
            openConcurrently = open
            // Everything is read and checked before anything is written: with no single transaction to roll back,
            // a script that would stop halfway must be refused up front.
            let check = try checked ?? checkScript(input, keepingItemsUpTo: Self.keptScriptLimit)
            copyData = check.copyData
            parallelCheck = check
            // Usable only when it holds every block's data, one after the other.
            let total = copyData.reduce(Int64(0)) { $0 + ($1.upperBound - $1.lowerBound) }
            if let spool, checked != nil, spool.failure == nil, spool.size == total {
                self.spool = spool
                var offset: Int64 = 0
                spoolOffsets = copyData.map { range in
                    defer { offset += range.upperBound - range.lowerBound }
                    return offset
                }
            } else if let spool, let failure = spool.failure {
                logger.warning("\(failure); the workers decompress the script again instead")
            }
        }

        if options.clean {
            plan = try Self.readCleanPlan(input)
        }
        if !options.trustScript, let items = parallelCheck?.items {
            // jobs > 1 commits as it goes: refuse before anything is written when the kept script shows it.
            for case .statement(let sql, let line) in items { try refuseHazard(sql, line: line) }
        }
        let targetDatabase = try ConnectionString.database(of: targetURL)
        // From here on the target may change: a signal now stops and undoes the restore (before, it just ends vaultops).
        try interrupt.begin(file: input.name)
        defer { interrupt.end() }
        do {
            if options.createDatabase {
                guard let targetDatabase else {
                    throw PostgresRestoreError(kind: .target, message: "creating the target needs a database name in the target URL")
                }
                try createTargetDatabase(targetDatabase)
            }
            session = try connect(targetURL, database: targetDatabase ?? "", createdHere: options.createDatabase)
            firstSession = session
            scope = DatabaseScope(target: session.database, created: options.createDatabase)

            if parallel, let checked = parallelCheck, let items = checked.items {
                // The check pass kept the script without its data: run from that, the workers read the data.
                batching = true
                for item in items {
                    try handle(item, reader: nil)
                    if let progress, case .copy = item, copiesSeen <= copyData.count {
                        progress(RestoreProgress(bytesRead: copyData[copiesSeen - 1].upperBound, statements: summary.statements, rows: summary.rows))
                    }
                }
                try settleWorkers()
                try settleScope()
                workers?.stop()
                workers = nil
                summary.bytesRead = checked.bytes
                summary.writer = checked.writer
                try commitMain()
                summary.database = session.database
                summary.notes = scope.notes
                summary.seconds = Date().timeIntervalSince(started)
                logger.info("\(summary.description)")
                return summary
            }
            let reader = ScriptReader(source: try input.open(), name: input.name)
            if let progress {
                reader.onRead = { [unowned self] bytes in
                    progress(RestoreProgress(bytesRead: bytes, statements: self.summary.statements, rows: self.summary.rows))
                }
            }
            while let item = try reader.next() {
                try handle(item, reader: reader)
            }
            try settleWorkers()
            try settleScope()
            workers?.stop()
            workers = nil
            summary.bytesRead = reader.bytesRead
            summary.writer = DumpMarkers.writer(head: reader.head)
            guard DumpMarkers.isComplete(tail: reader.tail, writer: summary.writer) else {
                let marker = summary.writer == .pgDump ? DumpMarkers.pgDumpComplete : DumpMarkers.vaultopsComplete
                throw PostgresRestoreError(kind: .truncated,
                                           message: "the script ends without its completion marker \"\(marker)\" (truncated); "
                                               + (oneTransaction || parallel ? "nothing was committed" : "what ran before the end was committed"),
                                           file: input.name)
            }
            if session.inTransaction {
                try execute("COMMIT", line: nil, on: session)
                session.inTransaction = false
            }
        } catch {
            var failure = mapped(error)
            if let signal = interrupt.received {
                // Whatever the signal broke (a cancelled statement, a stopped worker) is not the story: the signal is.
                failure = PostgresRestoreError(kind: .interrupted, message: "stopped by \(RestoreInterrupt.name(signal))",
                                               file: fileName)
            }
            throw abort(failure)
        }
        summary.database = session.database
        summary.notes = scope.notes
        summary.seconds = Date().timeIntervalSince(started)
        logger.info("\(summary.description)")
        return summary
    }

    // MARK: - Statements

    /// Runs one item of the script; `reader` is where COPY data comes from (nil when workers read it).
    private func handle(_ item: ScriptItem, reader: ScriptReader?) throws {
        try checkInterrupt()
        switch item {
        case .statement(let sql, let line):
            if !options.trustScript { try refuseHazard(sql, line: line) }
            if parallel, let step = ParallelStep.classify(sql) {
                try dispatch(step, sql: sql, line: line, copyData: nil)
            } else {
                try settleWorkers()
                try run(sql, line: line)
            }
        case .copy(let sql, let line):
            copiesSeen += 1
            if parallel, let step = ParallelStep.classify(sql) {
                guard copiesSeen <= copyData.count else {
                    throw PostgresRestoreError(kind: .invalidScript, message: "the script changed since it was checked (more COPY blocks)",
                                               file: fileName, line: line)
                }
                try dispatch(step, sql: sql, line: line, copyData: copyData[copiesSeen - 1])
                // The worker reads the data from its own stream; this one moves past it.
                try reader?.readCopyData { _ in }
            } else if let reader {
                try settleWorkers()
                try copy(sql, line: line, reader: reader)
            }
        case .metaCommand(let text, let line):
            try settleWorkers()
            try meta(text, line: line)
        }
    }

    private func run(_ sql: String, line: Int) throws {
        let kind = StatementInfo.classify(sql)
        switch kind {
        case .ownerChange where options.noOwner, .databaseOwnerChange where options.noOwner, .privilege where options.noPrivileges:
            summary.skippedStatements += 1
            return
        case .createDatabase, .dropDatabase, .databaseLevel, .databaseOwnerChange:
            if options.stayInTarget {
                summary.skippedStatements += 1
                return
            }
        case .transactionControl where parallel:
            throw PostgresRestoreError(kind: .invalidScript,
                                       message: "the script controls transactions itself, which --jobs \(options.jobs) cannot follow over several connections; restore it with --jobs 1",
                                       file: fileName, line: line, statement: sql)
        case .transactionControl where oneTransaction:
            throw PostgresRestoreError(kind: .invalidScript,
                                       message: "the script controls transactions itself, which would break the single restore transaction; restore it without the single transaction",
                                       file: fileName, line: line, statement: sql)
        case .noTransaction where oneTransaction:
            throw PostgresRestoreError(kind: .invalidScript,
                                       message: "this statement cannot run inside a transaction block; restore the script without the single transaction",
                                       file: fileName, line: line, statement: sql)
        default:
            break
        }
        if !options.stayInTarget, let references = DatabaseReferences.find(sql) {
            try runAboutDatabase(sql, line: line, references: references)
            return
        }

        switch kind {
        case .sessionSetup:
            // Settings only: they may run before the transaction (and before CREATE DATABASE).
            try execute(sql, line: line, on: session)
            if let timeout = options.lockTimeout, StatementInfo.setsLockTimeout(sql) {
                // pg_dump's "SET lock_timeout = 0" would let --clean wait forever behind an application.
                try setLockTimeout(timeout, on: session.connection)
                return
            }
            // Kept for the workers, and for the target that a script's CREATE DATABASE makes again (--create).
            settings.append(sql)
            workers?.addSetting(sql)
        case .noTransaction where parallel:
            try prepareForWork(line: line)
            try commitMain()
            try execute(sql, line: line, on: session)
            session.didWork = true
        case .createDatabase, .dropDatabase, .databaseLevel, .databaseOwnerChange:
            // Only a statement DatabaseReferences could not read gets here (DROP DATABASE without a name, …).
            throw PostgresRestoreError(kind: .outsideTarget, message: "a statement about a database this restore cannot tell apart from another; a restore only touches its target \(session.database)",
                                       file: fileName, line: line, statement: sql)
        default:
            try prepareForWork(line: line)
            let result = try execute(sql, line: line, on: session)
            session.didWork = true
            if parallel { recordCreated(sql) }
            if case .insert(let table) = kind, let rows = result.affectedRows {
                summary.rowsPerTable[table.description, default: 0] += rows
            }
        }
    }

    private func copy(_ sql: String, line: Int, reader: ScriptReader) throws {
        guard case .copyFromStdin(let table) = StatementInfo.classify(sql) else { return }
        try prepareForWork(line: line)
        summary.statements += 1
        session.didWork = true
        do {
            let rows = try session.connection.copyIn(sql) { writer in
                try reader.readCopyData { bytes in
                    // A signal ends the COPY with an error (PQputCopyEnd), which the rollback then undoes.
                    try self.checkInterrupt()
                    try writer.write(bytes)
                }
            }
            summary.rowsPerTable[table.description, default: 0] += rows
        } catch let error as PostgresError {
            throw statementError(error, sql: sql, line: line)
        }
    }

    private func meta(_ text: String, line: Int) throws {
        let command: MetaCommand
        do {
            command = try MetaCommand.parse(text)
        } catch let error as MetaCommandError {
            throw PostgresRestoreError(kind: .unsupportedMetaCommand, message: error.message, file: fileName, line: line, statement: text)
        }
        switch command {
        case .restrict:
            return
        case .unsupported(let name):
            throw PostgresRestoreError(kind: .unsupportedMetaCommand,
                                       message: "unsupported psql meta-command \\\(name); only \\connect, \\restrict and \\unrestrict are understood",
                                       file: fileName, line: line, statement: text)
        case .connect(let database):
            if options.stayInTarget {
                summary.skippedStatements += 1
                return
            }
            // Never followed: the restore stays in its target (or refuses a second database).
            do {
                _ = try scope.connect(database, line: line)
            } catch {
                throw PostgresRestoreError(kind: .outsideTarget, message: error.message, file: fileName, line: error.line, statement: text)
            }
        }
    }

    // MARK: - Workers (jobs > 1)

    /// Hands `step` to the workers, after what the main connection did is committed (so they see it).
    private func dispatch(_ step: ParallelStep, sql: String, line: Int, copyData: Range<Int64>?) throws {
        try prepareForWork(line: line)
        // Steps on one table run in script order (an index after its table's data), so only foreign keys wait for
        // everything before them: they read the referenced table, whose partitions are tables of their own.
        if workersPhase != nil && workersPhase != step.phase && step.phase == .foreignKey { try settleWorkers() }
        try commitMain()
        if workers == nil {
            let url = try ConnectionString.replacingDatabase(in: targetURL, with: session.database)
            let pool = RestoreWorkers(url: url, jobs: options.jobs, maintenanceWorkMem: options.maintenanceWorkMem,
                                      lockTimeout: options.lockTimeout, fileName: fileName, logger: logger, spool: spool,
                                      open: openConcurrently!)
            for setting in settings { pool.addSetting(setting) }
            workers = pool
            interrupt.register(interruptKey + "workers", pool.stopper(file: fileName))
        }
        session.didWork = true
        recordCreated(sql)
        let spoolOffset = copyData != nil && copiesSeen <= spoolOffsets.count ? spoolOffsets[copiesSeen - 1] : nil
        let task = RestoreWorkers.Task(sql: sql, line: line, step: step, copyData: copyData, spoolOffset: spoolOffset)
        workersPhase = step.phase
        if batching && step.phase == .data {
            // Queued together with the COPYs that follow, so the workers can start with the largest tables.
            batch.append(task)
        } else {
            try submitBatch()
            try workers!.submit([task])
        }
    }

    /// Hands the queued COPYs to the workers.
    private func submitBatch() throws {
        guard !batch.isEmpty else { return }
        let tasks = batch
        batch = []
        try workers!.submit(tasks)
    }

    /// Waits for the workers' steps to finish and counts what they did.
    private func settleWorkers() throws {
        guard let workers, workersPhase != nil else { return }
        try submitBatch()
        workersPhase = nil
        let done = try workers.barrier()
        summary.statements += done.statements
        for (table, rows) in done.rows { summary.rowsPerTable[table, default: 0] += rows }
    }

    /// Commits the main connection's open transaction (jobs > 1 only: the default mode commits once, at the end).
    private func commitMain() throws {
        guard parallel, session.inTransaction else { return }
        try execute("COMMIT", line: nil, on: session)
        session.inTransaction = false
    }

    /// Remembers how to drop what `sql` creates, to undo a failed restore with jobs > 1.
    ///
    /// `IF NOT EXISTS` may have met an object that was there before, so those are left alone.
    private func recordCreated(_ sql: String) {
        let t = StatementInfo.tokens(sql, limit: 12)
        for i in t.indices.dropLast(2) where t[i].isWord("if") && t[i + 1].isWord("not") && t[i + 2].isWord("exists") {
            // pg_dump writes CREATE EXTENSION IF NOT EXISTS: drop those (and schemas) that were not there before.
            guard i == 2, i + 3 < t.count, t[i + 3].isIdentifier else { return }
            if t[1].isWord("extension") && !existedBefore.extensions.contains(t[i + 3].text)
                || t[1].isWord("schema") && !existedBefore.schemas.contains(t[i + 3].text) {
                plan.add(sql)
            }
            return
        }
        plan.add(sql)
    }

    /// After a failure with jobs > 1: drops everything the script created in the target, so it is empty again.
    private func undoParallelRestore(_ failure: inout PostgresRestoreError) {
        // Nothing was created yet when the target check itself refused (the tables found are someone else's).
        guard let session, session.prepared, !session.createdHere, failure.kind != .targetNotEmpty, !plan.drops.isEmpty else { return }
        let lead = "--jobs \(options.jobs) restores without one transaction, so what had been committed"
        do {
            let connection = session.connection.isOpen
                ? session.connection
                : try Connection(try ConnectionString.replacingDatabase(in: targetURL, with: session.database), logger: logger)
            var problems: [String] = []
            for drop in plan.drops {
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
                failure.message += "; \(lead) was dropped again (\(plan.drops.count) objects): the target \(session.database) is empty as before"
            } else {
                failure.message += "; \(lead) was dropped again as far as possible, but \(left) tables/views/sequences remain in \(session.database)"
                    + (problems.isEmpty ? "" : " (\(problems.prefix(3).joined(separator: "; ")))") + ": drop them by hand before restoring again"
            }
        } catch {
            failure.message += "; \(lead) could NOT be dropped again (\(error)): the target \(session.database) is partly restored, drop what the dump created by hand"
        }
    }

    // MARK: - Transactions and the target

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
    private func prepareForWork(line: Int) throws {
        try settleScope()
        try beginIfNeeded()
        guard !session.prepared else { return }
        session.prepared = true
        if session.createdHere { return }
        if options.clean {
            for drop in plan.drops {
                try execute(drop, line: nil, on: session)
            }
            return
        }
        if options.force { return }
        let tables = try userTables(on: session)
        if parallel && tables.names.isEmpty {
            existedBefore = (Set(try execute("SELECT extname FROM pg_catalog.pg_extension", line: nil, on: session).rows.map { try $0.string("extname") }),
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

    private func userTables(on session: Session) throws -> (count: Int, names: [String]) {
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

    private func createTargetDatabase(_ name: String) throws {
        let admin = try maintenanceConnection()
        do {
            try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0")
        } catch let error as PostgresError {
            let hint = error.sqlState == "42P04" ? "; restore into it without creating it, or drop it first" : ""
            throw PostgresRestoreError(kind: .target, message: "cannot create database \(name): \(error.message)\(hint)", underlying: error)
        }
        createdDatabases.append(name)
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

    // MARK: - Running and failing

    @discardableResult
    func execute(_ sql: String, line: Int?, on session: Session) throws -> QueryResult {
        do {
            let result = try session.connection.execute(sql)
            if line != nil { summary.statements += 1 }
            return result
        } catch let error as PostgresError {
            throw statementError(error, sql: sql, line: line)
        }
    }

    func statementError(_ error: PostgresError, sql: String, line: Int?) -> PostgresRestoreError {
        var kind: PostgresRestoreError.Kind = error.kind == .connectionLost ? .connectionLost : .statementFailed
        var message = error.message
        if line == nil { message += " (while running the restore's own \(sql.prefix(40))…)" }
        if error.kind == .lockTimeout, let session, let timeout = options.lockTimeout {
            kind = .lockTimeout
            message += "; waited longer than --lock-timeout \(timeout) for a lock: "
                + LockHolders.describe(url: (try? ConnectionString.replacingDatabase(in: targetURL, with: session.database)) ?? targetURL,
                                       statement: sql, excludingPID: session.backendPID, logger: logger)
        }
        return PostgresRestoreError(kind: kind, message: message, file: fileName, line: line, statement: sql, underlying: error)
    }

    private func mapped(_ error: Error) -> PostgresRestoreError {
        if let error = error as? PostgresRestoreError { return error }
        if let error = error as? PostgresError {
            let kind: PostgresRestoreError.Kind = error.kind == .connectionLost ? .connectionLost : .target
            return PostgresRestoreError(kind: kind, message: error.message, file: fileName, underlying: error)
        }
        return PostgresRestoreError(kind: .io, message: String(describing: error), file: fileName)
    }

    /// Rolls back what is open and drops databases this restore created; returns the error to throw.
    private func abort(_ failure: PostgresRestoreError) -> PostgresRestoreError {
        var failure = failure
        // No signal may cancel the cleanup below.
        interrupt.unregister(interruptKey)
        // Workers first: their connections hold locks the drops below need, and must not go on loading.
        workers?.stop()
        workers = nil
        var rolledBack = false
        for candidate in [session, firstSession] {
            guard let candidate, candidate.inTransaction, candidate.connection.isOpen else { continue }
            rolledBack = (try? candidate.connection.execute("ROLLBACK")) != nil || rolledBack
            candidate.inTransaction = false
        }
        if parallel { undoParallelRestore(&failure) }
        // Refusals and stops name no server error: say what became of the target.
        if [.interrupted, .lockTimeout, .untrustedStatement, .outsideTarget].contains(failure.kind), !parallel, let session, !session.createdHere {
            failure.message += rolledBack || !session.didWork
                ? "; the restore transaction was rolled back: \(session.database) is as it was"
                : "; what ran before was committed (the restore was not one transaction)"
        }
        guard !createdDatabases.isEmpty else { return failure }
        // Our connections to the created databases must be gone before DROP DATABASE.
        session = nil
        firstSession = nil
        do {
            let admin = try maintenanceConnection()
            for name in createdDatabases.reversed() {
                do {
                    try admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name))")
                    if failure.kind == .interrupted && !parallel {
                        failure.message += "; the database \(name) created for this restore was dropped again"
                    } else if parallel {
                        failure.message += "; --jobs \(options.jobs) restores without one transaction, so the database \(name) created for it was dropped again"
                    }
                } catch {
                    failure.message += "; and the database \(name) created for this restore could not be dropped: \(error)"
                }
            }
        } catch {
            failure.message += "; and the databases created for this restore (\(createdDatabases.joined(separator: ", "))) could not be dropped: \(error)"
        }
        return failure
    }

    /// Reads the whole script once to learn what it creates (for `clean`).
    package static func readCleanPlan(_ input: ScriptInput) throws -> CleanPlan {
        var plan = CleanPlan()
        let reader = ScriptReader(source: try input.open(), name: input.name)
        while let item = try reader.next() {
            if case .statement(let sql, _) = item { plan.add(sql) }
        }
        return plan
    }
}

@available(*, unavailable)
extension PostgresRestorer: Sendable {}
