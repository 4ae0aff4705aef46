import ErrorKinds
import Foundation

/// The contents of `vaultops.yml`, checked and with `${VAR}` substituted.
///
/// Load it with `ConfigLoader.load(from:)`. Relative paths are already resolved against the config
/// file's folder; secrets (database passwords, OSS secret, webhook) are registered with `Redacted`.
public struct Config: Sendable, Equatable {
    /// The file this was loaded from.
    public var file: String
    /// Where artifacts are written (required when there are sources).
    public var backupDir: String?
    /// The time zone of artifact names (`timezone:`); the host's when nil.
    public var timeZone: TimeZone?
    public var sources: [SourceConfig]
    public var oss: OSSConfig?
    public var retention: RetentionConfig?
    public var notify: NotifyConfig?
    public var metrics: MetricsConfig?
    public var deploy: DeployConfig?
    /// The variables of the `.env` file beside the config (empty when there is none).
    ///
    /// Deploy stage commands are not substituted at load time (their `${VERSION}` belongs to the shell),
    /// so the deploy runner passes these to them in the environment, under the process's own.
    public var dotEnv: [String: String]
    /// `encryption:` for every source that has none of its own; nil writes plain artifacts.
    public var encryption: EncryptionConfig?

    public init(file: String, backupDir: String? = nil, timeZone: TimeZone? = nil, sources: [SourceConfig] = [],
                oss: OSSConfig? = nil, retention: RetentionConfig? = nil, notify: NotifyConfig? = nil,
                metrics: MetricsConfig? = nil, deploy: DeployConfig? = nil, dotEnv: [String: String] = [:]) {
        self.file = file
        self.backupDir = backupDir
        self.timeZone = timeZone
        self.sources = sources
        self.oss = oss
        self.retention = retention
        self.notify = notify
        self.metrics = metrics
        self.deploy = deploy
        self.dotEnv = dotEnv
    }

    /// The lock file that `run` and `deploy` share: `<state_dir>/vaultops.lock` when there is a deploy
    /// section, else `<backup_dir>/.vaultops.lock`, else nil (nothing to protect).
    public var lockPath: String? {
        if let deploy { return URL(fileURLWithPath: deploy.stateDir).appendingPathComponent("vaultops.lock").path }
        if let backupDir { return URL(fileURLWithPath: backupDir).appendingPathComponent(".vaultops.lock").path }
        return nil
    }

    /// Where `vaultops replicate` keeps its per-source state (heartbeat) and lock files: `backup_dir`, else the deploy
    /// state folder; nil when the config has neither.
    public var replicationStateDir: String? { backupDir ?? deploy?.stateDir }

    /// The time zone used for artifact names: `timezone:` or the host's.
    public var effectiveTimeZone: TimeZone { timeZone ?? .current }

    /// How long a `run` may hold the lock before a contender reports it as stuck: the longest source timeout.
    public var lockAlarmAfter: Duration { sources.map(\.effectiveTimeout).max() ?? SourceConfig.defaultTimeout }

    /// The encryption of `source`'s artifacts: its own `encryption:`, else the global one, else nil (plain).
    public func encryption(for source: SourceConfig) -> EncryptionConfig? { source.encryption ?? encryption }

    /// The source called `name`, if any.
    public func source(named name: String) -> SourceConfig? { sources.first { $0.name == name } }
}

/// One entry of `sources:`.
/// Which program writes a PostgreSQL dump: vaultops' own dumper over libpq (the default), or the installed `pg_dump`.
public enum PostgresEngine: String, Sendable, CaseIterable {
    /// vaultops' dumper: one snapshot, row counts in the manifest, no version matching.
    case native
    /// The PostgreSQL project's `pg_dump` (plain format), streamed through the same pipeline.
    case pgDump = "pg_dump"
}

