import Archive
import Foundation
import VaultopsCore

/// What a running replicator last said about one source, in `<state dir>/.vaultops-replicate-<source>.json`.
///
/// Written by `vaultops replicate` every few seconds (the heartbeat) and read by `status`, `run` and tests. It holds
/// no secret: times, the generation's name, the pid and the host. Mode 0600 like the run's status file.
public struct ReplicaState: Codable, Sendable, Equatable {
    public var formatVersion = 1
    public var source: String
    public var pid: Int32
    public var host: String
    /// When this replicator process started.
    public var startedAt: Date
    /// When the replicator last wrote this file; a stale heartbeat means it stopped or hangs.
    public var heartbeat: Date
    /// How often the heartbeat is written.
    public var heartbeatEverySeconds: Double
    /// The generation being written; nil before the first one started.
    public var generation: String?
    /// The commit time of the last segment shipped (every commit in it is at or before this).
    public var lastShippedCommit: Date?
    /// Since when commits wait to be shipped (at most one sampling period early); nil when everything committed is
    /// shipped. See `ReplicationLag`.
    public var pendingSince: Date?
    /// The lag at the heartbeat, in seconds.
    public var lagSeconds: Double
    /// `alert_lag:`: the lag past which the replicator posts to the webhook.
    public var alertLagSeconds: Double
    /// True while a lag alert is open (sent, no recovery yet).
    public var alerting: Bool
    /// True once the replicator stopped on request (SIGTERM, SIGINT) after shipping what was committed.
    public var stopped: Bool

    public init(source: String, pid: Int32, host: String, startedAt: Date, heartbeat: Date, heartbeatEverySeconds: Double,
                generation: String?, lastShippedCommit: Date?, pendingSince: Date?, lagSeconds: Double, alertLagSeconds: Double,
                alerting: Bool, stopped: Bool) {
        self.source = source
        self.pid = pid
        self.host = host
        self.startedAt = startedAt
        self.heartbeat = heartbeat
        self.heartbeatEverySeconds = heartbeatEverySeconds
        self.generation = generation
        self.lastShippedCommit = lastShippedCommit
        self.pendingSince = pendingSince
        self.lagSeconds = lagSeconds
        self.alertLagSeconds = alertLagSeconds
        self.alerting = alerting
        self.stopped = stopped
    }

    /// `.vaultops-replicate-<source>.json` in `stateDir` (a dot file: prune and listings ignore it).
    public static func fileURL(stateDir: String, source: String) -> URL {
        URL(fileURLWithPath: stateDir).appendingPathComponent(".vaultops-replicate-\(source).json")
    }

    /// `.vaultops-replicate-<source>.lock` in `stateDir`: held by the one replicator of the source.
    public static func lockPath(stateDir: String, source: String) -> String {
        URL(fileURLWithPath: stateDir).appendingPathComponent(".vaultops-replicate-\(source).lock").path
    }

    /// Reads a state file; nil when there is none (the replicator never ran here) or it cannot be parsed.
    public static func load(from url: URL) -> ReplicaState? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? decoder.decode(ReplicaState.self, from: data)
    }

    /// Replaces the file by a rename, mode 0600. No fsync: a heartbeat lost in a crash is replaced a moment later.
    public func write(to url: URL) throws {
        var data = try Self.encoder.encode(self)
        data.append(0x0A)
        do {
            try AtomicFile.replace(at: url, with: data, mode: 0o600, durable: false)
        } catch {
            throw ReplicationError(.io, "cannot write the replicator's state: \(error)")
        }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // Milliseconds: the lag is computed from these times.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatter.string(from: date))
        }
        return encoder
    }

    static var decoder: JSONDecoder { Manifest.stateFileDecoder() }
}

/// How a source's replicator looks from outside (`status`, `run`, the metrics): does it run, and how far behind is it.
public struct ReplicatorHealth: Codable, Sendable, Equatable {
    /// `running`; `stalled` (its process lives but the heartbeat is stale); `stopped` (it stopped on request);
    /// `not running` (its process is gone); `never started` (no state file).
    public var state: String
    public var source: String
    public var running: Bool
    /// Seconds since the oldest commit not shipped; nil when unknown (never started). For a replicator that is not
    /// running, everything since its last heartbeat counts as not shipped.
    public var lagSeconds: Double?
    /// Lag over `alert_lag:` (or not running).
    public var lagging: Bool
    public var alertLagSeconds: Double
    public var generation: String?
    public var lastShippedCommit: Date?
    public var heartbeat: Date?
    public var pid: Int32?
    /// One line for people: `running (pid 12), lag 0s` or why it is not running.
    public var detail: String

    /// A heartbeat older than this (and at least three heartbeats) means the replicator is not running.
    public static let staleAfter: TimeInterval = 30

    /// Judges `state` (the source's state file, nil when there is none) at `now`.
    ///
    /// Running means a fresh heartbeat and, when the state file comes from this host, a live pid (a replicator in
    /// another container, with its own pid namespace, is judged on its heartbeat alone).
    public static func judge(source: String, state: ReplicaState?, alertLag: TimeInterval, now: Date,
                             host: String = ProcessInfo.processInfo.hostName,
                             isAlive: (Int32) -> Bool = ReplicatorHealth.processExists) -> ReplicatorHealth {
        guard let state else {
            return ReplicatorHealth(state: "never started", source: source, running: false, lagSeconds: nil, lagging: true,
                                    alertLagSeconds: alertLag, detail: "no replicator has run for it (no state file)")
        }
        let age = max(0, now.timeIntervalSince(state.heartbeat))
        let fresh = age <= max(staleAfter, 3 * state.heartbeatEverySeconds)
        let alive = state.host != host || isAlive(state.pid)
        let status: String
        let lag: Double
        if state.stopped {
            status = "stopped"
            lag = now.timeIntervalSince(state.pendingSince ?? state.heartbeat)
        } else if fresh && alive {
            status = "running"
            lag = state.pendingSince.map { now.timeIntervalSince($0) } ?? 0
        } else {
            status = alive ? "stalled" : "not running"
            lag = now.timeIntervalSince(state.pendingSince ?? state.heartbeat)
        }
        let running = status == "running"
        let lagText = ReplicationLag.text(max(0, lag))
        var detail: String
        switch status {
        case "running": detail = "running (pid \(state.pid)), lag \(lagText)"
        case "stopped": detail = "stopped on request \(ReplicationLag.text(age)) ago"
        case "stalled": detail = "stalled: pid \(state.pid) lives but its last heartbeat is \(ReplicationLag.text(age)) old"
        default: detail = "not running: pid \(state.pid) is gone, last heartbeat \(ReplicationLag.text(age)) ago"
        }
        if !running { detail += "; nothing committed since is replicated" }
        return ReplicatorHealth(state: status, source: source, running: running, lagSeconds: max(0, lag),
                                lagging: !running || lag > alertLag, alertLagSeconds: alertLag, generation: state.generation,
                                lastShippedCommit: state.lastShippedCommit, heartbeat: state.heartbeat, pid: state.pid,
                                detail: detail)
    }

    /// Whether a process with this pid exists (signal 0; EPERM means it exists under another user).
    public static func processExists(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}
