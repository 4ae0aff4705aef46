import Foundation
import Yams

/// `replicate:` of a SQLite source: `vaultops replicate` streams its WAL to the destination.
public struct ReplicateConfig: Sendable, Equatable {
    /// The longest time between a commit and the pass that ships it (1 s by default).
    public var interval: Duration = .seconds(1)
    /// How old a generation may get before a fresh snapshot starts a new one (24 h by default).
    public var snapshotEvery: Duration = .seconds(86_400)
    /// How long generations are kept (7 days by default).
    public var keep: Duration = .seconds(7 * 86_400)
    /// The replication lag past which the replicator posts to `notify.webhook` (`alert_lag:`, 60 s by default).
    public var alertLag: Duration = .seconds(60)

    public init(interval: Duration = .seconds(1), snapshotEvery: Duration = .seconds(86_400), keep: Duration = .seconds(7 * 86_400),
                alertLag: Duration = .seconds(60)) {
        self.interval = interval
        self.snapshotEvery = snapshotEvery
        self.keep = keep
        self.alertLag = alertLag
    }
}

extension Reader {
    static let replicateKeys = ["interval", "snapshot_every", "keep", "alert_lag"]

    /// `replicate: true|false` or `replicate: { interval: 1s, snapshot_every: 24h, keep: 7d, alert_lag: 60s }` (SQLite sources only).
    func replicate(_ v: YAMLValue, target: SourceConfig.Target) throws(ConfigError) -> ReplicateConfig? {
        guard case .sqlite = target else {
            throw error(v, "'\(v.path)' applies to 'sqlite' sources only (it streams the database's WAL)")
        }
        guard case .mapping = v.node else { return try flag(v) ? ReplicateConfig() : nil }
        let f = try mapping(v, allowed: Self.replicateKeys)
        var config = ReplicateConfig()
        func positive(_ key: String) throws(ConfigError) -> Duration? {
            guard let value = f[key] else { return nil }
            let d = try duration(value)
            guard d > .zero else { throw error(value, "'\(value.path)' must be longer than zero") }
            return d
        }
        if let d = try positive("interval") { config.interval = d }
        if let d = try positive("snapshot_every") { config.snapshotEvery = d }
        if let d = try positive("keep") { config.keep = d }
        if let d = try positive("alert_lag") { config.alertLag = d }
        if config.snapshotEvery < config.interval, let value = f["snapshot_every"] {
            throw error(value, "'\(value.path)' must not be shorter than the interval")
        }
        return config
    }
}
