import Foundation

/// The outcome of one table.
public struct TableReport: Sendable, Equatable, Codable {
    /// The SQLite table.
    public var table: String
    /// Rows in the source.
    public var sourceRows: Int64
    /// Rows loaded into PostgreSQL (0 in a dry run).
    public var loadedRows: Int64
    /// Rows left out because of row errors.
    public var rowErrors: Int64
    /// CSV bytes exported (and streamed to COPY).
    public var bytes: Int64
    /// Seconds for export, load and verification together.
    public var seconds: Double
    /// Whether target rows and checksum match the source.
    public var verified: Bool
    /// The source checksum.
    public var sourceChecksum: String
    /// The target checksum (nil when not verified).
    public var targetChecksum: String?
    /// Column profiles, for the record.
    public var profiles: [String: ColumnProfile]
    /// Whether the run got to this table (false when it stopped before exporting or loading it).
    public var reached = true
}

/// What happened to a schema object on the server.
public struct StepOutcome: Sendable, Equatable, Codable {
    /// The planned step.
    public var step: SchemaStep
    /// Whether it exists in the target now.
    public var migrated: Bool
    /// The server's message when it failed, or the plan's note.
    public var detail: String?
}

/// The migration report: what the team shows before switching the application over.
public struct MigrationReport: Sendable, Codable {
    /// The source path.
    public var source: String
    /// The target, without password.
    public var target: String
    /// The target schema.
    public var schema: String
    /// Whether this was a dry run.
    public var dryRun: Bool
    /// Per-table results.
    public var tables: [TableReport]
    /// Rows that could not be migrated (first 1000 per table).
    public var rowErrors: [RowError]
    /// Schema objects and whether they made it.
    public var steps: [StepOutcome]
    /// Warnings (types widened, collations, …).
    public var warnings: [String]
    /// Whether data was committed to the target.
    public var committed: Bool
    /// Total seconds.
    public var seconds: Double
    /// The error that stopped the run, if one did.
    public var failure: String?
    /// Wall-clock seconds per phase: load (export streamed into COPY, keys, indexes, ANALYZE), finish (foreign
    /// keys, views), verify; staged runs (dry run, --replace dropping tables) also have export (with profiling).
    public var phases: [String: Double] = [:]
    /// The DDL and plan (`renderPlan`), in a dry run.
    public var ddl: String? = nil
    /// Objects outside the migrated tables that `--replace-cascade` dropped with them (kind and name).
    public var droppedDependents: [String] = []

    /// Whether loaded data differs from the source (exit status 3 rather than 1).
    public var differs: Bool {
        committed && tables.contains { !$0.verified && $0.rowErrors == 0 }
    }

    /// Whether everything was migrated exactly: every row, every object, every checksum.
    public var isComplete: Bool {
        // A dry run changes nothing, so objects the plan cannot translate are plan lines (`planGaps`), not
        // a failure; rows that cannot be migrated are, since the real run would stop on them.
        failure == nil && rowErrors.isEmpty && tables.allSatisfy { $0.rowErrors == 0 }
            && (dryRun || (steps.allSatisfy(\.migrated) && tables.allSatisfy(\.verified)))
    }

    /// In a dry run: the objects the plan leaves out (no translation), one line each.
    public var planGaps: [String] {
        guard dryRun else { return [] }
        return steps.filter { !$0.migrated && $0.step.sql == nil }.map(Self.line)
    }

    private static func line(_ outcome: StepOutcome) -> String {
        let on = outcome.step.table.map { " on \($0)" } ?? ""
        return "\(outcome.step.kind.rawValue) \(outcome.step.name)\(on) not migrated: \(outcome.detail ?? outcome.step.note ?? "")"
    }

    /// Items not migrated exactly, one line each.
    public var problems: [String] {
        var lines: [String] = []
        if let failure { lines.append(failure) }
        for table in tables where table.rowErrors > 0 {
            lines.append("\(table.table): \(table.rowErrors) row(s) cannot be migrated")
        }
        for table in tables where !dryRun && !table.reached {
            lines.append("\(table.table): not reached (the run stopped before it)")
        }
        for table in tables where !dryRun && table.reached && !table.verified && table.rowErrors == 0 && committed {
            lines.append("\(table.table): target differs from source (rows \(table.sourceRows) → \(table.loadedRows), checksum \(table.sourceChecksum) → \(table.targetChecksum ?? "none"))")
        }
        // A dry run's steps are only planned; the ones without SQL are its `planGaps`.
        for outcome in steps where !dryRun && !outcome.migrated {
            lines.append(Self.line(outcome))
        }
        return lines
    }

