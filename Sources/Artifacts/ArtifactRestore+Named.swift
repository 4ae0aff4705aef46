import Foundation
import LibPQ
import PostgresRestore
import Storage
import VaultopsCore

/// How `restore` may confirm before touching an existing target.
public struct RestoreConfirmation: Sendable {
    /// `--yes`: go ahead without asking.
    public var yes: Bool
    /// Standard input is a terminal, so a person can be asked.
    public var interactive: Bool
    /// Shows the plan and returns the person's answer (true to go ahead).
    public var ask: @Sendable (RestorePlan) -> Bool

    public init(yes: Bool, interactive: Bool, ask: @escaping @Sendable (RestorePlan) -> Bool) {
        self.yes = yes
        self.interactive = interactive
        self.ask = ask
    }
}

/// The person said no at the prompt: nothing was touched.
public struct RestoreDeclined: Error, CustomStringConvertible {
    public init() {}

    public var description: String { "not restored: the target was left as it was" }
}

extension ArtifactRestore {
    /// `restore NAME [--at DAY | --latest]`: finds the artifact (the path, `backup_dir`, the OSS prefix), downloads it
    /// with its manifest when it is on OSS, picks the target (`RestoreTarget.choose`), shows the plan and confirms
    /// (`RestoreTarget.decide`) before touching an existing target, then restores it through its kind's handler.
    public static func run(named argument: String, at: String? = nil, latest: Bool = false, config: Config?,
                           request: RestoreRequest, settings: OSSSettings, confirmation: RestoreConfirmation,
                           note: (String) -> Void) throws -> RestoreReport {
        let found = try ArtifactLocator.locate(argument, at: at, latest: latest, config: config, settings: settings, note: note)
        if found.place != .path { note("vaultops: restoring \(found.location)") }
        let remote = found.place == .oss ? try fetch(found.location, settings: settings, note: note) : nil
        let url = remote?.local ?? URL(fileURLWithPath: found.location)
        return try withExtendedLifetime(remote) {
            guard let format = ArtifactFormat.of(fileName: url.lastPathComponent) else {
                throw ArtifactError.unknownArtifact(path: found.location)
            }
            let manifest = try? Manifest.load(from: Manifest.sidecarURL(for: url))
            // The source's name is the one its artifacts are named after (the manifest's `source` is its redacted target).
            let sourceName = ListedArtifact.parse(manifest?.artifact ?? url.lastPathComponent)?.parsed.source
            let source = sourceName.flatMap { config?.source(named: $0) }
            let chosen = RestoreTarget.choose(kind: format.kind, explicit: request.target, databaseURL: request.defaultDatabase,
                                              source: source, configFile: config?.file)
            var request = request
            request.target = chosen.target
            var plan = Self.plan(found, kind: format.kind, target: chosen, manifest: manifest, request: request)
            if chosen.origin.isInferred, let manifest, let source, manifest.source != source.redactedTarget {
                plan.lines.insert("  note: the manifest says it was made from \(manifest.source), the config's \(source.name) is now "
                                  + source.redactedTarget, at: 1)
            }
            switch RestoreTarget.decide(targetExists: plan.targetExists, origin: chosen.origin, yes: confirmation.yes,
                                        interactive: confirmation.interactive) {
            case .proceed:
                if chosen.origin.isInferred { for line in plan.lines { note(line) } }
            case .ask:
                guard confirmation.ask(plan) else { throw RestoreDeclined() }
            case .refuse:
                throw RestoreRequestError(plan.text + "\nrefused: the target comes from the config and stdin is not a terminal; "
                                          + "pass --yes to confirm, or --to to name the target")
            }
            // An encrypted artifact is decrypted and checked whole first; the handler restores the plain copy.
            return try decrypted(url, keys: request.keys) { plain in
                try format.kind.handler.restore(plain, named: found.location, request: request)
            }
        }
    }

    /// Downloads `oss://BUCKET/KEY` and its manifest into a private temporary folder, with a progress line.
    static func fetch(_ location: String, settings: OSSSettings, note: (String) -> Void) throws -> RemoteArtifact {
        let reporter = ProgressReporter(label: location, total: nil)
        let fetched = try RemoteArtifact(location: location, settings: settings) { done, total in
            reporter.set(total: total)
            reporter.set(completed: done)
        }
        reporter.finish()
        if !fetched.hasManifest { note("vaultops: note: no manifest beside \(location) on OSS; checking the gzip stream only") }
        return fetched
    }

