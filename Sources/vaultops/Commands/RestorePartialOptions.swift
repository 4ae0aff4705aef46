import ArgumentParser
import Artifacts
import Foundation

/// `restore`'s options for restoring part of an artifact: some tables of a dump, some entries of a folder archive.
struct RestorePartialOptions: ParsableArguments {
    @Option(name: .customLong("table"), help: ArgumentHelp("PostgreSQL: restore only this table (schema.name; repeatable): definition, data, indexes, constraints, triggers, grants, and the types, sequences and functions it needs when the target lacks them. Replaces the live table (only with --force; a partitioned one only with all its partitions) unless --rename-to or --into-schema.", valueName: "schema.name"))
    var tables: [String] = []

    @Option(name: .customLong("schema"), help: ArgumentHelp("PostgreSQL: restore every table of this schema (repeatable).", valueName: "schema"))
    var schemas: [String] = []

    @Option(name: .customLong("rename-to"), help: ArgumentHelp("PostgreSQL: restore the one --table under this name beside the live one (its indexes, constraints and sequences renamed alike).", valueName: "name"))
    var renameTo: String?

    @Option(name: .customLong("into-schema"), help: ArgumentHelp("PostgreSQL: restore the tables into this schema (created if missing) beside the live ones.", valueName: "schema"))
    var intoSchema: String?

    @Option(name: .customLong("path"), help: ArgumentHelp("Folders: restore only this entry, a folder with everything below it, or what a glob matches; names as --list shows them (repeatable).", valueName: "path"))
    var paths: [String] = []

    @Flag(help: "List what the artifact holds instead of restoring: a dump's objects with their kind and byte range in the decompressed script, or a folder archive's entries as `tar tzf` prints them.")
    var list = false

    /// Whether anything partial was asked for.
    var isPartial: Bool { !tables.isEmpty || !schemas.isEmpty || renameTo != nil || intoSchema != nil }

    func validate() throws {
        if isPartial && !paths.isEmpty { throw ValidationError("--path is for folder archives, --table/--schema for dumps: not both") }
        var request = RestoreRequest()
        try apply(to: &request)
    }

    /// Puts the options into `request`.
    func apply(to request: inout RestoreRequest) throws {
        do {
            try request.restrict(tables: tables, schemas: schemas, renameTo: renameTo, intoSchema: intoSchema)
        } catch {
            throw ValidationError(error.message)
        }
        request.paths = paths
    }

    /// Checks that the options fit the artifact's kind when its file name tells it (a name without one is left to
    /// the kind's restore, which refuses what does not apply).
    func check(artifact: String) throws {
        let name = artifact.lowercased()
        if list && name.hasPrefix("oss://") { throw ValidationError("--list reads a local file: download it first (vaultops download)") }
        if (list || !paths.isEmpty || isPartial) && name.hasSuffix(".db.gz") {
            throw ValidationError("--list, --path and --table do not apply to SQLite snapshots (.db.gz)")
        }
        if isPartial && name.hasSuffix(".tar.gz") { throw ValidationError("--table and --schema apply to dumps (.sql.gz, .sql)") }
        if !paths.isEmpty && (name.hasSuffix(".sql") || name.hasSuffix(".sql.gz")) {
            throw ValidationError("--path applies to folder archives (.tar.gz)")
        }
    }
}
