import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A lag alert of one source, posted by the replicator itself: once when the lag passes `alert_lag:` and once when
/// it is back under it.
public struct ReplicationAlert: Sendable, Equatable {
    public enum Event: String, Sendable {
        case lagging
        case recovered
    }

    public var event: Event
    public var source: String
    public var host: String
    public var lagSeconds: Double
    public var thresholdSeconds: Double
    public var generation: String?
    public var lastShippedCommit: Date?

    public init(event: Event, source: String, host: String, lagSeconds: Double, thresholdSeconds: Double, generation: String? = nil,
                lastShippedCommit: Date? = nil) {
        self.event = event
        self.source = source
        self.host = host
        self.lagSeconds = lagSeconds
        self.thresholdSeconds = thresholdSeconds
        self.generation = generation
        self.lastShippedCommit = lastShippedCommit
    }

    /// `vaultops on web-1: replication of mms is 75s behind (alert_lag 60s)` or `... caught up`.
    public var title: String {
        switch event {
        case .lagging:
            "vaultops on \(host): replication of \(source) is \(ReplicationLag.text(lagSeconds)) behind "
                + "(alert_lag \(ReplicationLag.text(thresholdSeconds)))"
        case .recovered:
            "vaultops on \(host): replication of \(source) caught up (lag \(ReplicationLag.text(lagSeconds)))"
        }
    }
}

/// Replication lag: how long the oldest commit not yet shipped has waited, 0 when everything committed is shipped.
///
/// An idle database is never "lagging": with no new commit there is nothing to ship. The monitor samples the WAL
/// (about once a second): a WAL with frames written after the last shipped commit means commits wait; they wait since
/// the later of the last shipped commit and the last sample that found nothing waiting.
public enum ReplicationLag {
    /// When the WAL at `walPath` was last written, if it holds frames written after `shipped` (nil otherwise: no WAL,
    /// an empty or truncated one, or nothing new).
    ///
    /// File times come from the kernel's coarse clock, a few milliseconds behind: a commit in the instant after a pass
    /// may look shipped until the next commit or pass. That errs on the side of a smaller lag for at most one
    /// interval; allowing slack instead would count an idle database as lagging forever.
    public static func unshippedWrite(walPath: String, after shipped: Date) -> Date? {
        var info = stat()
        guard stat(walPath, &info) == 0, Int64(info.st_size) > Int64(WALHeader.size) else { return nil }
        let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        return modified > shipped ? modified : nil
    }

    /// Since when commits wait, after a sample; pure.
    ///
    /// - Parameters:
    ///   - previous: the value after the last sample.
    ///   - waiting: whether this sample found commits waiting.
    ///   - lastShipped: the commit time of the last segment shipped; nil before the first generation started (then
    ///     everything waits since `started`).
    ///   - lastClear: the last sample that found nothing waiting (or the start).
    public static func pendingSince(previous: Date?, waiting: Bool, lastShipped: Date?, lastClear: Date) -> Date? {
        guard let lastShipped else { return previous ?? lastClear }
        guard waiting else { return nil }
        // What waited at the last sample and is older than the last shipped commit has been shipped since.
        return max(previous ?? lastClear, lastShipped)
    }

    /// `0s`, `45s`, `12m05s`, `3h05m`.
    public static func text(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(two(s % 60))s" }
        return "\(s / 3600)h\(two(s % 3600 / 60))m"
    }
}

/// The lag alarm of one source: raised when the lag passes the threshold, cleared when it is back at or under it.
public struct LagAlarm: Sendable, Equatable {
    public var threshold: TimeInterval
    public private(set) var raised = false

    public init(threshold: TimeInterval) {
        self.threshold = threshold
    }

    /// The event this lag causes, if any: once per episode, then once when it ends.
    public mutating func update(lag: TimeInterval) -> ReplicationAlert.Event? {
        if !raised, lag > threshold {
            raised = true
            return .lagging
        }
        if raised, lag <= threshold {
            raised = false
            return .recovered
        }
        return nil
    }
}

/// What a replicator thread has done so far; written by it between passes, read by the monitor.
public final class ReplicaProgress: @unchecked Sendable {
    // Safety: every field is read and written under `lock`.
    private let lock = NSLock()
    private var generation: String?
    private var lastShipped: Date?

    public init() {}

    public func update(generation: String?, lastShipped: Date?) {
        lock.lock()
        self.generation = generation
        self.lastShipped = lastShipped
        lock.unlock()
    }

    var current: (generation: String?, lastShipped: Date?) {
        lock.lock()
        defer { lock.unlock() }
        return (generation, lastShipped)
    }
}

