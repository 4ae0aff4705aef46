import Archive
import Artifacts
import Foundation
import Replication
import VaultopsCore
#if canImport(Glibc)
import Glibc
#endif

/// What one `run` did, as written to `<backup_dir>/.vaultops-status.json` for `vaultops status`.
///
/// The file also carries, per source, the last successful backup (so a source that failed tonight still
/// shows when it last worked) and a short size history for the trend; both are carried over from the
/// previous status file by `RunStatus.merge(previous:)`.
public struct RunStatus: Codable, Sendable, Equatable {
    /// Bumped when the layout changes incompatibly.
    public static let currentFormatVersion = 1
    /// How many history points are kept per source.
    public static let historyLimit = 30
    /// The file name inside the backup folder (a dot file: prune and `artifacts` ignore it).
    public static let fileName = ".vaultops-status.json"

    public var formatVersion = RunStatus.currentFormatVersion
    public var toolVersion = VaultopsVersion.current
    public var host: String
    public var configFile: String
    public var startedAt: Date
    public var finishedAt: Date
    public var durationSeconds: Double
    /// The process exit status the run ended with (0, 5 or 1).
    public var exitCode: Int32
    public var dryRun: Bool
    public var sources: [SourceStatus]
    /// One entry per location pruned (the backup folder, then the OSS prefix).
    public var prunes: [PruneStatus]
    /// Problems not tied to one source (OSS configuration, …), already redacted.
    public var errors: [String]
    /// When this run could not start because another held the lock too long: that holder (`pid 123 (…) since …`).
    public var lockHolder: String?
    /// How long that holder had held the lock, in seconds.
    public var lockHeldSeconds: Double?
    /// The replicators of the sources with `replicate:`, as the run saw them; nil when none is replicated.
    public var replicators: [ReplicatorHealth]?

    public init(host: String, configFile: String, startedAt: Date, finishedAt: Date, exitCode: Int32, dryRun: Bool,
                sources: [SourceStatus], prunes: [PruneStatus], errors: [String], lockHolder: String? = nil,
                lockHeldSeconds: Double? = nil) {
        self.lockHolder = lockHolder
        self.lockHeldSeconds = lockHeldSeconds
        self.host = host
        self.configFile = configFile
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationSeconds = finishedAt.timeIntervalSince(startedAt)
        self.exitCode = exitCode
        self.dryRun = dryRun
        self.sources = sources
        self.prunes = prunes
        self.errors = errors
    }

    /// The status of the source called `name`, if this run had it.
    public func source(named name: String) -> SourceStatus? { sources.first { $0.name == name } }

    /// Copies each source's last success and history forward from `previous` and adds tonight's point.
    ///
    /// A source that succeeded now gets its own artifact as last success; one that failed keeps the one
    /// from `previous`. History gets one point per run (successful or not), newest last, at most
    /// `historyLimit` points.
    public func merge(previous: RunStatus?) -> RunStatus {
        var merged = self
        for index in merged.sources.indices {
            let name = merged.sources[index].name
            let before = previous?.source(named: name)
            var source = merged.sources[index]
            if source.skipped != nil {
                // Not run tonight: its last run's facts stand (a failure stays visible until it runs again).
                if var carried = before {
                    carried.skipped = source.skipped
                    carried.mirrorOnly = source.mirrorOnly
                    carried.schedule = source.schedule
                    carried.staleAfterSeconds = source.staleAfterSeconds
                    merged.sources[index] = carried
                }
                continue
            }
            source.lastMirrorSuccess = source.mirror?.ok == true ? finishedAt : before?.lastMirrorSuccess
            if source.backedUp, let artifact = source.artifact {
                source.lastSuccess = LastSuccess(at: source.createdAt ?? finishedAt, artifact: artifact, sizeBytes: source.sizeBytes,
                                                 verified: source.verified, uploaded: source.upload?.ok ?? false)
            } else {
                source.lastSuccess = before?.lastSuccess
            }
            source.lastUploadSuccess = source.upload?.ok == true ? source.createdAt ?? finishedAt : before?.lastUploadSuccess
            source.lastDrillSuccess = source.drill?.ok == true ? finishedAt : before?.lastDrillSuccess
            var history = before?.history ?? []
            if !dryRun && source.mirrorOnly != true {
                let made = source.backedUp ? source.artifact.map { ($0 as NSString).lastPathComponent } : nil
                history.append(HistoryPoint(at: source.createdAt ?? finishedAt, sizeBytes: source.backedUp ? source.sizeBytes : nil,
                                            ok: source.succeeded, artifact: made, verified: made.map { _ in source.verified },
                                            drilled: made == nil ? nil : source.drill.map(\.ok)))
            }
            source.history = Array(history.suffix(Self.historyLimit))
            merged.sources[index] = source
        }
        merged.carryMembers(of: previous)
        return merged
    }

