import Archive
import Foundation
import LibPQ
import Logging
import Redaction

/// Runs a plain SQL script (pg_dump's or vaultops' own) against a PostgreSQL server safely.
///
/// The script is streamed: statements are split as they are read, and COPY data goes to
/// `PQputCopyData` in large runs of whole lines without being turned into strings. By default the
/// whole script runs in one transaction, a target that already holds user tables is refused, and a
/// script that ends early (mid-statement, mid-COPY, or without its writer's completion marker) is
/// rolled back. See `RestoreOptions` for the switches.
/// - Important: Not thread-safe; one restore at a time per restorer.
public final class ScriptRestorer {
    let targetURL: String
    let options: RestoreOptions
    let logger: Logger

    var session: Session!
    /// The first connection (the restore only ever has one database, but `--create` may make it again).
    var firstSession: Session?
    /// What the script's database-level statements become (set once connected to the target).
    var scope = DatabaseScope(target: "", created: false)
    /// SIGINT/SIGTERM: stops the restore and undoes it as on an error.
    let interrupt: RestoreInterrupt
    /// The key this restore's stoppers are registered under in `interrupt`.
    var interruptKey: String { "restore-\(ObjectIdentifier(self).hashValue)/" }
    var summary = RestoreSummary()
    var fileName = ""

    // --jobs N > 1 (see `RestoreOptions.jobs`).
    var parallel: Bool { options.jobs > 1 }
    /// Whether the whole script runs in one transaction (the default, and never with jobs > 1).
    var oneTransaction: Bool { options.singleTransaction && !parallel }
    /// Session settings run on the main connection since it connected, replayed on every worker.
    var settings: [String] = []
    /// What this restore call tracks beyond its connections: made fresh at the start of each `restore`.
    var run = RestoreRun()

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
    /// An error of the script's stream itself (an `ArchiveError` of a damaged `.sql.gz`, a checked artifact's
    /// verification failure) is thrown as it is, after the restore has been undone.
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
        run = RestoreRun()
        session = nil
        firstSession = nil
        settings = []
        defer {
            interrupt.unregister(interruptKey)
            run.workers?.stop()
            run.workers = nil
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
            run.openConcurrently = open
            // Everything is read and checked before anything is written: with no single transaction to roll back,
            // a script that would stop halfway must be refused up front.
            let check = try checked ?? checkScript(input, keepingItemsUpTo: Self.keptScriptLimit)
            run.copyData = check.copyData
            run.parallelCheck = check
            // Usable only when it holds every block's data, one after the other.
            let total = run.copyData.reduce(Int64(0)) { $0 + ($1.upperBound - $1.lowerBound) }
            if let spool, checked != nil, spool.failure == nil, spool.size == total {
                run.spool = spool
                var offset: Int64 = 0
                run.spoolOffsets = run.copyData.map { range in
                    defer { offset += range.upperBound - range.lowerBound }
                    return offset
                }
            } else if let spool, let failure = spool.failure {
                logger.warning("\(failure); the workers decompress the script again instead")
            }
        }

        if options.clean {
            run.plan = try Self.readCleanPlan(input)
        }
        if !options.trustScript, let items = run.parallelCheck?.items {
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

            if parallel, let checked = run.parallelCheck, let items = checked.items {
                // The check pass kept the script without its data: run from that, the workers read the data.
                run.batching = true
                for item in items {
                    try handle(item, reader: nil)
                    if let progress, case .copy = item, run.copiesSeen <= run.copyData.count {
                        progress(RestoreProgress(bytesRead: run.copyData[run.copiesSeen - 1].upperBound, statements: summary.statements, rows: summary.rows))
                    }
                }
                try settleWorkers()
                try settleScope()
                run.workers?.stop()
                run.workers = nil
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
            run.workers?.stop()
            run.workers = nil
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
            if let signal = interrupt.received {
                // Whatever the signal broke (a cancelled statement, a stopped worker) is not the story: the signal is.
                throw abort(PostgresRestoreError(kind: .interrupted, message: "stopped by \(RestoreInterrupt.name(signal))",
                                                 file: fileName))
            }
            guard error is PostgresRestoreError || error is PostgresError else {
                // The script's own stream failed (a damaged artifact, an unreadable file). Undone like any failure,
                // then thrown as itself: the caller acts on what found the damage, not on a restore message about it.
                let failure = PostgresRestoreError(kind: .io, message: "\(error)", file: fileName)
                let undone = abort(failure)
                // What undoing adds (a database created for the restore that could not be dropped) cannot go into
                // another module's error: it is logged.
                if undone.message != failure.message { logger.error("\(undone.description)") }
                throw error
            }
            throw abort(mapped(error))
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
            run.copiesSeen += 1
            if parallel, let step = ParallelStep.classify(sql) {
                guard run.copiesSeen <= run.copyData.count else {
                    throw PostgresRestoreError(kind: .invalidScript, message: "the script changed since it was checked (more COPY blocks)",
                                               file: fileName, line: line)
                }
                try dispatch(step, sql: sql, line: line, copyData: run.copyData[run.copiesSeen - 1])
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
        case .transactionControl where oneTransaction && ScriptTransactionBlock.decide(sql, isOpen: run.scriptBlockOpen) != .refuse:
            // pg_dump's BEGIN/COMMIT around large objects: the restore's own transaction already holds them together.
            run.scriptBlockOpen.toggle()
            summary.skippedStatements += 1
            return
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
            run.workers?.addSetting(sql)
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

    func mapped(_ error: Error) -> PostgresRestoreError {
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
        run.workers?.stop()
        run.workers = nil
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
        guard !run.createdDatabases.isEmpty else { return failure }
        // Our connections to the created databases must be gone before DROP DATABASE.
        session = nil
        firstSession = nil
        do {
            let admin = try maintenanceConnection()
            for name in run.createdDatabases.reversed() {
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
            failure.message += "; and the databases created for this restore (\(run.createdDatabases.joined(separator: ", "))) could not be dropped: \(error)"
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
extension ScriptRestorer: Sendable {}

/// The bookkeeping of one `ScriptRestorer.restore` call: what it created (to undo on failure) and the state of
/// its workers with `jobs` > 1.
struct RestoreRun {
    /// Databases this restore created, dropped again when it fails.
    var createdDatabases: [String] = []
    /// What the script creates: dropped first with `--clean`, and to undo a failed restore with jobs > 1.
    var plan = CleanPlan()
    var workers: RestoreWorkers?
    /// The phase the workers are in; a step of another phase waits until they have finished it.
    var workersPhase: ParallelStep.Phase?
    /// Where each COPY block's data lies in the script, and how many COPY blocks were met so far.
    var copyData: [Range<Int64>] = []
    var copiesSeen = 0
    var openConcurrently: (@Sendable () throws -> any ByteSource)?
    var parallelCheck: ScriptCheck?
    /// Whether COPYs are queued up before they go to the workers (when running from the check pass's items:
    /// then the main connection reaches the next COPY at once, instead of after reading the data in between).
    var batching = false
    var batch: [RestoreWorkers.Task] = []
    var spool: CopySpool?
    /// Where each COPY block's data starts in `spool`.
    var spoolOffsets: [Int64] = []
    /// Whether the script opened a `BEGIN;` block that the one transaction flattens (see `ScriptTransactionBlock`).
    var scriptBlockOpen = false
    /// Extensions and schemas in the target before the restore (jobs > 1: a failure must not drop them).
    var existedBefore: (extensions: Set<String>, schemas: Set<String>) = ([], [])
}
