import Foundation
import LibPQ
import SQLite
import VaultopsCore

extension Migrator {
    /// Exports every table straight into its COPY, several tables at once, then adds keys and verifies.
    ///
    /// No CSV is staged on disk (unless `--csv-dir` asks for a copy): each load worker reads its table from
    /// SQLite and sends the CSV to PostgreSQL in 256 KiB chunks while the server parses the previous ones.
    /// Types that depend on the data (date/timestamp, varchar(n)) are first created as declared, inside a
    /// savepoint; when the finished export's profile resolves them otherwise (or the server rejected a value
    /// under the declared type), the table is rolled back to the savepoint and loaded once more with the
    /// resolved types, so the result is the one a profile-first run would get. Row errors under
    /// `--on-error abort` stop sending rows but the export runs on to report every bad row, and all
    /// transactions roll back.
    static func runStreaming(schema: SourceSchema, declaredPlan: MigrationPlan, db: SQLite.Connection, singleReader: Bool,
                             options: MigrationOptions, csvFolder: URL?, started: Date,
                             log: @escaping @Sendable (String) -> Void) throws -> MigrationReport {
        var phases: [String: Double] = [:]
        var phaseStart = Date()
        func endPhase(_ name: String) {
            phases[name] = Date().timeIntervalSince(phaseStart)
            phaseStart = Date()
        }
        let prepared = try prepareTarget(declaredPlan, options: options, log: log)

        let workers = singleReader ? 1 : min(options.jobs, declaredPlan.tables.count)
        let loadQueue = WorkQueue(declaredPlan.tables)
        // The CSV size is known only once it has been streamed: progress shows bytes and rate, no percentage.
        let progress = options.progress?("load \(URL(fileURLWithPath: options.sqlitePath).lastPathComponent)", 0)
        progress?.set(total: nil)
        let loads = Collector<String, StreamedTable>()
        let barrier = CommitBarrier(parties: max(1, workers))
        let url = options.postgresURL
        let sourcePath = options.sqlitePath
        let mainReader = ReaderHandOver(db)
        runThreads(max(1, workers)) { _ in
            var connection: LibPQ.Connection?
            var reader: SQLite.Connection?
            var ownReader = false
            var failed = false
            do {
                if singleReader {
                    reader = mainReader.take()
                } else {
                    // Rollback-journal source: the main connection's open read transaction holds a SHARED
                    // lock, so no writer can commit and every reader sees the same state.
                    let opened = try SQLite.Connection(path: sourcePath, options: [.readOnly])
                    try opened.setBusyTimeout(milliseconds: 10_000)
                    try opened.execute("BEGIN")
                    reader = opened
                    ownReader = true
                }
                let pg = try LibPQ.Connection(url)
                connection = pg
                try pg.execute("SET client_encoding = 'UTF8'; SET synchronous_commit = off; BEGIN")
                while let table = loadQueue.next() {
                    let result = streamTable(table, schema: schema, reader: reader!, connection: pg, options: options,
                                             csvFolder: csvFolder, progress: progress)
                    loads.set(table.source.name, result)
                    let export = result.export
                    log("loaded \(table.source.name): \(result.load.rows) rows, \(export?.bytes ?? 0) bytes, \(export?.rowErrorCount ?? 0) row errors\(result.load.failure.map { " — FAILED: \($0)" } ?? "")")
                    if result.load.failure != nil {
                        failed = true
                        // Row errors under --on-error abort: keep exporting the other tables so the report
                        // lists every bad row, as a profile-first run would; any other failure stops here.
                        if !result.rowErrorsOnly { break }
                    }
                }
            } catch {
                failed = true
                barrier.fail("\(error)")
            }
            if ownReader, let reader { try? reader.execute("COMMIT") }
            barrier.finish(connection, failed: failed)
        }
        progress?.finish()
        try? db.execute("COMMIT")

        // The plan with every profile, as a profile-first run would have made it.
        var profiles: [String: [ColumnProfile]] = [:]
        for table in declaredPlan.tables {
            if let export = loads.get(table.source.name)?.export { profiles[table.source.name] = export.profiles }
        }
        let plan = planMigration(schema, profiles: profiles, targetSchema: options.schema)
        var report = MigrationReport(
            source: options.sqlitePath, target: ConnectionInfo.redacted(options.postgresURL), schema: options.schema,
            dryRun: false, tables: [], rowErrors: [], steps: plannedOutcomes(plan), warnings: [], committed: false,
            seconds: 0, failure: nil)
        report.droppedDependents = prepared.droppedDependents
        var exportedRows: [String: Int64] = [:]
        for table in plan.tables {
            let name = table.source.name
            let streamed = loads.get(name)
            let export = streamed?.export ?? TableExport(profiles: table.columns.map { _ in ColumnProfile() })
            exportedRows[name] = export.rows
            var profileMap: [String: ColumnProfile] = [:]
            for (column, profile) in zip(table.columns, export.profiles) { profileMap[column.source.name] = profile }
            report.tables.append(TableReport(
                table: name, sourceRows: export.rows + export.skipped, loadedRows: streamed?.load.rows ?? 0,
                rowErrors: export.rowErrorCount, bytes: export.bytes, seconds: streamed?.load.seconds ?? 0, verified: false,
                sourceChecksum: export.checksum.description, targetChecksum: nil, profiles: profileMap,
                reached: streamed != nil))
            report.rowErrors += export.rowErrors
            report.warnings += table.warnings.map { "\(name): \($0)" }
            for outcome in streamed?.load.outcomes ?? [] {
                if let i = report.steps.firstIndex(where: { $0.step == outcome.step }) { report.steps[i] = outcome }
            }
        }
        func finished() -> MigrationReport {
            report.phases = phases
            report.seconds = Date().timeIntervalSince(started)
            return report
        }
        let failure = barrier.failure ?? declaredPlan.tables.compactMap { loads.get($0.source.name)?.load.failure }.first
        if let failure {
            let commits = barrier.commits
            report.committed = commits > 0
            if commits > 0 {
                report.failure = "\(failure) (some connections had already committed)"
            } else if !report.rowErrors.isEmpty && options.onError == .abort {
                report.failure = "row errors with --on-error abort: nothing was loaded"
            } else {
                report.failure = "load failed, nothing committed: \(failure)"
            }
            if commits == 0 { undoPrepare(prepared, options: options) }
            endPhase("load")
            return finished()
        }
        report.committed = true
        endPhase("load")

        // Foreign keys, views and statistics, once every table is visible.
        for outcome in try finishTarget(plan, options: options) {
            if let i = report.steps.firstIndex(where: { $0.step == outcome.step }) { report.steps[i] = outcome }
        }
        endPhase("finish")
        verifyTables(plan, options: options, exportedRows: exportedRows, report: &report)
        endPhase("verify")
        return finished()
    }
}