public struct SourceConfig: Sendable, Equatable, CustomStringConvertible {
    /// What to back up.
    public enum Target: Sendable, Equatable {
        /// A libpq URI or keyword string (may hold a password: print it through `Redacted`).
        case postgres(connection: String)
        /// A SQLite database file.
        case sqlite(path: String)
        /// One or more folders or single files, archived together.
        case files(paths: [String])
    }

    /// The name used in artifact names (validated like `--name`).
    ///
    /// (`Target` prints redacted, so even `print(config)` shows no password.)
    public var name: String
    public var target: Target
    /// gzip level 0–9, when set.
    public var level: Int?
    /// `mirror: oss://BUCKET/PREFIX/` (files sources only): `run` keeps this prefix in step with the folders.
    public var mirror: String?
    /// The config line where the entry starts, for messages.
    public var line: Int
    /// `allow_incomplete: true` (postgres sources only): back up even when some objects cannot be dumped,
    /// listing them in the manifest, as `backup postgres --allow-incomplete` does.
    public var allowIncomplete: Bool
    /// `engine:` (postgres sources only) — which program writes the dump.
    public var engine: PostgresEngine = .native
    /// `pg_dump:` (with `engine: pg_dump`) — the pg_dump program to run; nil picks the best one installed.
    public var pgDumpPath: String?
    /// `timeout:` — how long the source's backup may take before it is cancelled; `defaultTimeout` when nil.
    public var timeout: Duration?
    /// `drill:` — where `run` trial-restores the source's newest artifact; nil when the source has none.
    public var drill: DrillTarget?
    /// `replicate:` (sqlite sources only): `vaultops replicate` streams the WAL; nil when not replicated.
    public var replicate: ReplicateConfig?
    /// `schedule:` — the days the nightly `run` backs the source up (daily when not set).
    public var schedule: Schedule = .daily
    /// `exclude:` (files sources) — gitignore-style patterns of paths not archived.
    public var exclude = ExcludeRules()
    /// `one_file_system: true` (files sources) — folders on another file system (mount points) are archived empty.
    public var oneFileSystem = false
    /// `archive: false` (files sources with `mirror:`) — only the mirror runs, no tar is written.
    public var archive = true
    /// `encryption:` — this source's recipients, replacing the global `encryption:` (see `Config.encryption(for:)`).
    public var encryption: EncryptionConfig?

    /// `postgres_all:` — the target is a server: its globals and every database are backed up, each its own artifact.
    public var wholeServer: WholeServerSource?
    /// Which artifact of a whole-server backup this source writes; set by `run` when it expands a `postgres_all:`
    /// source into its members (nil for every configured source).
    public var clusterMember: ClusterMember?

    /// The timeout of a source that names none: generous, but a stalled server never holds the lock for good.
    public static let defaultTimeout = Duration.seconds(6 * 3600)

    /// `timeout`, or `defaultTimeout`.
    public var effectiveTimeout: Duration { timeout ?? Self.defaultTimeout }

    public init(name: String, target: Target, level: Int? = nil, mirror: String? = nil, line: Int = 0,
                allowIncomplete: Bool = false, timeout: Duration? = nil) {
        self.name = name
        self.target = target
        self.level = level
        self.mirror = mirror
        self.line = line
        self.allowIncomplete = allowIncomplete
        self.timeout = timeout
    }

    /// The artifact kind this source produces.
    public var kind: ArtifactKind {
        switch target {
        case .postgres: .postgres
        case .sqlite: .sqlite
        case .files: .files
        }
    }

    /// The source for humans and manifests, with credentials hidden.
    public var redactedTarget: String {
        switch target {
        case let .postgres(connection): Redacted.connectionString(connection)
        case let .sqlite(path): path
        case let .files(paths): paths.joined(separator: ", ")
        }
    }

    public var description: String { "\(name) (\(kind): \(redactedTarget))" }
}