    /// The plan shown before the restore: the artifact, the target and its origin, and what happens to what is there.
    static func plan(_ found: LocatedArtifact, kind: ArtifactKind, target: RestoreTarget, manifest: Manifest?,
                     request: RestoreRequest) -> RestorePlan {
        var lines = ["restore \(found.fileName) from \(placeText(found))" + (manifest.map { " (made \(Manifest.timestamp($0.createdAt)))" } ?? "")]
        let origin: String
        switch target.origin {
        case .option: origin = "--to"
        case .databaseURL: origin = "$DATABASE_URL"
        case let .configSource(name, file): origin = "source \(name) in \(file)"
        case .manifest: origin = "the path in the manifest"
        }
        let exists: Bool
        switch kind {
        case .postgres:
            let shown = target.target.map(Redacted.connectionString) ?? "(no database named)"
            lines.append("  into \(shown) (\(origin))")
            (exists, lines) = postgresState(target.target, request: request, lines: lines)
        case .sqlite, .files:
            let path = target.target ?? manifest?.originalPath
            lines.append("  to \(path ?? "(the path in the manifest)") (\(origin))")
            (exists, lines) = fileState(path, kind: kind, request: request, lines: lines)
        }
        return RestorePlan(lines: lines, targetExists: exists)
    }

    private static func placeText(_ found: LocatedArtifact) -> String {
        switch found.place {
        case .path: found.location
        case .backupDir: "backup_dir (\(found.location))"
        case .oss: "\(found.location) (downloaded and verified first)"
        }
    }

    private static func postgresState(_ target: String?, request: RestoreRequest, lines: [String]) -> (Bool, [String]) {
        var lines = lines
        guard let target, !request.createDatabase else {
            if request.createDatabase { lines.append("  the database is created first") }
            return (false, lines)
        }
        let tables: Int
        do {
            let db = try LibPQ.Connection(target)
            tables = Int(try db.execute("""
                SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND n.nspname NOT LIKE 'pg\\_%'
                """)[0, 0] ?? "0") ?? 0
            if let partial = request.partial {
                return (tables > 0, lines + (try partialState(partial, force: request.force, db: db)))
            }
        } catch {
            // The restore itself reports the connection problem; until then, treat the database as in use.
            lines.append("  the database could not be checked now: \(Redacted.text(String(describing: error)))")
            return (true, lines)
        }
        guard tables > 0 else { lines.append("  the database holds no tables"); return (false, lines) }
        if request.clean {
            lines.append("  it holds \(tables) table(s): --clean drops every object the dump creates, then restores (one transaction)")
        } else if request.force {
            lines.append("  it holds \(tables) table(s): --force restores on top of them")
        } else {
            lines.append("  it holds \(tables) table(s): refused without --clean or --force")
        }
        return (true, lines)
    }

    /// What `--table/--schema` will do to the target: which tables are replaced, which created beside.
    private static func partialState(_ partial: PartialRestoreRequest, force: Bool, db: LibPQ.Connection) throws -> [String] {
        let replacing = partial.renameTo == nil && partial.intoSchema == nil
        let destinations = partial.tables.map { table in
            if let name = partial.renameTo { return TableName(schema: table.schema, name: name) }
            return TableName(schema: partial.intoSchema ?? table.schema, name: table.name)
        }
        let existing = try destinations.filter { try PartialTargetCheck.exists($0, connection: db) }
        let absent = destinations.filter { !existing.contains($0) }
        let refusal = force ? "(--force)" : "(refused without --force)"
        var lines: [String] = []
        if !existing.isEmpty {
            lines.append("  replaces \(existing.map(\.description).joined(separator: ", ")): dropped and restored from the dump \(refusal)")
        }
        if !absent.isEmpty {
            let how = replacing ? "created from the dump" : "created beside the live tables"
            lines.append("  \(absent.map(\.description).joined(separator: ", ")): \(how)")
        }
        for schema in partial.schemas {
            let place = partial.intoSchema.map { "into schema \($0), " } ?? ""
            let what = partial.intoSchema == nil ? "those the target has are dropped and restored \(refusal), the others created"
                                                 : "those it has there already are replaced \(refusal)"
            lines.append("  every table of schema \(schema) in the dump: \(place)\(what)")
        }
        lines.append("  only these tables (and the types, sequences and functions they need, when missing); everything else stays as it is")
        return lines
    }

    private static func fileState(_ path: String?, kind: ArtifactKind, request: RestoreRequest, lines: [String]) -> (Bool, [String]) {
        var lines = lines
        guard let path else { return (false, lines) }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return (false, lines) }
        if kind == .sqlite {
            lines.append("  it exists and is replaced; the old file is kept as \(path).pre-restore-<time>")
            return (true, lines)
        }
        let empty = isFolder.boolValue && ((try? FileManager.default.contentsOfDirectory(atPath: path).isEmpty) ?? false)
        if empty { return (false, lines) }
        lines.append(request.force ? "  it holds files: those in the archive are replaced (--force), others stay"
                                   : "  it holds files: refused where the archive has a file that exists, without --force")
        return (true, lines)
    }
}