/// What streaming one table did: its export (nil when it never finished) and its load.
struct StreamedTable: Sendable {
    var export: TableExport?
    var load = TableLoad()
    /// Whether the load failed only because of row errors under `--on-error abort`.
    var rowErrorsOnly = false
}

/// Row errors under `--on-error abort`: the COPY is abandoned.
struct RowErrorsAbort: Error, CustomStringConvertible {
    let count: Int64
    var description: String { "\(count) row error(s) with --on-error abort" }
}

/// Hands the main SQLite connection (and its read transaction) to the single load worker.
final class ReaderHandOver: @unchecked Sendable {
    // Safety: the connection is used by exactly one thread at a time: the main thread hands it over before
    // starting the one worker and does not touch it until `runThreads` has returned.
    private let connection: SQLite.Connection
    init(_ connection: SQLite.Connection) { self.connection = connection }
    func take() -> SQLite.Connection { connection }
}

/// The plan of one table given its column profiles (the same plan `planMigration` makes for the whole schema).
func tablePlan(_ name: String, in schema: SourceSchema, profiles: [ColumnProfile], targetSchema: String) -> TablePlan? {
    planMigration(schema, profiles: [name: profiles], targetSchema: targetSchema).tables.first { $0.source.name == name }
}

/// Creates one table inside the connection's open transaction, streams its export into COPY, and runs its
/// post-load steps and ANALYZE.
func streamTable(_ declared: TablePlan, schema: SourceSchema, reader: SQLite.Connection, connection pg: LibPQ.Connection,
                 options: MigrationOptions, csvFolder: URL?, progress: ProgressReporter?) -> StreamedTable {
    let start = Date()
    var result = StreamedTable()
    let kinds = declared.columns.map(\.mapping.kind)
    // Columns whose final type depends on the data; without them the declared plan is final.
    let dataDependent = declared.columns.contains {
        $0.mapping.kind == .date || $0.mapping.kind == .timestamp || $0.mapping.lengthLimit != nil
    }
    let columns = declared.columns.map { pgIdentifier($0.source.name) }.joined(separator: ", ")
    // FREEZE is allowed because the table was created in this (sub)transaction: rows are written frozen,
    // so the verification pass and ANALYZE do not rewrite every page to set hint bits.
    let copy = "COPY \(declared.target) (\(columns)) FROM STDIN (FORMAT csv, FREEZE)"
    var plan = declared
    do {
        var csvFile = try csvFolder.map { try BufferedFile(creating: $0.appendingPathComponent(csvFileName(declared.source.name)).path) }
        for attempt in 0..<2 {
            if dataDependent { try pg.execute("SAVEPOINT vaultops_table") }
            try pg.execute(plan.create)
            var export: TableExport?
            var sendError: Error?
            var abandoned = false
            var copyError: Error?
            do {
                result.load.rows = try pg.copyIn(copy) { writer in
                    export = try exportTable(declared.source, kinds: kinds, db: reader,
                                             onRowError: { if options.onError == .abort { abandoned = true } }) { chunk in
                        try csvFile?.write(chunk)
                        guard sendError == nil, !abandoned else { return }
                        do { try writer.write(chunk) } catch { sendError = error }
                        progress?.add(Int64(chunk.count))
                    }
                    if let sendError { throw sendError }
                    if abandoned { throw RowErrorsAbort(count: export?.rowErrorCount ?? 0) }
                }
            } catch {
                copyError = error
            }
            // The tee file holds the whole CSV after the first pass; the CSV does not depend on the types.
            try csvFile?.close()
            csvFile = nil
            guard let export else { throw copyError ?? MigrationError(.source, "exporting \(declared.source.name) failed") }
            result.export = export
            if abandoned {
                result.rowErrorsOnly = copyError is RowErrorsAbort
                throw copyError ?? RowErrorsAbort(count: export.rowErrorCount)
            }
            guard let resolved = tablePlan(declared.source.name, in: schema, profiles: export.profiles, targetSchema: options.schema) else {
                throw MigrationError(.source, "table \(declared.source.name) vanished from the plan")
            }
            if dataDependent, resolved.create != plan.create, attempt == 0 {
                // The data resolved a type differently from the declared one: load again with it.
                try pg.execute("ROLLBACK TO SAVEPOINT vaultops_table; RELEASE SAVEPOINT vaultops_table")
                plan = resolved
                result.load.rows = 0
                continue
            }
            if let copyError { throw copyError }
            if dataDependent { try pg.execute("RELEASE SAVEPOINT vaultops_table") }
            plan = resolved
            break
        }
        for step in plan.postLoad {
            guard let sql = step.sql else { continue }
            result.load.outcomes.append(Migrator.runStep(step, sql: sql, connection: pg))
        }
        // Statistics now, in parallel with the other tables' loads, rather than serially at the end.
        try pg.execute("ANALYZE \(plan.target)")
    } catch {
        let message = (error as? PostgresError).map { $0.message + ($0.detail.map { " (\($0))" } ?? "") + " — \($0.context)" } ?? "\(error)"
        result.load.failure = "\(declared.source.name): \(message)"
    }
    result.load.seconds = Date().timeIntervalSince(start)
    return result
}