    /// A skipped `postgres_all:` source is one entry tonight (its databases are listed only when it runs): its
    /// members' entries of `previous` are carried over, marked skipped, so `status` still shows each database.
    private mutating func carryMembers(of previous: RunStatus?) {
        guard let previous else { return }
        for skipped in sources where skipped.skipped != nil && skipped.cluster == nil {
            for var member in previous.sources where member.cluster == skipped.name && source(named: member.name) == nil {
                member.skipped = skipped.skipped
                member.schedule = skipped.schedule
                member.staleAfterSeconds = skipped.staleAfterSeconds
                sources.append(member)
            }
        }
    }

    // MARK: File

    /// The status file of `backupDir`.
    public static func fileURL(backupDir: String) -> URL {
        URL(fileURLWithPath: backupDir).appendingPathComponent(fileName)
    }

    /// Reads a status file; nil when there is none yet.
    ///
    /// - Throws: `ArtifactError.failed` naming the file when it exists but cannot be read or parsed.
    public static func load(from url: URL) throws -> RunStatus? {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return nil
        } catch {
            throw ArtifactError.failed("cannot read the status file \(url.path): \(error.localizedDescription)")
        }
        do {
            return try decoder.decode(RunStatus.self, from: data)
        } catch {
            throw ArtifactError.failed("the status file \(url.path) is damaged or from an incompatible version: \(error)")
        }
    }

    /// The JSON text: pretty-printed, keys sorted, dates as UTC ISO 8601.
    public func encoded() throws -> Data {
        var data = try Self.encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Writes the status file atomically (a reader sees the old file or the new one, never a mix), mode 0600:
    /// it names hosts, users and errors that only the backup's owner should read.
    public func write(to url: URL) throws {
        try AtomicFile.replace(at: url, with: try encoded(), mode: 0o600)
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Manifest.timestamp(date))
        }
        return encoder
    }

    static var decoder: JSONDecoder { Manifest.stateFileDecoder() }
}

/// One source in the status file.
public struct SourceStatus: Codable, Sendable, Equatable {
    public var name: String
    public var kind: String
    /// What was backed up, credentials hidden.
    public var target: String
    /// True when a local artifact was written and verified tonight.
    public var backedUp: Bool
    /// True when every step (backup, verify, upload) worked.
    public var succeeded: Bool
    /// The artifact's file name.
    public var artifact: String?
    public var sizeBytes: Int64
    public var sha256: String?
    /// When the backup was taken (the manifest's `created_at`).
    public var createdAt: Date?
    public var durationSeconds: Double
    public var verified: Bool
    /// The checks that passed, or the problems found.
    public var verification: [String]
    /// The upload to OSS; nil when no `oss:` is configured.
    public var upload: UploadStatus?
    /// The folder mirror (`mirror:`); nil when the source has none.
    public var mirror: MirrorStatus?
    /// Why the source failed, already redacted.
    public var error: String?
    /// The trial restore of this run (`drill:`); nil when the source has none.
    public var drill: DrillStatus?
    /// The newest good backup, tonight's or an earlier run's.
    public var lastSuccess: LastSuccess?
    /// When the source's artifact last reached OSS (its `created_at`), tonight or earlier.
    public var lastUploadSuccess: Date?
    /// When the source's drill last succeeded, tonight or earlier.
    public var lastDrillSuccess: Date?
    /// One point per run, newest last.
    public var history: [HistoryPoint]
    /// Why this run left the source out (`not due today (weekly: sunday)`); the other facts are then those of its
    /// last run, carried over. Nil when it ran.
    public var skipped: String?
    /// True for a mirror-only source (`archive: false`): it has no artifacts, its mirror is its copy.
    public var mirrorOnly: Bool?
    /// The source's `schedule:` (`daily`, `weekly: sunday`, …).
    public var schedule: String?
    /// How old its newest good copy may be before it is stale (from the schedule).
    public var staleAfterSeconds: Double?
    /// When the source's mirror last fully succeeded, tonight or earlier.
    public var lastMirrorSuccess: Date?
    /// The `postgres_all:` source this entry is a member of (its globals or one database); nil for others.
    public var cluster: String?