/// `postgres_all:` settings: which databases are left out.
public struct WholeServerSource: Sendable, Equatable {
    /// `exclude_database:` — names or patterns (`*` any run of characters, `?` one), as pg_dumpall's `--exclude-database`.
    public var excludeDatabases: [String]
    /// As pg_dumpall's `--no-owner`, `--no-privileges` and `--no-role-passwords` (command line only).
    public var noOwner = false
    public var noPrivileges = false
    public var noRolePasswords = false

    public init(excludeDatabases: [String] = []) { self.excludeDatabases = excludeDatabases }
}

/// One artifact of a whole-server backup: the backup's name, what this artifact holds, and the run it belongs to.
public struct ClusterMember: Sendable, Equatable {
    public var name: String
    public var role: ClusterRole
    /// The start of the whole-server backup, the same for every member (the manifests' `cluster_run`).
    public var run: Date
    /// The whole-server source's settings (owners, privileges, passwords).
    public var server: WholeServerSource

    public init(name: String, role: ClusterRole, run: Date, server: WholeServerSource = WholeServerSource()) {
        self.name = name
        self.role = role
        self.run = run
        self.server = server
    }

    /// The manifest `extra` entries that mark the artifact as this member.
    public var manifestEntries: [String: String] { ClusterArtifacts.manifestEntries(name, role, run: run) }
}

/// `oss:` — where artifacts are shipped. Credentials here override none from the environment (the caller decides).
public struct OSSConfig: Sendable, Equatable {
    public var bucket: String
    /// Key prefix, e.g. `nightly/`.
    public var prefix: String?
    public var endpoint: String?
    public var region: String?
    public var accessKeyID: String?
    public var accessKeySecret: Secret?
    /// STS security token.
    public var sessionToken: Secret?
    /// The ECS instance RAM role whose STS credentials sign requests (`auto`: the one attached), when no AccessKey is set.
    public var ramRole: String?
    /// `Standard`, `IA`, `Archive` or `ColdArchive` for the objects written (nil: the bucket's default).
    public var storageClass: String?
    /// `AES256` or `KMS`: OSS encrypts what it stores.
    public var serverSideEncryption: String?
    /// The KMS key for `serverSideEncryption: KMS` (nil: the account's default key).
    public var kmsKeyID: String?
    /// Bandwidth limits (`2MiB`, `512KiB`; a bare number is KiB/s), shared by all parallel parts of a run.
    public var limitUpload: String?
    public var limitDownload: String?
    /// `HH:MM-HH:MM` (in `timezone:`): the limits apply only then; outside it transfers run at full speed.
    public var limitWindow: String?

    public init(bucket: String, prefix: String? = nil, endpoint: String? = nil, region: String? = nil,
                accessKeyID: String? = nil, accessKeySecret: Secret? = nil, sessionToken: Secret? = nil) {
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint
        self.region = region
        self.accessKeyID = accessKeyID
        self.accessKeySecret = accessKeySecret
        self.sessionToken = sessionToken
    }
}

/// `retention:` — the keep rules (restic's semantics; see SPEC.md).
public struct RetentionConfig: Sendable, Equatable {
    public var keepDays: Int?
    public var keepLast: Int?
    public var keepDaily: Int?
    public var keepWeekly: Int?
    public var keepMonthly: Int?

    public init(keepDays: Int? = nil, keepLast: Int? = nil, keepDaily: Int? = nil, keepWeekly: Int? = nil,
                keepMonthly: Int? = nil) {
        self.keepDays = keepDays
        self.keepLast = keepLast
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
    }

    /// No rule is set (prune refuses such a policy).
    public var isEmpty: Bool { [keepDays, keepLast, keepDaily, keepWeekly, keepMonthly].allSatisfy { $0 == nil } }
}

