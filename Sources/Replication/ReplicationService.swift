import Foundation
import SQLite
import SQLiteSnapshot
import Storage
import VaultopsCore

/// One SQLite source that `vaultops replicate` streams.
public struct ReplicationJob: Sendable, Equatable {
    public var source: String
    public var database: URL
    public var settings: ReplicationSettings
    /// The lag past which the replicator posts to the webhook (`alert_lag:`).
    public var alertLag: TimeInterval

    public init(source: String, database: URL, settings: ReplicationSettings, alertLag: TimeInterval = 60) {
        self.source = source
        self.database = database
        self.settings = settings
        self.alertLag = alertLag
    }
}

/// Set once by a signal (or a failing job); read by every replicator between passes.
public final class StopRequest: @unchecked Sendable {
    // Safety: `requested` is only read and written under `lock`.
    private let lock = NSLock()
    private var requested = false
    private var sources: [any DispatchSourceSignal] = []

    public init() {}

    public var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }

    public func request() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    /// Requests a stop on SIGTERM or SIGINT (the signals' default action is turned off while this lives).
    public func onTerminationSignals() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.request() }
            source.resume()
            sources.append(source)
        }
    }
}

/// `vaultops replicate` and `vaultops restore SOURCE --at TIME`: the config's side of replication.
public enum ReplicationService {
    /// Every SQLite source of `config` with `replicate:`.
    public static func jobs(config: Config) -> [ReplicationJob] {
        config.sources.compactMap { source in
            guard case .sqlite(let path) = source.target, let replicate = source.replicate else { return nil }
            return ReplicationJob(source: source.name, database: URL(fileURLWithPath: path),
                                  settings: ReplicationSettings(interval: seconds(replicate.interval),
                                                                snapshotEvery: seconds(replicate.snapshotEvery),
                                                                keep: seconds(replicate.keep)),
                                  alertLag: seconds(replicate.alertLag))
        }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Where replicas go: the config's OSS prefix when it has one, else its backup_dir.
    public static func destination(config: Config, settings: OSSSettings) throws -> any StorageBackend {
        if let oss = config.oss { return try settings.backend(bucket: oss.bucket, prefix: oss.prefix ?? "") }
        guard let dir = config.backupDir else {
            throw ReplicationError(.noRestorePoint, "\(config.file): replication needs 'oss:' or 'backup_dir:' as its destination")
        }
        return LocalFolderBackend(path: dir)
    }

    /// Runs one replicator per job, each on its own thread with its own destination client, until `stop`; then
    /// each ships what is committed and the call returns. A job that cannot start (not WAL) stops them all.
    ///
    /// With `monitoring`, each source's lock (`.vaultops-replicate-<source>.lock` in its state folder) is taken
    /// first, so that a second replicator of a source exits at once naming the holder; the calling thread then
    /// samples the lag, writes the state files (the heartbeat) and raises lag alerts until the replicators end.
    public static func run(_ jobs: [ReplicationJob], destination: @escaping @Sendable () throws -> any StorageBackend,
                           stop: StopRequest, monitoring: ReplicationMonitoring? = nil,
                           log: @escaping @Sendable (String) -> Void) throws {
        guard !jobs.isEmpty else {
            throw ReplicationError(.noRestorePoint, "no source has 'replicate: true' (SQLite sources in WAL mode only)")
        }
        let locks = try monitoring.map { try lock(jobs, stateDir: $0.stateDir) } ?? []
        defer { locks.forEach { $0.release() } }
        let monitor = monitoring.map { ReplicationMonitor(jobs: jobs, settings: $0, log: log) }
        let failures = FailureList()
        let group = DispatchGroup()
        for job in jobs {
            group.enter()
            let progress = monitor?.progress(of: job.source)
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let replicator = Replicator(database: job.database, source: job.source, backend: try destination(),
                                                settings: job.settings, log: log)
                    log("replicate \(job.source): \(job.database.path) every \(job.settings.interval) s")
                    // Called between passes (and while waiting for the next): the monitor sees what is shipped.
                    try replicator.run {
                        progress?.update(generation: replicator.generation, lastShipped: replicator.lastShipped)
                        return stop.isRequested
                    }
                    progress?.update(generation: replicator.generation, lastShipped: replicator.lastShipped)
                } catch {
                    log("replicate \(job.source): \(error)")
                    failures.append(error)
                    stop.request()
                }
            }
        }
        if let monitor {
            // The monitor samples until every replicator has ended, then writes the last state files.
            while group.wait(timeout: .now() + monitor.settings.sampleEvery) == .timedOut {
                monitor.sample(now: Date())
            }
            monitor.finish(now: Date())
        } else {
            group.wait()
        }
        if let first = failures.all.first { throw first }
    }

    /// Takes every job's replicator lock, or throws `locked` naming the process that holds one.
    static func lock(_ jobs: [ReplicationJob], stateDir: String) throws -> [ProcessLock] {
        var locks: [ProcessLock] = []
        for job in jobs {
            let path = ReplicaState.lockPath(stateDir: stateDir, source: job.source)
            do {
                locks.append(try ProcessLock.acquire(path: path, command: "vaultops replicate"))
            } catch {
                locks.forEach { $0.release() }
                if case .held(let holder, _) = error {
                    throw ReplicationError(.locked, "replicate \(job.source): another replicator of this source is running: "
                                           + "\(path) is held by \(holder)")
                }
                throw ReplicationError(.io, "replicate \(job.source): \(error)")
            }
        }
        return locks
    }

    /// Restores `source`'s replica at `point` over `target` (the source's path in `config` when nil) with the
    /// SQLite restore safety (integrity-checked first, old file kept, refused while the app holds a transaction).
    public static func restore(source: String, point: ReplicaRestorePoint, target: URL?, config: Config,
                               destination: any StorageBackend, now: Date = Date()) throws -> (ReplicaRestoreResult, RestoreOutcome) {
        let path = target ?? config.sources.first { $0.name == source }.flatMap { entry -> URL? in
            guard case .sqlite(let path) = entry.target else { return nil }
            return URL(fileURLWithPath: path)
        }
        guard let path else {
            throw ReplicationError(.noRestorePoint, "\(source) is not a SQLite source of \(config.file); name the database with --to")
        }
        // Next to the target, so that installing it is one rename on the same file system.
        let candidate = path.deletingLastPathComponent()
            .appendingPathComponent(".\(path.lastPathComponent).replica-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: candidate) }
        let result = try restoreReplica(source: source, from: destination, to: point, into: candidate,
                                        workFolder: path.deletingLastPathComponent())
        let outcome = try installSnapshot(candidate: candidate, over: path, now: now, timeZone: config.effectiveTimeZone)
        return (result, outcome)
    }
}

/// Failures of the replicator threads.
final class FailureList: @unchecked Sendable {
    // Safety: `items` is only read and written under `lock`.
    private let lock = NSLock()
    private var items: [any Error] = []

    func append(_ item: any Error) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }

    var all: [any Error] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
