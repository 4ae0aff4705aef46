import Foundation
import VaultopsCore

/// What prune needs from an artifact's manifest: when it was made, how big the artifact is, and its name.
public struct ManifestSummary: Sendable, Hashable {
    /// `created_at` (UTC): when the backup started.
    public var createdAt: Date?
    /// The artifact's byte size as recorded (`size_bytes`).
    public var byteSize: Int64?
    /// The artifact file name the manifest describes, when known.
    public var artifact: String?
    /// The artifact's SHA-256 (lowercase hex), when known.
    public var sha256: String?
    /// The artifact's CRC-64/ECMA-182 as OSS computes it, recorded by `run` when it uploads (`extra.crc64ecma`).
    public var crc64: UInt64?

    /// Creates a summary.
    public init(createdAt: Date?, byteSize: Int64?, artifact: String? = nil, sha256: String? = nil, crc64: UInt64? = nil) {
        self.createdAt = createdAt
        self.byteSize = byteSize
        self.artifact = artifact
        self.sha256 = sha256
        self.crc64 = crc64
    }

    /// The summary of a manifest.
    public init(_ manifest: Manifest) {
        self.init(createdAt: manifest.createdAt, byteSize: manifest.sizeBytes, artifact: manifest.artifact,
                  sha256: manifest.sha256, crc64: manifest.extra?[ManifestSummary.crc64Key].flatMap { UInt64($0) })
    }

    /// The `extra` key under which `run` records the artifact's CRC-64 in the manifest it uploads.
    public static let crc64Key = "crc64ecma"
}

/// Where an artifact's time was taken from.
public enum TimeOrigin: String, Sendable, Hashable, Codable {
    /// The manifest's `created_at`.
    case manifest
    /// The date (and time) in the file name, read in the host's time zone.
    case name
    /// The file's modification time or the object's Last-Modified.
    case objectTime = "object_time"
}

/// Everything a prune will do, and why, decided before anything is touched.
///
/// Pure: `make` only looks at the listing and the manifest summaries it is given.
public struct PrunePlan: Sendable {
    /// One artifact with its manifest and the policy's decision.
    public struct ArtifactEntry: Sendable, Hashable {
        /// The artifact file or object.
        public var object: StoredObject
        /// Its `.manifest.json` sidecar, when present.
        public var manifest: StoredObject?
        /// The policy's decision (source, time, verified, keep, reasons).
        public var decision: RetentionDecision
        /// Where the time in `decision.artifact.takenAt` came from.
        public var takenFrom: TimeOrigin
        /// The content check made for this prune; nil when only the size was compared (or no manifest).
        public var check: ContentCheck?

        /// A source's newest verified artifact whose content has not been checked yet: prune checks it
        /// before trusting it.
        public var needsContentCheck: Bool {
            check == nil && decision.reasons.contains { if case .newestVerified = $0 { true } else { false } }
        }

        /// `yes` (content checked now), `size` (only the size matches the manifest), `no`.
        public var verifiedLabel: String {
            if check?.matched == true { return "yes" }
            return decision.artifact.verified ? "size" : "no"
        }

        /// The objects removed with this artifact, artifact first: an artifact without its manifest would
        /// still look like a backup, a manifest without its artifact does not.
        public var objectsInRemovalOrder: [StoredObject] { [object] + (manifest.map { [$0] } ?? []) }
    }

    /// What kind of leftover an entry is.
    public enum LeftoverKind: String, Sendable, Hashable, Codable {
        /// A `.partial` file of an unfinished write.
        case partial
        /// A manifest whose artifact is gone (an interrupted prune, or a hand-deleted artifact).
        case orphanManifest = "orphan_manifest"
        /// An OSS multipart upload never completed.
        case multipartUpload = "multipart_upload"
    }

    /// Something that is not a backup but belongs to vaultops: removed once it is stale.
    public struct Leftover: Sendable, Hashable {
        /// The file, object or upload.
        public var object: StoredObject
        /// What kind of leftover it is.
        public var kind: LeftoverKind
        /// True to remove it (abort it, for an upload).
        public var remove: Bool
        /// The human reason, `kept: …` or `removed: …`.
        public var reason: String
    }

    /// How old a `.partial` file or a multipart upload must be before it counts as abandoned.
    public static let leftoverAge: TimeInterval = 24 * 60 * 60
    /// The most of a manifest prune reads; real ones are a few kilobytes.
    public static let manifestReadLimit = 1 << 20