/// `notify:` — where failures are reported.
public struct NotifyConfig: Sendable, Equatable {
    /// The webhook URL (a secret: it usually carries a token).
    public var webhook: Secret
    /// The payload flavour: one of `kinds` (`generic`, `dingtalk`, `wecom`); nil for `generic`.
    public var kind: String?
    /// Whether a run that fully succeeded is reported too (`on_success:`, default false).
    public var onSuccess: Bool

    /// The accepted values of `kind:`.
    public static let kinds = ["generic", "dingtalk", "wecom"]

    public init(webhook: Secret, kind: String? = nil, onSuccess: Bool = false) {
        self.webhook = webhook
        self.kind = kind
        self.onSuccess = onSuccess
    }
}

/// `metrics:` — Prometheus node_exporter textfile output.
public struct MetricsConfig: Sendable, Equatable {
    public var textfile: String

    public init(textfile: String) { self.textfile = textfile }
}

/// `deploy:` — the release lifecycle.
public struct DeployConfig: Sendable, Equatable {
    /// Whether a rollback also restores the data from the backup point.
    public enum RestoreDataOnRollback: String, Sendable, Equatable, CaseIterable {
        /// Only with `rollback --with-data` (the default).
        case never
        case always
    }

    /// Where the release history and current release are kept.
    public var stateDir: String
    /// Sources backed up (and verified) before the stages run; each names an entry of `sources:`.
    public var backupPoint: [String]
    public var stages: [StageConfig]
    /// Folder the stage commands run in; the config file's folder when nil.
    public var workingDir: String?
    public var restoreDataOnRollback: RestoreDataOnRollback
    /// Variables that must be set (environment or `.env`) before a deploy starts.
    public var requiredEnv: [String]
    /// Runs after the backup point, before the first stage (`pre_deploy:`); a failure aborts the deploy.
    public var preDeploy: String?
    /// Runs after a release passed every gate (`post_deploy:`); a failure is reported, the release stands.
    public var postDeploy: String?
    /// Runs when a stage or gate failed, before the rollback (`on_failure:`).
    public var onFailure: String?
    /// Stops the writers (application containers) before data is restored from a backup point (`stop:`).
    public var stop: String?
    /// How long a deploy waits for the lock held by `run` or another deploy (`lock_wait:`); nil exits 4 at once.
    public var lockWait: Duration?
    /// `env:`: variables the commands get besides vaultops's own, resolved each time a command runs.
    public var env: [DeployVariable] = []
    /// The variables vaultops gives every deploy command; `${NAME}` of these in a gate is filled in when it runs.
    public static let vaultopsVariables = ["VERSION", "PREVIOUS_VERSION", "RELEASE", "BACKUP_POINT", "VAULTOPS_ACTION"]

    public init(stateDir: String, backupPoint: [String] = [], stages: [StageConfig] = [], workingDir: String? = nil,
                restoreDataOnRollback: RestoreDataOnRollback = .never, requiredEnv: [String] = [],
                preDeploy: String? = nil, postDeploy: String? = nil, onFailure: String? = nil, stop: String? = nil,
                lockWait: Duration? = nil) {
        self.stateDir = stateDir
        self.backupPoint = backupPoint
        self.stages = stages
        self.workingDir = workingDir
        self.restoreDataOnRollback = restoreDataOnRollback
        self.requiredEnv = requiredEnv
        self.preDeploy = preDeploy
        self.postDeploy = postDeploy
        self.onFailure = onFailure
        self.stop = stop
        self.lockWait = lockWait
    }
}

/// One entry of `deploy.env:`.
public struct DeployVariable: Sendable, Equatable {
    public var name: String
    /// The value with its `${…}` left for when a command runs; nil passes the variable on from the environment
    /// or the `.env` beside the config (read again for every command).
    public var template: String?

    public init(name: String, template: String? = nil) {
        self.name = name
        self.template = template
    }
}

