import Foundation
import LibPQ
import SQLite
import VaultopsCore

/// What to do with rows that cannot be migrated.
public enum OnRowError: String, Sendable, CaseIterable, Codable {
    /// Commit nothing when any row fails (the default).
    case abort
    /// Load the other rows, report the failed ones, and exit non-zero.
    case skip
}

/// Options of one migration (the `vaultops migrate` flags).
public struct MigrationOptions: Sendable {
    /// The SQLite database file.
    public var sqlitePath: String
    /// The libpq connection string of the target.
    public var postgresURL: String
    /// The target schema.
    public var schema: String = "public"
    /// Where to keep a copy of the CSV files; when nil the CSV is streamed to COPY without touching the disk
    /// (a dry run or a --replace run stages it in a private temporary folder, removed afterwards).
    public var csvDirectory: String?
    /// Tables to migrate; all when nil.
    public var tables: [String]?
    /// Plan and profile only; touch nothing in PostgreSQL.
    public var dryRun = false
    /// Drop and recreate target tables that exist.
    public var replace = false
    /// With `replace`: also drop the objects that depend on those tables (views, other tables' foreign keys,
    /// functions, …), listing them in the report; without it such objects make the run refuse.
    public var replaceCascade = false
    /// Row error policy.
    public var onError: OnRowError = .abort
    /// Tables loaded at once, each over its own connection.
    public var jobs = 4
    /// In staged runs (dry run, --replace dropping tables), tables with at least this many rows are exported
    /// in parallel rowid ranges (rollback-journal sources).
    public var splitRows: Int64 = 100_000
    /// Makes the progress display of the load (label, total CSV bytes); none when nil.
    public var progress: (@Sendable (_ label: String, _ totalBytes: Int64) -> ProgressReporter)?

    /// Creates options with the defaults of the command line.
    public init(sqlitePath: String, postgresURL: String) {
        self.sqlitePath = sqlitePath
        self.postgresURL = postgresURL
    }
}