    public init(name: String, kind: String, target: String, backedUp: Bool, succeeded: Bool, artifact: String?, sizeBytes: Int64,
                sha256: String?, createdAt: Date?, durationSeconds: Double, verified: Bool, verification: [String],
                upload: UploadStatus?, mirror: MirrorStatus? = nil, error: String?, lastSuccess: LastSuccess? = nil,
                history: [HistoryPoint] = [], drill: DrillStatus? = nil, skipped: String? = nil, mirrorOnly: Bool = false,
                schedule: String? = nil, staleAfterSeconds: Double? = nil, cluster: String? = nil) {
        self.cluster = cluster
        self.drill = drill
        self.skipped = skipped
        self.mirrorOnly = mirrorOnly ? true : nil
        self.schedule = schedule
        self.staleAfterSeconds = staleAfterSeconds
        self.name = name
        self.kind = kind
        self.target = target
        self.backedUp = backedUp
        self.succeeded = succeeded
        self.artifact = artifact
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.createdAt = createdAt
        self.durationSeconds = durationSeconds
        self.verified = verified
        self.verification = verification
        self.upload = upload
        self.mirror = mirror
        self.error = error
        self.lastSuccess = lastSuccess
        self.history = history
    }
}

/// Where an artifact went on OSS and how that went.
public struct UploadStatus: Codable, Sendable, Equatable {
    /// `oss://bucket/prefix/artifact`.
    public var location: String
    public var ok: Bool
    /// Bytes sent (artifact and manifest).
    public var bytes: Int64
    public var durationSeconds: Double
    public var error: String?

    public init(location: String, ok: Bool, bytes: Int64, durationSeconds: Double, error: String?) {
        self.location = location
        self.ok = ok
        self.bytes = bytes
        self.durationSeconds = durationSeconds
        self.error = error
    }
}

/// How a source's folder mirror (`mirror: oss://…`) went.
public struct MirrorStatus: Codable, Sendable, Equatable {
    /// `oss://bucket/prefix/`.
    public var location: String
    public var ok: Bool
    public var sent: Int
    public var skipped: Int
    /// Files that failed or could not be mirrored (symlinks, unreadable files).
    public var failed: Int
    public var bytes: Int64
    public var durationSeconds: Double
    /// The first problems, already redacted; nil when all went well.
    public var error: String?

    public init(location: String, ok: Bool, sent: Int, skipped: Int, failed: Int, bytes: Int64, durationSeconds: Double,
                error: String?) {
        self.location = location
        self.ok = ok
        self.sent = sent
        self.skipped = skipped
        self.failed = failed
        self.bytes = bytes
        self.durationSeconds = durationSeconds
        self.error = error
    }
}

/// The newest good backup of a source.
public struct LastSuccess: Codable, Sendable, Equatable {
    public var at: Date
    public var artifact: String
    public var sizeBytes: Int64
    public var verified: Bool
    public var uploaded: Bool

    public init(at: Date, artifact: String, sizeBytes: Int64, verified: Bool, uploaded: Bool) {
        self.at = at
        self.artifact = artifact
        self.sizeBytes = sizeBytes
        self.verified = verified
        self.uploaded = uploaded
    }
}

/// One run of one source, for the size trend.
public struct HistoryPoint: Codable, Sendable, Equatable {
    public var at: Date
    /// The artifact size; nil when the run made none.
    public var sizeBytes: Int64?
    public var ok: Bool
    /// The artifact's file name, when the run made one (nil in status files written before it was recorded).
    public var artifact: String?
    /// The run verified that artifact (`backups` shows it per artifact).
    public var verified: Bool?
    /// The run's drill restored that artifact successfully.
    public var drilled: Bool?

    public init(at: Date, sizeBytes: Int64?, ok: Bool, artifact: String? = nil, verified: Bool? = nil, drilled: Bool? = nil) {
        self.at = at
        self.sizeBytes = sizeBytes
        self.ok = ok
        self.artifact = artifact
        self.verified = verified
        self.drilled = drilled
    }
}

/// What prune decided for one location.
public struct PruneStatus: Codable, Sendable, Equatable {
    /// `local` for the backup folder, `oss` for the OSS prefix.
    public var store: String
    /// The folder or `oss://bucket/prefix/`.
    public var location: String
    public var ok: Bool
    /// The one-line summary (`Removed 2 artifacts …`), or the error.
    public var summary: String
    /// Names removed (or that a dry run would remove).
    public var removed: [String]
    /// Artifacts kept per source after the prune.
    public var kept: [String: Int]
    /// Every decision: artifact name → reason (`kept: within 30 days`).
    public var decisions: [String: String]

    public init(store: String, location: String, ok: Bool, summary: String, removed: [String] = [], kept: [String: Int] = [:],
                decisions: [String: String] = [:]) {
        self.store = store
        self.location = location
        self.ok = ok
        self.summary = summary
        self.removed = removed
        self.kept = kept
        self.decisions = decisions
    }
}
