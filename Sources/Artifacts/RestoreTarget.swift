import Foundation
import VaultopsCore

/// Where a restore's target came from, which decides how carefully it is confirmed.
public enum RestoreTargetOrigin: Sendable, Equatable {
    /// `--to`.
    case option
    /// `$DATABASE_URL` (dumps).
    case databaseURL
    /// The config's source the artifact was made from (by the manifest's source name).
    case configSource(name: String, file: String)
    /// The kind's own default: the path recorded in the manifest (SQLite, folders).
    case manifest

    /// The target was inferred from the config rather than named by the user.
    public var isInferred: Bool { if case .configSource = self { return true } else { return false } }
}

/// The target of a restore and where it came from.
public struct RestoreTarget: Sendable, Equatable {
    /// A PostgreSQL connection, a database file or a folder; nil for the kind's default (`origin` is `.manifest`).
    public var target: String?
    public var origin: RestoreTargetOrigin

    public init(target: String?, origin: RestoreTargetOrigin) {
        self.target = target
        self.origin = origin
    }
}

/// What to do before touching a target that exists.
public enum RestoreConfirmationDecision: Sendable, Equatable {
    /// Go ahead: nothing there yet, `--yes`, or a target the user named in a script (today's behaviour).
    case proceed
    /// Show the plan and ask on the terminal.
    case ask
    /// Refuse: a script would replace a target inferred from the config without anyone having said yes.
    case refuse
}

extension RestoreTarget {
    /// The target for an artifact of `kind`, in SPEC.md's order: `--to`, else the config's `source` the artifact was
    /// made from, else for dumps `$DATABASE_URL`, else the kind's default (the manifest's path; a dump has none).
    ///
    /// A target taken from the config is confirmed before an existing one is touched (`decide`), so a script with
    /// `$DATABASE_URL` set but no `--yes` is refused rather than sent to the config's database unasked.
    public static func choose(kind: ArtifactKind, explicit: String?, databaseURL: String?, source: SourceConfig?,
                              configFile: String?) -> RestoreTarget {
        if let explicit, !explicit.isEmpty { return RestoreTarget(target: explicit, origin: .option) }
        if let source, source.kind == kind {
            let origin = RestoreTargetOrigin.configSource(name: source.name, file: configFile ?? "the config")
            switch source.target {
            case let .postgres(connection): return RestoreTarget(target: connection, origin: origin)
            case let .sqlite(path): return RestoreTarget(target: path, origin: origin)
            case let .files(paths) where paths.count == 1: return RestoreTarget(target: paths[0], origin: origin)
            case .files: break
            }
        }
        if kind == .postgres, let databaseURL, !databaseURL.isEmpty { return RestoreTarget(target: databaseURL, origin: .databaseURL) }
        return RestoreTarget(target: nil, origin: .manifest)
    }

    /// Whether to go ahead, ask or refuse before a restore that would touch an existing target.
    ///
    /// On a terminal: ask unless `--yes`. Not on a terminal (cron, scripts) and without `--yes`: a target the user
    /// named, or the manifest's own path, goes ahead as before (the kinds' refusals still apply); a target taken
    /// from the config is refused, because a script that used to fail for want of `--to` must not now replace the
    /// production database unasked.
    public static func decide(targetExists: Bool, origin: RestoreTargetOrigin, yes: Bool, interactive: Bool) -> RestoreConfirmationDecision {
        if !targetExists || yes { return .proceed }
        if interactive { return .ask }
        return origin.isInferred ? .refuse : .proceed
    }
}

/// What a restore will do, shown before it touches an existing target.
public struct RestorePlan: Sendable, Equatable {
    /// One line each: the artifact and where it is, the target and where it came from, what happens to what is there.
    public var lines: [String]
    /// The target holds something the restore will change or refuse over.
    public var targetExists: Bool

    public var text: String { lines.joined(separator: "\n") }
}