/// Runs a SQLite → PostgreSQL migration: snapshot, plan, parallel streamed export + load, verify, report.
///
/// Atomicity: the load runs one transaction per connection (each table is created and filled inside it,
/// its CSV streamed from SQLite straight into COPY) and every connection commits only after all of them
/// loaded their tables without error; if any fails, all roll back. A row error under `--on-error abort`
/// is such a failure: nothing is committed, and the schema or collation the run created is removed again.
/// When `--replace` has tables to drop, every table is exported (to temporary CSV files) before the target
/// is touched, so a bad row leaves the old tables in place. Only the commits themselves are not one atomic step
/// (PostgreSQL has no cross-connection commit without prepared transactions); a commit failing after
/// another succeeded is reported as a failure naming the tables that were committed.
public enum Migrator {
    /// Runs the migration and returns its report; throws only for errors that prevent a report.
    ///
    /// The report says whether everything was migrated exactly (`isComplete`); the caller turns that into
    /// the exit status.
    public static func run(_ options: MigrationOptions, log: @escaping @Sendable (String) -> Void = { _ in }) throws -> MigrationReport {
        let started = Date()
        // Before anything can log it: libpq hides the password only in its own messages.
        Redacted.register(connection: options.postgresURL)
        guard options.jobs >= 1 else { throw MigrationError(.usage, "--jobs must be at least 1") }
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("vaultops-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: temp) }

        var clock = PhaseClock()
        // One consistent point in time: schema and every table are read inside one read transaction.
        // (A VACUUM INTO copy would allow parallel readers, but SQLite 3.40 cannot VACUUM INTO a table with
        // VIRTUAL generated columns, and the export is not the bottleneck: PostgreSQL's COPY is.)
        let (db, fullSchema) = try openSource(options)
        defer { try? db.execute("ROLLBACK") }
        let schema = try chosenTables(of: fullSchema, options: options)

        // Export + profile every table to CSV.
        let csvFolder: URL
        if let dir = options.csvDirectory {
            csvFolder = URL(fileURLWithPath: dir)
            try FileManager.default.createDirectory(at: csvFolder, withIntermediateDirectories: true)
        } else {
            csvFolder = temp
        }
        let declaredPlan = planMigration(schema, profiles: nil, targetSchema: options.schema)
        let journalMode = (try? db.scalar("PRAGMA journal_mode")?.string) ?? nil
        let singleReader = journalMode?.lowercased() == "wal" || options.jobs == 1 || declaredPlan.tables.count < 2
        if !options.dryRun {
            // Streams each table's export straight into its COPY unless tables must be dropped first: a
            // --replace run exports everything before touching the target, so a bad row leaves the old
            // tables in place.
            let toDrop = try inspectTarget(declaredPlan, options: options)
            if toDrop.isEmpty {
                return try runStreaming(schema: schema, declaredPlan: declaredPlan, db: db, singleReader: singleReader,
                                        options: options, csvFolder: options.csvDirectory.map { _ in csvFolder },
                                        started: started, log: log)
            }
        }
        let exported = singleReader
            ? try exportOneByOne(declaredPlan, db: db, to: csvFolder, options: options, log: log)
            : try exportInParallel(declaredPlan, db: db, to: csvFolder, options: options, log: log)
        try? db.execute("COMMIT")
        clock.end("export")
        let plan = planMigration(schema, profiles: exported.mapValues(\.profiles), targetSchema: options.schema)

        var report = exportReport(plan, exported: exported, options: options)
        func finished() -> MigrationReport {
            report.phases = clock.phases
            report.seconds = Date().timeIntervalSince(started)
            return report
        }
        if options.dryRun {
            report.ddl = renderPlan(plan)
            return finished()
        }
        if !report.rowErrors.isEmpty && options.onError == .abort {
            report.failure = "row errors with --on-error abort: nothing was loaded"
            return finished()
        }

        report.droppedDependents = try prepareTarget(plan, options: options, log: log).droppedDependents
        let totalBytes = exported.values.reduce(0) { $0 + $1.bytes }
        guard loadTables(plan, from: csvFolder, totalBytes: totalBytes, options: options, log: log, report: &report) else {
            return finished()
        }
        clock.end("load")

        // Foreign keys, views and statistics, once every table is visible.
        let finalOutcomes = try finishTarget(plan, options: options)
        for outcome in finalOutcomes {
            if let i = report.steps.firstIndex(where: { $0.step == outcome.step }) { report.steps[i] = outcome }
        }

        clock.end("finish")
        // Verify: read every table back and compare counts and checksums.
        verifyTables(plan, options: options, exportedRows: exported.mapValues(\.rows), report: &report)
        clock.end("verify")
        return finished()
    }

    /// Opens the SQLite database read-only and reads its schema inside a read transaction left open for the export.
    static func openSource(_ options: MigrationOptions) throws -> (SQLite.Connection, SourceSchema) {
        let path = URL(fileURLWithPath: options.sqlitePath).path
        do {
            guard FileManager.default.fileExists(atPath: path) else {
                throw MigrationError(.usage, "no such SQLite database: \(options.sqlitePath)")
            }
            let db = try SQLite.Connection(path: path, options: [.readOnly])
            try db.setBusyTimeout(milliseconds: 10_000)
            try db.execute("BEGIN")
            return (db, try SourceSchema.read(from: db))
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError(.source, "cannot read the schema of \(options.sqlitePath): \(error)")
        }
    }

    /// The part of `fullSchema` that `--tables` chose (all of it without), checked for names PostgreSQL would cut.
    static func chosenTables(of fullSchema: SourceSchema, options: MigrationOptions) throws -> SourceSchema {
        var schema = fullSchema
        if let wanted = options.tables {
            let known = Set(fullSchema.tables.map(\.name))
            let unknown = wanted.filter { !known.contains($0) }
            guard unknown.isEmpty else {
                throw MigrationError(.usage, "no such table in \(options.sqlitePath): \(unknown.joined(separator: ", ")) (tables: \(fullSchema.tables.map(\.name).joined(separator: ", ")))")
            }
            schema.tables = fullSchema.tables.filter { wanted.contains($0.name) }
            let chosen = Set(wanted)
            schema.triggers = fullSchema.triggers.filter { chosen.contains($0.table) }
            schema.views = []
        }
        let overlong = overlongIdentifiers(schema)
        guard overlong.isEmpty else {
            throw MigrationError(.usage, "PostgreSQL truncates names over \(postgresIdentifierLimit) bytes; rename first: \(overlong.joined(separator: ", "))")
        }
        return schema
    }

    /// Exports the tables one after another on the open read transaction of `db`.
    ///
    /// In WAL mode writers keep committing while we read, so only this one read transaction sees a single
    /// consistent state.
    static func exportOneByOne(_ plan: MigrationPlan, db: SQLite.Connection, to csvFolder: URL, options: MigrationOptions,
                               log: (String) -> Void) throws -> [String: TableExport] {
        var exported: [String: TableExport] = [:]
        for table in plan.tables {
            let path = csvFolder.appendingPathComponent(csvFileName(table.source.name)).path
            do {
                let result = try exportTable(table.source, kinds: table.columns.map(\.mapping.kind), db: db, to: path)
                log("exported \(table.source.name): \(result.rows) rows, \(result.bytes) bytes, \(result.rowErrorCount) row errors")
                exported[table.source.name] = result
            } catch let error as MigrationError {
                throw error
            } catch {
                throw MigrationError(.source, "exporting \(table.source.name) from \(options.sqlitePath): \(error)")
            }
        }
        return exported
    }

    /// One piece of the parallel export: a table, or a rowid range of a large one.
    struct ExportPart: Sendable { let table: SourceTable; let kinds: [ValueKind]; let index: Int; let rowids: ClosedRange<Int64>? }

    /// Exports the tables on `options.jobs` threads, each with a read transaction of its own.
    ///
    /// Rollback-journal mode: our open read transaction on `db` holds a SHARED lock, and no writer can commit
    /// (that needs EXCLUSIVE) until it ends, so further read transactions see exactly the same state.
    /// Large rowid tables are split into rowid ranges so that one big table does not leave the other threads
    /// idle; the parts' CSV files are concatenated and their checksums (sums) added.
    static func exportInParallel(_ plan: MigrationPlan, db: SQLite.Connection, to csvFolder: URL, options: MigrationOptions,
                                 log: (String) -> Void) throws -> [String: TableExport] {
        let (parts, partCounts) = exportParts(plan, db: db, options: options)
        let results = Collector<String, Swift.Result<TableExport, MigrationError>>()
        let queue = WorkQueue(parts)
        let sourcePath = URL(fileURLWithPath: options.sqlitePath).path
        runThreads(min(options.jobs, parts.count)) { _ in
            var reader: SQLite.Connection?
            while let part = queue.next() {
                let key = "\(part.index)/\(part.table.name)"
                do {
                    if reader == nil {
                        let opened = try SQLite.Connection(path: sourcePath, options: [.readOnly])
                        try opened.setBusyTimeout(milliseconds: 10_000)
                        try opened.execute("BEGIN")
                        reader = opened
                    }
                    let path = csvFolder.appendingPathComponent(csvFileName(part.table.name) + ".part\(part.index)").path
                    let result = try exportTable(part.table, kinds: part.kinds, db: reader!, to: path, rowids: part.rowids)
                    results.set(key, .success(result))
                } catch let error as MigrationError {
                    results.set(key, .failure(error))
                } catch {
                    results.set(key, .failure(MigrationError(.source, "exporting \(part.table.name) from \(sourcePath): \(error)")))
                }
            }
            if let reader { try? reader.execute("COMMIT") }
        }
        var exported: [String: TableExport] = [:]
        for table in plan.tables {
            let name = table.source.name
            var pieces: [TableExport] = []
            for index in 0..<(partCounts[name] ?? 0) {
                switch results.get("\(index)/\(name)") {
                case .success(let result)?: pieces.append(result)
                case .failure(let error)?: throw error
                case nil: throw MigrationError(.source, "table \(name) was not exported")
                }
            }
            let final = csvFolder.appendingPathComponent(csvFileName(name)).path
            try concatenate((0..<pieces.count).map { csvFolder.appendingPathComponent(csvFileName(name) + ".part\($0)").path }, into: final)
            let merged = TableExport.merge(pieces)
            log("exported \(name): \(merged.rows) rows, \(merged.bytes) bytes, \(merged.rowErrorCount) row errors")
            exported[name] = merged
        }
        return exported
    }

    /// The pieces of the parallel export, and how many each table has: one per table, or `options.jobs` rowid
    /// ranges for a rowid table of at least `options.splitRows` rows.
    static func exportParts(_ plan: MigrationPlan, db: SQLite.Connection, options: MigrationOptions) -> ([ExportPart], [String: Int]) {
        var parts: [ExportPart] = []
        var partCounts: [String: Int] = [:]
        for table in plan.tables {
            let kinds = table.columns.map(\.mapping.kind)
            var ranges: [ClosedRange<Int64>?] = [nil]
            if !table.source.withoutRowid, let rowid = rowidAlias(for: table.source),
               let row = try? db.query("SELECT min(\(rowid)) AS lo, max(\(rowid)) AS hi, count(*) AS n FROM \(quoteIdentifier(table.source.name))").first,
               let lo = row["lo"]?.int64, let hi = row["hi"]?.int64, let n = row["n"]?.int64, n >= options.splitRows, n > 1 {
                let pieces = Int64(options.jobs)
                let step = (hi - lo) / pieces + 1
                ranges = (0..<pieces).map { i -> ClosedRange<Int64>? in
                    let start = lo + i * step
                    return start...(i == pieces - 1 ? hi : min(hi, start + step - 1))
                }.filter { $0!.lowerBound <= hi }
            }
            partCounts[table.source.name] = ranges.count
            for (index, range) in ranges.enumerated() {
                parts.append(ExportPart(table: table.source, kinds: kinds, index: index, rowids: range))
            }
        }
        return (parts, partCounts)
    }

    /// The report after the export: one entry per table with its counts, row errors and profiles; steps planned.
    static func exportReport(_ plan: MigrationPlan, exported: [String: TableExport], options: MigrationOptions) -> MigrationReport {
        var report = MigrationReport(
            source: options.sqlitePath, target: ConnectionInfo.redacted(options.postgresURL), schema: options.schema,
            dryRun: options.dryRun, tables: [], rowErrors: [], steps: [], warnings: [], committed: false, seconds: 0,
            failure: nil)
        for table in plan.tables {
            let result = exported[table.source.name]!
            var profileMap: [String: ColumnProfile] = [:]
            for (column, profile) in zip(table.columns, result.profiles) { profileMap[column.source.name] = profile }
            report.tables.append(TableReport(
                table: table.source.name, sourceRows: result.rows + result.skipped, loadedRows: 0,
                rowErrors: result.rowErrorCount, bytes: result.bytes, seconds: result.seconds, verified: false,
                sourceChecksum: result.checksum.description, targetChecksum: nil, profiles: profileMap))
            report.rowErrors += result.rowErrors
            report.warnings += table.warnings.map { "\(table.source.name): \($0)" }
        }
        report.steps = plannedOutcomes(plan)
        return report
    }

    /// Loads the CSV files on up to `options.jobs` connections, one transaction each, which all commit only after
    /// all loaded; records the outcome in `report` and returns whether everything was committed.
    static func loadTables(_ plan: MigrationPlan, from csvFolder: URL, totalBytes: Int64, options: MigrationOptions,
                           log: @escaping @Sendable (String) -> Void, report: inout MigrationReport) -> Bool {
        let loadQueue = WorkQueue(plan.tables)
        let sourceName = URL(fileURLWithPath: options.sqlitePath).lastPathComponent
        let progress = options.progress?("load \(sourceName)", totalBytes)
        let loads = Collector<String, TableLoad>()
        let barrier = CommitBarrier(parties: min(options.jobs, max(1, plan.tables.count)))
        let url = options.postgresURL
        runThreads(barrier.parties) { _ in
            var connection: LibPQ.Connection?
            var failed = false
            do {
                let pg = try LibPQ.Connection(url)
                connection = pg
                try pg.execute("SET client_encoding = 'UTF8'; SET synchronous_commit = off; BEGIN")
                while let table = loadQueue.next() {
                    let csvPath = csvFolder.appendingPathComponent(csvFileName(table.source.name)).path
                    let load = loadTable(table, csvPath: csvPath, connection: pg, progress: progress)
                    if load.failure != nil { failed = true }
                    log("loaded \(table.source.name): \(load.rows) rows\(load.failure.map { " — FAILED: \($0)" } ?? "")")
                    loads.set(table.source.name, load)
                    if failed { break }
                }
            } catch {
                failed = true
                barrier.fail("\(error)")
            }
            barrier.finish(connection, failed: failed)
        }
        for index in report.tables.indices {
            let name = report.tables[index].table
            report.tables[index].reached = loads.get(name) != nil
            if let load = loads.get(name) {
                report.tables[index].loadedRows = load.rows
                report.tables[index].seconds += load.seconds
                for outcome in load.outcomes {
                    if let i = report.steps.firstIndex(where: { $0.step == outcome.step }) { report.steps[i] = outcome }
                }
            }
        }
        progress?.finish()
        if let failure = barrier.failure ?? loads.all().compactMap(\.failure).first {
            report.failure = barrier.commits > 0 ? "\(failure) (some connections had already committed)" : "load failed, nothing committed: \(failure)"
            report.committed = barrier.commits > 0
            return false
        }
        report.committed = true
        return true
    }

    /// Reads every table back and compares counts and checksums with the export's, in parallel.
    static func verifyTables(_ plan: MigrationPlan, options: MigrationOptions, exportedRows: [String: Int64],
                             report: inout MigrationReport) {
        let url = options.postgresURL
        let verifyQueue = WorkQueue(plan.tables)
        let verified = Collector<String, Swift.Result<(RowChecksum, Double), MigrationError>>()
        runThreads(min(options.jobs, max(1, plan.tables.count))) { _ in
            do {
                let pg = try LibPQ.Connection(url)
                try pg.execute("SET client_encoding = 'UTF8'; SET extra_float_digits = 1; SET bytea_output = 'hex'; SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'")
                while let table = verifyQueue.next() {
                    let start = Date()
                    do {
                        let checksum = try targetChecksum(table, connection: pg)
                        verified.set(table.source.name, .success((checksum, Date().timeIntervalSince(start))))
                    } catch {
                        verified.set(table.source.name, .failure(MigrationError(.target, "verifying \(table.source.name): \(error)")))
                    }
                }
            } catch {
                while let table = verifyQueue.next() {
                    verified.set(table.source.name, .failure(MigrationError(.target, "verifying \(table.source.name): \(error)")))
                }
            }
        }
        for index in report.tables.indices {
            switch verified.get(report.tables[index].table) {
            case .success(let (checksum, seconds))?:
                report.tables[index].targetChecksum = checksum.description
                report.tables[index].seconds += seconds
                report.tables[index].verified = checksum.description == report.tables[index].sourceChecksum
                    && checksum.rows == report.tables[index].loadedRows
                    && checksum.rows == exportedRows[report.tables[index].table]
            case .failure(let error)?:
                report.warnings.append(error.message)
            case nil:
                break
            }
        }
    }

    /// The initial outcome of every planned step: untranslatable ones are already known failures.
    static func plannedOutcomes(_ plan: MigrationPlan) -> [StepOutcome] {
        var steps: [SchemaStep] = []
        for table in plan.tables { steps += table.postLoad + table.foreignKeys }
        steps += plan.views + plan.triggers
        return steps.map { step in
            let untranslatedButFine = step.sql == nil && step.kind == .check && step.note == "enforced by the boolean type"
            return StepOutcome(step: step, migrated: untranslatedButFine, detail: step.sql == nil ? step.note : "planned")
        }
    }

    /// Adds foreign keys and views in one transaction (each in a savepoint, so one failure is reported, not
    /// fatal). ANALYZE already ran per table inside the load transactions.
    static func finishTarget(_ plan: MigrationPlan, options: MigrationOptions) throws -> [StepOutcome] {
        var outcomes: [StepOutcome] = []
        do {
            let pg = try LibPQ.Connection(options.postgresURL)
            // Each foreign key is validated by an anti-join over the whole referencing table; the default 4 MB
            // work_mem is below the referenced key hash of a table of a few hundred thousand rows.
            try pg.execute("BEGIN; SET LOCAL search_path TO \(pgIdentifier(options.schema)); SET LOCAL work_mem = '64MB'")
            let steps = plan.tables.flatMap(\.foreignKeys) + plan.views
            for step in steps {
                guard let sql = step.sql else { continue }
                outcomes.append(runStep(step, sql: sql, connection: pg))
            }
            try pg.execute("COMMIT")
        } catch {
            throw MigrationError(.target, "adding foreign keys and views: \(error)")
        }
        return outcomes
    }

    /// Runs one schema step inside a savepoint, so its failure leaves the transaction usable.
    static func runStep(_ step: SchemaStep, sql: String, connection pg: LibPQ.Connection) -> StepOutcome {
        do {
            try pg.execute("SAVEPOINT vaultops_step")
            try pg.execute(sql)
            try pg.execute("RELEASE SAVEPOINT vaultops_step")
            return StepOutcome(step: step, migrated: true, detail: step.note)
        } catch {
            _ = try? pg.execute("ROLLBACK TO SAVEPOINT vaultops_step; RELEASE SAVEPOINT vaultops_step")
            let message = (error as? PostgresError).map { $0.message + ($0.detail.map { " (\($0))" } ?? "") } ?? "\(error)"
            return StepOutcome(step: step, migrated: false, detail: message)
        }
    }
}

/// What loading one table did.
struct TableLoad: Sendable {
    var rows: Int64 = 0
    var seconds: Double = 0
    var outcomes: [StepOutcome] = []
    var failure: String?
}

/// Creates and fills one table inside the connection's open transaction, then runs its post-load steps.
func loadTable(_ table: TablePlan, csvPath: String, connection pg: LibPQ.Connection, progress: ProgressReporter? = nil) -> TableLoad {
    let start = Date()
    var load = TableLoad()
    do {
        try pg.execute(table.create)
        let columns = table.columns.map { pgIdentifier($0.source.name) }.joined(separator: ", ")
        guard let file = fopen(csvPath, "r") else {
            throw MigrationError(.io, "cannot open \(csvPath): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        // FREEZE is allowed because the table was created in this transaction: rows are written frozen,
        // so the verification pass and ANALYZE do not rewrite every page to set hint bits.
        load.rows = try pg.copyIn("COPY \(table.target) (\(columns)) FROM STDIN (FORMAT csv, FREEZE)") { writer in
            var buffer = [UInt8](repeating: 0, count: 1 << 18)
            while true {
                let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
                if count > 0 {
                    try buffer.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                    progress?.add(Int64(count))
                }
                if count < buffer.count {
                    if ferror(file) != 0 { throw MigrationError(.io, "cannot read \(csvPath)") }
                    break
                }
            }
        }
        for step in table.postLoad {
            guard let sql = step.sql else { continue }
            load.outcomes.append(Migrator.runStep(step, sql: sql, connection: pg))
        }
        // Statistics now, in parallel with the other tables' loads, rather than serially at the end.
        try pg.execute("ANALYZE \(table.target)")
    } catch {
        let message = (error as? PostgresError).map { $0.message + ($0.detail.map { " (\($0))" } ?? "") + " — \($0.context)" } ?? "\(error)"
        load.failure = "\(table.source.name): \(message)"
    }
    load.seconds = Date().timeIntervalSince(start)
    return load
}

/// Joins part files into `destination` (a rename when there is one part) and removes the parts.
func concatenate(_ parts: [String], into destination: String) throws {
    guard !FileManager.default.fileExists(atPath: destination) else {
        throw MigrationError(.io, "\(destination) already exists; vaultops never overwrites a file (choose an empty --csv-dir)")
    }
    if parts.count == 1 {
        guard rename(parts[0], destination) == 0 else {
            throw MigrationError(.io, "cannot create \(destination): \(String(cString: strerror(errno)))")
        }
        return
    }
    let out = try BufferedFile(creating: destination)
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    for part in parts {
        guard let file = fopen(part, "r") else { throw MigrationError(.io, "cannot open \(part)") }
        defer { fclose(file); unlink(part) }
        while true {
            let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { out.append(contentsOf: Array(buffer[0..<count])); try out.flushIfFull() }
            if count < buffer.count { break }
        }
    }
    try out.close()
}

/// A file name for a table's CSV that any table name maps to safely (and distinctly).
func csvFileName(_ table: String) -> String {
    var name = ""
    for byte in table.utf8 {
        let c = Character(Unicode.Scalar(byte))
        if c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-") { name.append(c) } else { name += String(format: "%%%02X", byte) }
    }
    return name + ".csv"
}

/// Seconds per phase of a run (export, load, finish, verify), for the report.
struct PhaseClock {
    private(set) var phases: [String: Double] = [:]
    private var start = Date()

    /// Ends the phase `name` (begun when the previous one ended) and starts the next.
    mutating func end(_ name: String) {
        phases[name] = Date().timeIntervalSince(start)
        start = Date()
    }
}