    /// The human-readable report.
    public func render() -> String {
        var out = ""
        let header = dryRun ? "Dry run" : "Migration"
        out += "\(header): \(source) → \(target) (schema \(schema))\n"
        let nameWidth = max(5, tables.map(\.table.count).max() ?? 5)
        func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
            s.count >= w ? s : (right ? String(repeating: " ", count: w - s.count) + s : s + String(repeating: " ", count: w - s.count))
        }
        out += pad("table", nameWidth) + "  " + pad("rows", 10, right: true) + "  " + pad("loaded", 11, right: true) + "  "
            + pad("errors", 7, right: true) + "  " + pad("bytes", 12, right: true) + "  " + pad("time", 8, right: true) + "  verified\n"
        for t in tables {
            // A table the run never got to has no counts: zeros would read as "empty" or "lost".
            let unreached = !dryRun && !t.reached
            let exported = !unreached || t.sourceRows > 0 || t.bytes > 0
            out += pad(t.table, nameWidth) + "  " + pad(exported ? String(t.sourceRows) : "-", 10, right: true) + "  "
                + pad(unreached ? "not reached" : String(t.loadedRows), 11, right: true) + "  "
                + pad(exported ? String(t.rowErrors) : "-", 7, right: true) + "  "
                + pad(exported ? String(t.bytes) : "-", 12, right: true) + "  "
                + pad(dryRun || unreached ? "-" : String(format: "%.2fs", t.seconds), 8, right: true)
                + "  " + (dryRun || unreached ? "-" : (t.verified ? "yes" : "NO")) + "\n"
        }
        let rows = tables.reduce(Int64(0)) { $0 + $1.sourceRows }
        let loaded = tables.reduce(Int64(0)) { $0 + $1.loadedRows }
        let errors = tables.reduce(Int64(0)) { $0 + $1.rowErrors }
        let bytes = tables.reduce(Int64(0)) { $0 + $1.bytes }
        out += pad("total", nameWidth) + "  " + pad(String(rows), 10, right: true) + "  " + pad(String(loaded), 11, right: true)
            + "  " + pad(String(errors), 7, right: true) + "  " + pad(String(bytes), 12, right: true) + "  "
            + pad(dryRun ? "-" : String(format: "%.2fs", seconds), 8, right: true) + "  "
            + (dryRun ? "-" : (tables.allSatisfy(\.verified) ? "yes" : "NO")) + "\n"
        if !rowErrors.isEmpty {
            out += "\nRow errors:\n"
            for error in rowErrors { out += "  \(error)\n" }
        }
        if !warnings.isEmpty {
            out += "\nWarnings:\n"
            for warning in warnings { out += "  \(warning)\n" }
        }
        if !droppedDependents.isEmpty {
            out += "\nDropped with --replace-cascade (they depended on replaced tables):\n"
            for object in droppedDependents { out += "  \(object)\n" }
        }
        let gaps = planGaps
        if !gaps.isEmpty {
            out += "\nLeft out by the plan (a real run reports these as not migrated):\n"
            for line in gaps { out += "  \(line)\n" }
        }
        let problems = self.problems
        if problems.isEmpty {
            if dryRun {
                out += "\nDry run: nothing was changed.\n"
            } else if droppedDependents.isEmpty {
                out += "\nEvery row and value verified; nothing was lost.\n"
            } else {
                out += "\nEvery row and value verified; nothing of the source was lost, but --replace-cascade dropped the \(droppedDependents.count) object(s) listed above.\n"
            }
        } else {
            out += "\nNOT migrated exactly:\n"
            for line in problems { out += "  \(line)\n" }
            out += dryRun ? "Dry run: nothing was changed.\n"
                : (committed ? "Data was committed; see above for what differs.\n" : "Nothing was committed to the target.\n")
        }
        return out
    }

    /// The report as JSON (sorted keys, for machines).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// Renders the dry-run plan: type rules, DDL in execution order, post-load steps, foreign keys, views, triggers.
public func renderPlan(_ plan: MigrationPlan) -> String {
    var out = "-- Type mapping (SQLite declared type → PostgreSQL), first rule that matches wins:\n"
    for rule in typeMappingRules {
        out += "--   \(rule.sqlite) → \(rule.postgres): \(rule.note)\n"
    }
    out += "\n"
    for step in plan.preamble {
        if let sql = step.sql { out += sql + ";\n" }
    }
    for table in plan.tables {
        out += "\n-- table \(table.source.name)\n"
        for column in table.columns {
            out += "--   \(column.source.name): \(column.source.declaredType.isEmpty ? "(no type)" : column.source.declaredType)"
                + " → \(column.resolved.postgresType)\(column.identity ? " identity" : "") [\(column.mapping.rule)]\n"
        }
        for warning in table.warnings { out += "-- warning: \(warning)\n" }
        out += table.create + ";\n"
        out += "-- COPY \(table.target) FROM STDIN (FORMAT csv)\n"
        for step in table.postLoad {
            if let sql = step.sql {
                out += sql + ";" + (step.note.map { " -- \($0)" } ?? "") + "\n"
            } else {
                out += "-- not migrated: \(step.kind.rawValue) \(step.name): \(step.note ?? "")\n"
            }
        }
        out += "ANALYZE \(table.target);\n"
    }
    out += "\n-- after every table is loaded and committed:\n"
    for table in plan.tables {
        for step in table.foreignKeys {
            out += step.sql.map { $0 + ";\n" } ?? "-- not migrated: foreign key \(step.name) on \(table.source.name): \(step.note ?? "")\n"
        }
    }
    for step in plan.views {
        out += step.sql.map { $0 + "; -- \(step.note ?? "")\n" } ?? "-- not migrated: view \(step.name): \(step.note ?? "")\n"
    }
    for step in plan.triggers {
        out += "-- not migrated: trigger \(step.name) on \(step.table ?? ""): \(step.note ?? "")\n"
    }
    return out
}