    /// The policy applied.
    public var policy: RetentionPolicy
    /// The moment the plan was made for.
    public var now: Date
    /// The zone periods and name dates were read in.
    public var timeZone: TimeZone
    /// Every artifact, ordered by source, newest first, then name.
    public var artifacts: [ArtifactEntry]
    /// Partial files, orphan manifests and multipart uploads, ordered by name.
    public var leftovers: [Leftover]
    /// Names that are not vaultops artifacts, sorted; never touched.
    public var ignored: [String]
    /// Things a person should look at (future dates, size mismatches), in a stable order.
    public var warnings: [String]

    /// Every object to remove, in a safe order: each removed artifact before its manifest, then leftovers.
    public var removals: [StoredObject] {
        artifacts.filter { !$0.decision.keep }.flatMap(\.objectsInRemovalOrder)
            + leftovers.filter(\.remove).map(\.object)
    }

    /// The manifests `make` needs summaries of: those beside an artifact.
    public static func manifestsToRead(in objects: [StoredObject]) -> [StoredObject] {
        let classified = classify(objects)
        return classified.artifacts.keys.sorted().compactMap { classified.manifests[$0]?.object }
    }

    /// Plans a prune of `objects` under `policy` at `now`.
    ///
    /// - Parameters:
    ///   - manifests: summaries by manifest file name; a manifest that is missing here (unreadable or not
    ///     JSON) leaves its artifact unverified.
    ///   - readProblems: why a manifest could not be read, by manifest file name, for the warnings.
    ///   - contentChecks: content checks already made, by artifact name; an artifact whose check did not match
    ///     is not a good backup. One whose size matches and that has no check yet counts as good until checked.
    public static func make(objects: [StoredObject], manifests: [String: ManifestSummary],
                            policy: RetentionPolicy, now: Date, timeZone: TimeZone,
                            readProblems: [String: String] = [:],
                            contentChecks: [String: ContentCheck] = [:]) -> PrunePlan {
        let classified = classify(objects)
        // A SQLite file `mms.db` and a folder `mms` both default to the source name `mms`; their backups are
        // different things, so each kind is judged (and keeps its newest verified backup) on its own.
        var kindsBySource: [String: Set<ArtifactKind>] = [:]
        for entry in classified.artifacts.values { kindsBySource[entry.parsed.source, default: []].insert(entry.parsed.kind) }
        func sourceLabel(_ parsed: ParsedArtifact) -> String {
            kindsBySource[parsed.source, default: []].count > 1
                ? "\(parsed.source) (\(parsed.kind.fileExtension))" : parsed.source
        }
        var warnings: [String] = []
        var unjudged: [String] = []
        var inputs: [RetentionArtifact] = []
        var details: [String: (object: StoredObject, manifest: StoredObject?, origin: TimeOrigin)] = [:]

        for (name, entry) in classified.artifacts.sorted(by: { $0.key < $1.key }) {
            let manifestObject = classified.manifests[name]?.object
            let summary = manifestObject.flatMap { manifests[$0.name] }
            var verified = false
            if let manifestObject {
                if let described = summary?.artifact, described != name {
                    warnings.append("\(manifestObject.name): describes \(described), not \(name); not counted as a good backup")
                } else if let recorded = summary?.byteSize {
                    verified = recorded == entry.object.size
                    if !verified {
                        warnings.append("\(name): size \(entry.object.size) differs from the manifest's \(recorded); not counted as a good backup")
                    }
                    switch contentChecks[name] {
                    case let .differs(problem)?:
                        verified = false
                        warnings.append("\(name): \(problem); not counted as a good backup")
                    case let .unavailable(problem)?:
                        verified = false
                        warnings.append("\(name): content not checked (\(problem)); not counted as a good backup")
                    case .matches?, nil:
                        break
                    }
                } else {
                    let problem = summary == nil ? readProblems[manifestObject.name] ?? "not a readable manifest"
                                                 : "no byte size recorded"
                    warnings.append("\(manifestObject.name): \(problem); \(name) is not counted as a good backup")
                }
            }
            let takenAt: Date
            let origin: TimeOrigin
            if let created = summary?.createdAt {
                (takenAt, origin) = (created, .manifest)
            } else if let fromName = entry.parsed.stamp.date(in: timeZone) {
                (takenAt, origin) = (fromName, .name)
            } else if let modified = entry.object.modified {
                (takenAt, origin) = (modified, .objectTime)
            } else {
                // No time at all: it cannot be judged, so it is left alone like any stranger.
                unjudged.append(name)
                continue
            }
            details[name] = (entry.object, manifestObject, origin)
            inputs.append(RetentionArtifact(name: name, source: sourceLabel(entry.parsed), takenAt: takenAt, verified: verified))
        }

        let decisions = apply(policy: policy, artifacts: inputs, now: now, timeZone: timeZone)
        let periods = PeriodCalendar(timeZone: timeZone)
        var entries: [ArtifactEntry] = []
        for decision in decisions {
            guard let detail = details[decision.artifact.name] else { continue }
            entries.append(ArtifactEntry(object: detail.object, manifest: detail.manifest, decision: decision,
                                         takenFrom: detail.origin, check: contentChecks[decision.artifact.name]))
            if decision.reasons.contains(.inFuture) {
                warnings.append("\(decision.artifact.name): dated \(periods.timestamp(decision.artifact.takenAt)), after now; kept — check the clock of the host that made it")
            }
        }

        var leftovers: [Leftover] = []
        for (name, manifest) in classified.manifests where classified.artifacts[name] == nil {
            // A backup renames its manifest into place just before its artifact's `.partial`; while that
            // `.partial` is fresh the pair is a write in progress, not an orphan.
            let writing = classified.partials.contains { $0.name == name + ".partial" && !isStale($0, now: now) }
            leftovers.append(Leftover(object: manifest.object, kind: .orphanManifest, remove: !writing,
                                      reason: writing ? "kept: its artifact is still being written (a .partial less than a day old)"
                                                      : "removed: manifest without its artifact"))
        }
        for object in classified.partials {
            let stale = isStale(object, now: now)
            leftovers.append(Leftover(object: object, kind: .partial, remove: stale,
                                      reason: stale ? "removed: unfinished write older than a day"
                                                    : "kept: unfinished write less than a day old (may be in progress)"))
        }
        for object in classified.uploads {
            let stale = isStale(object, now: now)
            leftovers.append(Leftover(object: object, kind: .multipartUpload, remove: stale,
                                      reason: stale ? "removed: multipart upload started more than a day ago"
                                                    : "kept: multipart upload started less than a day ago (may be in progress)"))
        }
        leftovers.sort { ($0.object.name, $0.kind.rawValue) < ($1.object.name, $1.kind.rawValue) }

        return PrunePlan(policy: policy, now: now, timeZone: timeZone, artifacts: entries, leftovers: leftovers,
                         ignored: (classified.ignored + unjudged).sorted(), warnings: warnings)
    }

