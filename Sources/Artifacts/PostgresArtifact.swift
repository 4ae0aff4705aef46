import Foundation
import LibPQ
import PostgresRestore
import VaultopsCore

/// PostgreSQL dumps: `.sql.gz` (ours, or pg_dump's gzipped) and plain `.sql` scripts.
///
/// Backed up by `PostgresBackup` (vaultops' dumper or pg_dump), restored by `PostgresDumpRestore`.
public struct PostgresArtifact: ArtifactHandler {
    public init() {}

    public var kind: ArtifactKind { .postgres }
    public var description: String { "PostgreSQL dump" }
    public var endings: [ArtifactEnding] { [ArtifactEnding(".sql.gz", gzipped: true), ArtifactEnding(".sql", gzipped: false)] }
    public var deepCheckNeedsServer: Bool { true }

    public func backup(_ source: SourceConfig, options: BackupOptions, now: Date) throws -> BackupResult {
        guard case let .postgres(connection) = source.target else { throw wrongSource(source, for: kind) }
        if source.wholeServer != nil {
            throw ArtifactError.failed("internal: the whole-server source \(source.name) is backed up through ClusterBackup")
        }
        if let member = source.clusterMember {
            return try ClusterBackup.backup(member, connection: connection, source: source, options: options, now: now)
        }
        return try PostgresBackup.run(connection: connection, options: options, allowIncomplete: source.allowIncomplete,
                                      engine: source.engine, pgDumpPath: source.pgDumpPath, now: now)
    }

    public func sourceProblem(_ source: SourceConfig) -> String? {
        guard case let .postgres(connection) = source.target else { return "\(wrongSource(source, for: kind))" }
        do {
            // Connecting and asking for the version writes nothing; it proves the host, the credentials and the database.
            let connection = try Connection(connection)
            _ = connection.serverVersionNumber
            return nil
        } catch {
            return String(describing: error)
        }
    }

    /// Reads the script to its end: it must split cleanly, use only understood meta-commands and end with its
    /// writer's completion marker (so a dump cut short is never taken for a backup).
    public func verifyContent(_ content: any ContentSource, _ check: inout VerifyCheck) throws {
        if let manifest = check.manifest, ClusterArtifacts.member(of: manifest)?.role == .globals {
            // A whole server's globals: marked sections ending in the globals end marker, not a dump's completion line.
            let script = try checkGlobalsScript(ScriptInput(name: check.artifact.path) { content })
            check.checks.append("globals script complete (\(script.sections) sections, \(script.statements) statements)")
            return
        }
        let script = try checkScript(ScriptInput(name: check.artifact.path) { content })
        check.checks.append("script complete (\(script.statements) statements, \(script.copyBlocks) COPY blocks, \(script.writer) marker)")
    }

    /// With `deep`, restores the dump into a scratch database on the server, created and dropped, and compares
    /// the row counts with the manifest.
    public func verifyAfterRead(_ check: inout VerifyCheck) {
        guard check.deep else { return }
        if let manifest = check.manifest, ClusterArtifacts.member(of: manifest)?.role == .globals {
            // Roles and databases are cluster-wide: a scratch database cannot hold them, and the script was read whole above.
            check.checks.append("no scratch restore for globals (roles and databases are server-wide); restore --all puts them back")
            return
        }
        guard let serverURL = check.serverURL, !serverURL.isEmpty else {
            check.problems.append("--deep for a dump restores it into a scratch database: give a server with --server URL or DATABASE_URL")
            return
        }
        do {
            let counts = try deepVerify(script: PostgresDumpRestore.scriptInput(for: check.artifact), serverURL: serverURL)
            check.checks.append("restored into a scratch database: \(counts.count) tables, \(counts.values.reduce(0, +)) rows")
            if let expected = check.manifest?.tables {
                let names = Set(expected.keys).union(counts.keys).sorted()
                var mismatches = 0
                for table in names where counts[table] != expected[table] {
                    mismatches += 1
                    check.problems.append("table \(table): \(counts[table].map(String.init) ?? "missing") rows restored, manifest says \(expected[table].map(String.init) ?? "no such table")")
                }
                if mismatches == 0 { check.checks.append("row counts of \(expected.count) tables match the manifest") }
            }
        } catch {
            check.problems.append("deep check: \(Redacted.text(String(describing: error)))")
        }
    }

