import Archive
import Foundation
import Storage
import VaultopsCore

/// What `verifyReplica` found in one generation.
public struct ReplicaGenerationCheck: Sendable, Equatable {
    public var generation: String
    public var hasSnapshot: Bool
    /// Segments in the chain (index 0 up to the first gap) that decoded and matched their hash.
    public var segments: Int
    /// The first missing index when later segments exist; nil when the chain is whole.
    public var gap: UInt64?
    /// Each damaged segment: its name and what is wrong.
    public var problems: [String]
    /// The commit times the chain covers; nil when it has no segment.
    public var range: ClosedRange<Date>?
    /// The txids (`restore --txid`) the chain can restore to; nil when it has no segment.
    public var txids: ClosedRange<Int>?

    /// Whether a restore can use the generation fully.
    public var isHealthy: Bool { hasSnapshot && gap == nil && problems.isEmpty && segments > 0 }
}

/// Checks every generation of `source`'s replica: its snapshot is there and matches its manifest's size and SHA-256
/// (downloaded into `workFolder` and removed again), its segment chain has no gap, every segment decodes (gzip,
/// format, SHA-256 of its frames) and belongs to its generation and index, and commit times never go back.
public func verifyReplica(source: String, on backend: any StorageBackend,
                          workFolder: URL = FileManager.default.temporaryDirectory) throws -> [ReplicaGenerationCheck] {
    let layout = ReplicaLayout(source: source)
    return layout.generations(in: try backend.list(prefix: layout.root, recursive: true)).map { generation in
        var check = ReplicaGenerationCheck(generation: generation.name, hasSnapshot: generation.snapshot != nil, segments: 0,
                                           gap: generation.firstGap, problems: [], range: nil)
        var previous: Date?
        var first: Date?
        for (index, entry) in generation.chain.enumerated() {
            do {
                let header = try Segment.decode(try backend.load(entry.name, range: nil), name: entry.name).header
                guard header.generation == generation.name, header.index == UInt64(index) else {
                    check.problems.append("\(entry.name): its header says generation \(header.generation) index \(header.index)")
                    continue
                }
                if let previous, header.commitTime < previous {
                    check.problems.append("\(entry.name): its commit time is earlier than the segment before")
                }
                previous = header.commitTime
                first = first ?? header.commitTime
                // Segment 0 brings the WAL the generation began with: its commits are the first restorable txid.
                let lower = check.txids?.lowerBound ?? header.commitCount
                check.txids = lower...((check.txids?.upperBound ?? 0) + header.commitCount)
                check.segments += 1
            } catch {
                check.problems.append("\(error)")
            }
        }
        if let first, let previous { check.range = first...previous }
        if let gap = check.gap { check.problems.append("segment \(ReplicaLayout.hex16(gap)) is missing; later ones are not restorable") }
        if let snapshot = generation.snapshot {
            if let problem = snapshotProblem(snapshot, on: backend, workFolder: workFolder) { check.problems.append(problem) }
        } else {
            check.problems.append("\(layout.snapshotName(generation.name)) is missing")
        }
        return check
    }
}

/// What is wrong with a generation's snapshot against its manifest; nil when its size and SHA-256 match.
private func snapshotProblem(_ snapshot: StorageEntry, on backend: any StorageBackend, workFolder: URL) -> String? {
    let manifestName = snapshot.name + Manifest.sidecarSuffix
    let manifest: Manifest
    do {
        guard let found = try SnapshotManifest.load(for: snapshot.name, on: backend) else {
            return "\(snapshot.name) has no manifest (\(manifestName)): its content cannot be checked"
        }
        manifest = found
    } catch {
        return "\(manifestName): \(error)"
    }
    // From the listing first: a wrong size needs no download.
    guard snapshot.size == manifest.sizeBytes else {
        return "\(snapshot.name): \(snapshot.size) bytes, its manifest records \(manifest.sizeBytes)"
    }
    let copy = workFolder.appendingPathComponent(".vaultops-verify-\(UUID().uuidString.prefix(8)).db.gz")
    defer { try? FileManager.default.removeItem(at: copy) }
    do {
        _ = try backend.load(snapshot.name, to: copy, listed: snapshot, progress: nil)
        return try SnapshotManifest.mismatch(copy, of: snapshot.name, manifest: manifest)
    } catch {
        return "\(snapshot.name): \(error)"
    }
}

/// Which generations a prune with `keep` removes: those that a newer generation replaced before `now - keep`
/// (every point they hold is older than the window), never the newest generation.
public func replicaGenerationsToPrune(_ generations: [ReplicaGeneration], keep: TimeInterval, now: Date) -> [ReplicaGeneration] {
    let sorted = generations.sorted { $0.name < $1.name }
    let cutoff = now.addingTimeInterval(-keep)
    // The newest generation that holds a snapshot and started at or before the cutoff still covers the cutoff.
    let anchor = sorted.lastIndex { $0.snapshot != nil && $0.start <= cutoff }
    guard let anchor else { return [] }
    return Array(sorted[..<anchor])
}