/// How `vaultops replicate` reports on itself: state files (heartbeat), lag alerts, a metrics callback.
public struct ReplicationMonitoring: Sendable {
    /// Where the state and lock files go (the config's `replicationStateDir`).
    public var stateDir: String
    /// Posts an alert (the webhook); called from the monitor thread.
    public var alert: (@Sendable (ReplicationAlert) -> Void)?
    /// Receives every source's state after each write (the metrics textfile); called from the monitor thread.
    public var publish: (@Sendable ([ReplicaState]) -> Void)?
    /// How often the WAL is sampled and alerts are judged.
    public var sampleEvery: TimeInterval
    /// How often the state files are written (and `publish` called); also on every alert.
    public var writeEvery: TimeInterval

    public init(stateDir: String, alert: (@Sendable (ReplicationAlert) -> Void)? = nil,
                publish: (@Sendable ([ReplicaState]) -> Void)? = nil, sampleEvery: TimeInterval = 1, writeEvery: TimeInterval = 5) {
        self.stateDir = stateDir
        self.alert = alert
        self.publish = publish
        self.sampleEvery = sampleEvery
        self.writeEvery = writeEvery
    }
}

/// Samples every replicated source's lag, writes its state file and raises lag alerts.
///
/// - Important: `sample(now:)` and `finish(now:)` are called from one thread (the monitor's); the replicator threads
///   only touch their `ReplicaProgress`.
public final class ReplicationMonitor: @unchecked Sendable {
    // Safety: `entries` and `lastWrite` are only used from the one monitor thread (see the type's note); the
    // progress objects are locked themselves.
    struct Entry {
        var job: ReplicationJob
        var progress: ReplicaProgress
        var pendingSince: Date?
        var lastClear: Date
        var alarm: LagAlarm
        var lag: Double = 0
    }

    public let settings: ReplicationMonitoring
    private var entries: [Entry]
    private let started: Date
    private let host: String
    private var lastWrite = Date.distantPast
    private let log: @Sendable (String) -> Void

    public init(jobs: [ReplicationJob], settings: ReplicationMonitoring, started: Date = Date(),
                host: String = ProcessInfo.processInfo.hostName, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.settings = settings
        self.started = started
        self.host = host
        self.log = log
        entries = jobs.map { Entry(job: $0, progress: ReplicaProgress(), lastClear: started, alarm: LagAlarm(threshold: $0.alertLag)) }
    }

    /// The progress object the replicator thread of `source` updates.
    public func progress(of source: String) -> ReplicaProgress? {
        entries.first { $0.job.source == source }?.progress
    }

    /// One sample: every source's lag, its alarm (an alert on a change), and the state files when due.
    public func sample(now: Date) {
        var alerted = false
        for index in entries.indices {
            var entry = entries[index]
            let progress = entry.progress.current
            let waiting = progress.lastShipped.map {
                ReplicationLag.unshippedWrite(walPath: entry.job.database.path + "-wal", after: $0) != nil
            } ?? true
            entry.pendingSince = ReplicationLag.pendingSince(previous: entry.pendingSince, waiting: waiting,
                                                             lastShipped: progress.lastShipped, lastClear: entry.lastClear)
            if entry.pendingSince == nil { entry.lastClear = now }
            entry.lag = entry.pendingSince.map { max(0, now.timeIntervalSince($0)) } ?? 0
            if let event = entry.alarm.update(lag: entry.lag) {
                alerted = true
                let alert = ReplicationAlert(event: event, source: entry.job.source, host: host, lagSeconds: entry.lag,
                                             thresholdSeconds: entry.job.alertLag, generation: progress.generation,
                                             lastShippedCommit: progress.lastShipped)
                log("replicate \(entry.job.source): \(alert.title)")
                settings.alert?(alert)
            }
            entries[index] = entry
        }
        if alerted || now.timeIntervalSince(lastWrite) >= settings.writeEvery {
            write(now: now, stopped: false)
        }
    }

    /// The last state files, marked stopped (the replicators shipped what was committed and ended).
    public func finish(now: Date) {
        write(now: now, stopped: true)
    }

    /// Every source's state as it would be written now.
    public func states(now: Date, stopped: Bool = false) -> [ReplicaState] {
        entries.map { entry in
            let progress = entry.progress.current
            return ReplicaState(source: entry.job.source, pid: getpid(), host: host, startedAt: started, heartbeat: now,
                                heartbeatEverySeconds: settings.writeEvery, generation: progress.generation,
                                lastShippedCommit: progress.lastShipped, pendingSince: entry.pendingSince, lagSeconds: entry.lag,
                                alertLagSeconds: entry.job.alertLag, alerting: entry.alarm.raised, stopped: stopped)
        }
    }

    private func write(now: Date, stopped: Bool) {
        lastWrite = now
        let states = states(now: now, stopped: stopped)
        for state in states {
            do {
                try state.write(to: ReplicaState.fileURL(stateDir: settings.stateDir, source: state.source))
            } catch {
                log("replicate \(state.source): the state file could not be written: \(error)")
            }
        }
        settings.publish?(states)
    }
}