    public func restore(_ artifact: URL, named name: String, request: RestoreRequest) throws -> RestoreReport {
        if !request.paths.isEmpty { throw RestoreRequestError("--path applies to folder archives, not to the dump \(name)") }
        guard let target = request.target ?? request.defaultDatabase, !target.isEmpty else {
            throw RestoreRequestError("say which database to restore into: --to postgres://…, DATABASE_URL, or a config (--config) with the source the dump was made from")
        }
        if let manifest = try? Manifest.load(from: Manifest.sidecarURL(for: artifact)),
           ClusterArtifacts.member(of: manifest)?.role == .globals {
            // Without --all a globals artifact brings back roles and their settings only: no database is created.
            let report = try GlobalsRestorer.restore(script: PostgresDumpRestore.scriptInput(for: artifact), to: target,
                                                     mode: .rolesAndSettings,
                                                     options: GlobalsRestoreOptions(noOwner: request.noOwner, noPrivileges: request.noPrivileges))
            return RestoreReport(lines: ["restored the roles and settings of \(name) into \(Redacted.connectionString(target)) "
                                         + "(restore --all also creates the databases and restores them)"]
                                        + ClusterRestore.describe(report))
        }
        if let onSignal = request.onSignal { Self.reportSignals(target: target, to: onSignal) }
        if let partial = request.partial {
            let summary = try PartialDumpRestore.restore(artifact, targetURL: target, request: partial, options: request.postgresOptions)
            return RestoreReport(lines: summary.lines + ["into \(Redacted.connectionString(target)): \(summary.restore)"])
        }
        let reporter = request.showsProgress ? ProgressReporter(label: artifact.lastPathComponent, total: nil) : nil
        let summary = try PostgresDumpRestore.restore(artifact, targetURL: target, options: request.postgresOptions,
                                                     progress: reporter.map { reporter in { reporter.set(completed: $0.bytesRead) } })
        reporter?.finish()
        return RestoreReport(lines: ["restored \(name) into \(Redacted.connectionString(target)): \(summary)"]
                                    + summary.notes.map { "  note: \($0)" })
    }

    /// One transaction with `--clean` (what the dump creates is dropped first), so a failure leaves the database
    /// as it was.
    public func restore(_ artifact: URL, over source: SourceConfig) throws -> String {
        guard case let .postgres(connection) = source.target else { throw wrongSource(source, for: kind) }
        let summary = try PostgresDumpRestore.restore(artifact, targetURL: connection, options: RestoreOptions(clean: true))
        return "restored \(artifact.lastPathComponent) (clean, one transaction): \(summary)"
    }

    /// A clean restore into the scratch database (what a previous drill left of the dump's objects is dropped
    /// first), row counts compared with the manifest, then every object the dump created dropped again.
    public func drill(_ artifact: URL, manifest: Manifest, into target: DrillTarget) throws -> String {
        guard case let .postgres(connection) = target else {
            throw ArtifactError.failed("a postgres artifact needs a scratch database to drill into (drill: postgres://…/scratch_db)")
        }
        // `stayInTarget`: the drill never follows a `\connect` or `CREATE DATABASE` elsewhere. No owners or grants:
        // the scratch database's user need not have the production roles.
        let options = RestoreOptions(clean: true, noOwner: true, noPrivileges: true, stayInTarget: true)
        _ = try PostgresDumpRestore.restore(artifact, targetURL: connection, options: options)
        let db = try LibPQ.Connection(connection)
        var compared: Result<String, Error>
        do {
            compared = .success(try Drill.compareRowCounts(manifest.tables ?? [:]) { table in
                let found = try db.query("SELECT format('SELECT count(*) FROM %I.%I', n.nspname, c.relname) FROM pg_class c "
                    + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname || '.' || c.relname = $1 AND c.relkind IN ('r', 'p')",
                    [table])
                guard found.rowCount == 1, let count = found[0, 0] else { return nil }
                return try db.execute(count)[0, 0].flatMap { Int64($0) }
            })
        } catch {
            compared = .failure(error)
        }
        // The scratch copy goes whatever the comparison said: the next drill starts from an empty database.
        let plan = try ScriptRestorer.readCleanPlan(PostgresDumpRestore.scriptInput(for: artifact))
        do {
            _ = try db.execute("BEGIN")
            for drop in plan.drops { _ = try db.execute(drop) }
            _ = try db.execute("COMMIT")
        } catch {
            throw ArtifactError.failed("the drill's restored objects could not be dropped from the scratch database: \(error)")
        }
        return try compared.get()
    }

    /// Tells `onSignal` of a SIGINT or SIGTERM during the restore into `target`, as the user should hear of it.
    private static func reportSignals(target: String, to onSignal: @escaping @Sendable (RestoreSignal) -> Void) {
        RestoreInterrupt.shared.install { signal, phase in
            let name = RestoreInterrupt.name(signal)
            switch phase {
            case .before:
                onSignal(RestoreSignal(message: "vaultops: stopped by \(name) before the restore touched \(Redacted.connectionString(target)); nothing was changed",
                                       endsNow: true))
            case .during:
                onSignal(RestoreSignal(message: "vaultops: got \(name): stopping the restore and undoing it (a second signal ends vaultops at once, without cleanup)",
                                       endsNow: false))
            case .after:
                onSignal(RestoreSignal(message: "vaultops: got \(name) after the restore had finished; its outcome stands", endsNow: false))
            }
        }
    }
}