/// Removes `source`'s generations past `keep` (see `replicaGenerationsToPrune`), and manifests left without their
/// generation by an interrupted prune or a replicator stopped between a snapshot's manifest and the snapshot;
/// returns the names of the generations removed.
public func pruneReplica(source: String, on backend: any StorageBackend, keep: TimeInterval, now: Date = Date(),
                         dryRun: Bool = false) throws -> [String] {
    let layout = ReplicaLayout(source: source)
    let entries = try backend.list(prefix: layout.root, recursive: true)
    let generations = layout.generations(in: entries)
    let doomed = replicaGenerationsToPrune(generations, keep: keep, now: now).map(\.name)
    let orphans = orphanedSnapshotManifests(entries.map(\.name), layout: layout, generations: generations.map(\.name))
    if !dryRun {
        for generation in doomed {
            // In the reverse of the order they were written (segments newest first, the snapshot, its manifest), so
            // that a prune stopped anywhere leaves what a replicator stopped while writing the generation would: a
            // restorable prefix that verify accepts, and that the next prune finishes.
            let prefix = layout.generationPrefix(generation)
            let snapshot = layout.snapshotName(generation)
            let manifest = snapshot + Manifest.sidecarSuffix
            try backend.remove(entries.map(\.name).filter { $0.hasPrefix(prefix) && $0 != snapshot && $0 != manifest }.sorted(by: >))
            try backend.remove(snapshot)
            try backend.remove(manifest)
        }
        try backend.remove(orphans.map(\.manifest))
    }
    return doomed + orphans.map(\.generation)
}

/// Snapshot manifests whose generation has no snapshot and no segment, older than a generation that has: written
/// last by nothing, so they are leftovers (a generation being started now is the newest one).
func orphanedSnapshotManifests(_ names: [String], layout: ReplicaLayout, generations: [String]) -> [(generation: String, manifest: String)] {
    guard let newest = generations.max() else { return [] }
    let listed = Set(generations)
    return names.compactMap { name in
        guard let (generation, _) = layout.place(of: name),
              ReplicaLayout.generationStart(generation) != nil, !listed.contains(generation), generation < newest,
              name == layout.snapshotName(generation) + Manifest.sidecarSuffix else { return nil }
        return (generation, name)
    }.sorted { $0.generation < $1.generation }
}

/// What `backups SOURCE` shows of one generation: when it started and which commit times it can restore.
public struct ReplicaRange: Sendable, Equatable {
    public var generation: String
    public var start: Date
    /// The commit time of the first and the last segment of the chain; nil when it has none (or they are unreadable).
    public var firstCommit: Date?
    public var lastCommit: Date?
    /// Segments in the chain (index 0 up to the first gap).
    public var segments: Int
    /// Whether a restore can use it: a snapshot and at least segment 0.
    public var restorable: Bool
    /// The stored size: the snapshot and every segment listed.
    public var bytes: Int64
}

/// Every generation of `source`'s replica, oldest first, with its restorable range.
///
/// Reads only the first and the last segment of each chain (their headers carry the commit times); `verifyReplica`
/// reads them all.
public func replicaRanges(source: String, on backend: any StorageBackend) throws -> [ReplicaRange] {
    let layout = ReplicaLayout(source: source)
    return try layout.generations(in: try backend.list(prefix: layout.root, recursive: true)).map { generation in
        let chain = generation.chain
        func commitTime(_ entry: StorageEntry?) throws -> Date? {
            guard let entry else { return nil }
            return try Segment.decode(try backend.load(entry.name, range: nil), name: entry.name).header.commitTime
        }
        let bytes = (generation.snapshot?.size ?? 0) + generation.listedSegments.values.reduce(0) { $0 + $1.size }
        let first = try commitTime(chain.first)
        let last = chain.count > 1 ? try commitTime(chain.last) : first
        return ReplicaRange(generation: generation.name, start: generation.start, firstCommit: first, lastCommit: last,
                            segments: chain.count, restorable: generation.snapshot != nil && !chain.isEmpty, bytes: bytes)
    }
}

extension ReplicaGenerationCheck {
    /// What was checked, for an `ok` line: `snapshot, 42 segments, commits 2026-…Z .. 2026-…Z`.
    public var summary: String {
        let formatter = ISO8601DateFormatter()
        var text = "snapshot, \(segments) segment\(segments == 1 ? "" : "s") (gzip, format, SHA-256, chain order)"
        if let range { text += ", commits \(formatter.string(from: range.lowerBound)) .. \(formatter.string(from: range.upperBound))" }
        if let txids { text += ", txids \(txids.lowerBound)...\(txids.upperBound)" }
        return text
    }

    /// The newest generation while its replicator is starting it: a snapshot and no segment yet (segment 0 follows).
    public var isStarting: Bool { hasSnapshot && segments == 0 && gap == nil && problems.isEmpty }
}