/// One deploy stage: a shell command and the health gate that must pass after it.
public struct StageConfig: Sendable, Equatable {
    public var name: String
    /// A shell command line, run with `/bin/sh -c`; `${VERSION}` and friends are left for the shell.
    public var run: String
    /// How long the command may run; no limit when nil.
    public var timeout: Duration?
    public var health: HealthCheck?
    /// A command whose output is shown when the gate fails (`logs:`, e.g. `docker compose logs --tail 50 web`);
    /// the tail of the stage command's own output when nil.
    public var logs: String?

    public init(name: String, run: String, timeout: Duration? = nil, health: HealthCheck? = nil, logs: String? = nil) {
        self.name = name
        self.run = run
        self.timeout = timeout
        self.health = health
        self.logs = logs
    }
}

/// A health gate: one probe, retried.
public struct HealthCheck: Sendable, Equatable {
    /// What to probe.
    public enum Probe: Sendable, Equatable {
        /// A TCP connect to `host:port`.
        case tcp(host: String, port: Int)
        /// An HTTP GET that must answer 2xx.
        case http(url: String)
        /// A shell command that must exit 0.
        case command(String)
    }

    public var probe: Probe
    /// How long one attempt may take (default 5s).
    public var timeout: Duration
    /// Failed attempts in a row (after `startPeriod`) that fail the gate, as compose's `retries` (default 3; 0 counts as 1).
    public var retries: Int
    /// The wait between attempts (default 5s).
    public var interval: Duration
    /// Time for the service to start (default 0): failures during it do not count, a success ends the wait
    /// (docker compose's `start_period`).
    public var startPeriod: Duration
    /// Text the HTTP answer's body must contain (`expect:`, HTTP gates only).
    public var expect: String?

    public init(probe: Probe, timeout: Duration = .seconds(5), retries: Int = 3, interval: Duration = .seconds(5),
                startPeriod: Duration = .zero, expect: String? = nil) {
        self.probe = probe
        self.timeout = timeout
        self.retries = retries
        self.interval = interval
        self.startPeriod = startPeriod
        self.expect = expect
    }
}

/// A configuration problem, with the file, line and key path that let the user fix it.
public struct ConfigError: Error, KindedError, CustomStringConvertible, Equatable {
    /// The file (config or `.env`) as the user named it.
    public var file: String
    /// The 1-based line, when known.
    public var line: Int?
    /// The key path, e.g. `sources[1].sqlite`, when the problem is at a key.
    public var keyPath: String?
    /// What is wrong (already mentions the key path where that helps).
    public var message: String

    public init(file: String, line: Int?, keyPath: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.message = message
    }

    /// `vaultops.yml:7: unknown key 'sources[1].sqlitee'`.
    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return "\(location): \(Redacted.text(message))"
    }

    public var failureKind: FailureKind { .usage }
}

/// Parses durations like `10s`, `5m`, `1h`, `1m30s`, `500ms`, `2d`; a bare number means seconds.
public enum DurationParser {
    /// The duration `text` names, or nil when it is not one.
    public static func parse(_ text: String) -> Duration? {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return nil }
        if s.allSatisfy(\.isASCIIDigitCharacter) { return Int64(s).map { .seconds($0) } }
        var total = Duration.zero
        var rest = Substring(s)
        while !rest.isEmpty {
            let digits = rest.prefix(while: \.isASCIIDigitCharacter)
            guard !digits.isEmpty, digits.count <= 9, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix(while: { $0.isLetter })
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += .milliseconds(value)
            case "s": total += .seconds(value)
            case "m": total += .seconds(value * 60)
            case "h": total += .seconds(value * 3600)
            case "d": total += .seconds(value * 86400)
            default: return nil
            }
        }
        return total
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

extension SourceConfig.Target: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        switch self {
        case let .postgres(connection): "postgres(\(Redacted.connectionString(connection)))"
        case let .sqlite(path): "sqlite(\(path))"
        case let .files(paths): "files(\(paths.joined(separator: ", ")))"
        }
    }

    public var debugDescription: String { description }
}
