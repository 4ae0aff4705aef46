import ArgumentParser
import Foundation
import Migration
import VaultopsCore

/// `vaultops migrate SQLITE_PATH POSTGRES_URL`: a one-off SQLite → PostgreSQL move with a verified report.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a SQLite database into PostgreSQL once, and prove nothing was lost.",
        discussion: """
            Reads one consistent snapshot of the SQLite file, profiles and exports every table to CSV, creates \
            the tables (types from declared types and the data; NOT NULL, defaults, keys, UNIQUE, CHECK, \
            indexes), loads them with COPY over several connections (all commit only after all loaded), adds \
            foreign keys and views, resets identity sequences, runs ANALYZE, then reads every table back and \
            compares row counts and a checksum over every value. Exits 0 only when everything was migrated \
            exactly; 1 when rows, constraints, indexes, views or triggers were not; 3 when the data differs. \
            --replace drops existing target tables before loading (in its own transaction); it refuses, listing \
            them, when views, other tables' foreign keys, functions or rules depend on those tables, unless \
            --replace-cascade, which drops them too and lists them in the report. --dry-run lists what the plan \
            cannot translate (a CHECK, a trigger) and exits 0 unless rows cannot be migrated.
            """)

    @Argument(help: "The SQLite database file.")
    var sqlitePath: String

    @Argument(help: "The target: a libpq URI or keyword string (PGPASSWORD, ~/.pgpass work as in psql).")
    var postgresURL: String

    @Option(help: "The target schema (created when missing).")
    var schema = "public"

    @Option(name: .customLong("csv-dir"), help: "Keep the exported CSV files in this folder.")
    var csvDir: String?

    @Option(help: "Migrate only these tables (comma-separated).")
    var tables: String?

    @Flag(name: .customLong("dry-run"), help: "Profile the data and print the DDL and the plan; change nothing.")
    var dryRun = false

    @Flag(help: "Drop and recreate target tables that already exist (refused by default when they hold rows).")
    var replace = false

    @Flag(name: .customLong("replace-cascade"),
          help: "--replace, also dropping the objects that depend on those tables (views, other tables' foreign keys, …); the report lists them.")
    var replaceCascade = false

    @Option(name: .customLong("on-error"), help: "abort: commit nothing when any row fails (default); skip: load the rest, report the rows.")
    var onError = "abort"

    @Option(help: "Tables loaded at once, each over its own connection.")
    var jobs = 4

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard OnRowError(rawValue: onError) != nil else {
            throw ValidationError("--on-error must be abort or skip, not '\(onError)'")
        }
        guard jobs >= 1, jobs <= 64 else { throw ValidationError("--jobs must be between 1 and 64") }
        if let tables, tables.split(separator: ",").isEmpty { throw ValidationError("--tables needs at least one name") }
        if schema.isEmpty { throw ValidationError("--schema must not be empty") }
    }

    func run() throws {
        var options = MigrationOptions(sqlitePath: sqlitePath, postgresURL: postgresURL)
        options.schema = schema
        options.csvDirectory = csvDir
        options.tables = tables.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        options.dryRun = dryRun
        options.replace = replace || replaceCascade
        options.replaceCascade = replaceCascade
        options.onError = OnRowError(rawValue: onError) ?? .abort
        options.jobs = jobs
        if !json && !dryRun {
            options.progress = { label, total in ProgressReporter(label: label, total: total) }
        }
        let report = try Migrator.run(options) { line in
            printError("migrate: \(line)")
        }
        if json {
            print(try report.json())
        } else {
            if let ddl = report.ddl { print(ddl) }
            print(report.render(), terminator: "")
        }
        if !report.isComplete {
            throw CommandExit(code: report.differs ? .verificationFailed : .failure)
        }
    }
}