    /// The hidden working files vaultops writes beside a backup or a database and renames or removes when
    /// done, so that only a killed process leaves them: a SQLite backup's `.NAME.snapshot-XXXXXXXX.db.partial`,
    /// a SQLite restore's `.NAME.restore-XXXXXXXX.partial` and `.NAME.restore-PID-XXXXXXXX` (each possibly
    /// with SQLite's `-journal`, `-wal` or `-shm`), and the status file's `..vaultops-status.json.tmp-PID`.
    static func isOwnTemporary(_ name: String) -> Bool {
        ownTemporaryPatterns.contains { (try? $0.wholeMatch(in: name)) != nil }
    }

    // Built once: nonisolated(unsafe) because Regex is not Sendable, and these are only ever read.
    nonisolated(unsafe) private static let ownTemporaryPatterns: [Regex<AnyRegexOutput>] = [
        #"\..+\.snapshot-[0-9A-Fa-f]{8}\.db\.partial(-journal|-wal|-shm)?"#,
        #"\..+\.restore-[0-9A-Fa-f]{8}\.partial(-journal|-wal|-shm)?"#,
        #"\..+\.restore-[0-9]+-[0-9A-Fa-f]{8}(-journal|-wal|-shm)?"#,
        #"\.\.vaultops-status\.json\.tmp-[0-9]+"#,
    ].map { try! Regex($0) }

    private static func isStale(_ object: StoredObject, now: Date) -> Bool {
        // No time known: keep it, it may be a write in progress.
        guard let modified = object.modified else { return false }
        return now.timeIntervalSince(modified) > leftoverAge
    }

    private struct Classified {
        var artifacts: [String: (object: StoredObject, parsed: ParsedArtifact)] = [:]
        var manifests: [String: (object: StoredObject, parsed: ParsedArtifact)] = [:]
        var partials: [StoredObject] = []
        var uploads: [StoredObject] = []
        var ignored: [String] = []
    }

    private static func classify(_ objects: [StoredObject]) -> Classified {
        var result = Classified()
        for object in objects {
            if object.kind == .file, isOwnTemporary(object.name) {
                result.partials.append(object)
                continue
            }
            // Only names vaultops writes, spelled exactly as it writes them, are ever touched.
            guard object.kind != .other, let parsed = ArtifactName.parse(object.name), parsed.fileName == object.name else {
                result.ignored.append(object.name)
                continue
            }
            if case .multipartUpload = object.kind {
                result.uploads.append(object)
            } else if parsed.isPartial {
                result.partials.append(object)
            } else if parsed.isManifest {
                result.manifests[parsed.artifactFileName] = (object, parsed)
            } else {
                result.artifacts[object.name] = (object, parsed)
            }
        }
        return result
    }
}
