import Archive
import Foundation
import SQLite
import Storage
import VaultopsCore

/// Which state of a replicated database to restore.
public enum ReplicaRestorePoint: Sendable, Equatable {
    /// The last commit shipped.
    case latest
    /// The last shipped commit the replicator had seen at or before this time.
    case time(Date)
    /// Exactly the state after transaction `txid` of `generation` (the newest restorable generation when nil).
    ///
    /// A txid numbers a generation's commits in WAL order, counting from the start of the WAL the generation began
    /// with: its snapshot and segment 0 together hold the first commits (those already in the WAL when it started),
    /// so its first restorable txid is segment 0's commit count (0 when the WAL was empty); each later commit adds
    /// one. A restore's `commitsApplied` is the txid it restored to.
    case transaction(Int, generation: String?)

    /// `--txid`'s value: `N` (the newest generation) or `GENERATION:N`; nil when it is neither.
    public static func transaction(parsing text: String) -> ReplicaRestorePoint? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard let number = parts.last.flatMap({ Int($0) }), number >= 0, parts.count <= 2 else { return nil }
        guard parts.count == 2 else { return .transaction(number, generation: nil) }
        let generation = String(parts[0])
        guard ReplicaLayout.generationStart(generation) != nil else { return nil }
        return .transaction(number, generation: generation)
    }
}

/// What `restoreReplica` built.
public struct ReplicaRestoreResult: Sendable, Equatable {
    public var generation: String
    public var segmentsApplied: Int
    /// The commits the restored state holds, counted as txids are: the txid restored to.
    public var commitsApplied: Int
    /// The commit time of the last segment applied: every commit in the file happened at or before it.
    public var restoredTo: Date
    /// The restored database, a standalone file in rollback-journal mode, checked with `PRAGMA integrity_check`.
    public var file: URL
}

/// Builds the database as it was at `point` from the replica of `source` on `backend` into the new file
/// `candidate`: the newest generation that holds the point, its snapshot, and its segments' frames up to the last
/// segment whose commit time is at or before the point (whole transactions only), or up to the commit frame of the
/// txid asked for (out of range: an error naming the generation's range), then `PRAGMA integrity_check`.
/// Installing the file over the live database is the caller's (SQLiteSnapshot's `installSnapshot`).
public func restoreReplica(source: String, from backend: any StorageBackend, to point: ReplicaRestorePoint,
                           into candidate: URL, workFolder: URL = FileManager.default.temporaryDirectory) throws -> ReplicaRestoreResult {
    let layout = ReplicaLayout(source: source)
    let generations = layout.generations(in: try backend.list(prefix: layout.root, recursive: true))
        .filter { $0.snapshot != nil && !$0.chain.isEmpty }
    guard !generations.isEmpty else {
        throw ReplicationError(.noRestorePoint, "no restorable replica of \(source) under \(backend.location)\(layout.root)")
    }
    if case .transaction(_, let name?) = point {
        guard let generation = generations.first(where: { $0.name == name }) else {
            throw ReplicationError(.noRestorePoint, "\(source) has no restorable generation \(name); it has "
                + generations.map(\.name).joined(separator: ", "))
        }
        let first = try loadSegment(generation.chain[0], generation: generation.name, index: 0, backend: backend)
        return try rebuild(generation, first: first, layout: layout, backend: backend, point: point, into: candidate,
                           workFolder: workFolder)
    }
    for generation in generations.reversed() {
        if case .time(let target) = point, generation.start > target { continue }
        let first = try loadSegment(generation.chain[0], generation: generation.name, index: 0, backend: backend)
        if case .time(let target) = point, first.header.commitTime > target { continue }
        return try rebuild(generation, first: first, layout: layout, backend: backend, point: point, into: candidate,
                           workFolder: workFolder)
    }
    let earliest = generations.first.map { " (the earliest generation starts at \($0.start))" } ?? ""
    throw ReplicationError(.noRestorePoint, "no generation of \(source) reaches back to the point asked for\(earliest)")
}

private func loadSegment(_ entry: StorageEntry, generation: String, index: UInt64, backend: any StorageBackend) throws -> Segment {
    let segment = try Segment.decode(try backend.load(entry.name, range: nil), name: entry.name)
    guard segment.header.generation == generation, segment.header.index == index else {
        throw ReplicationError(.segmentFormat, "\(entry.name): its header says generation \(segment.header.generation) "
            + "index \(segment.header.index)")
    }
    return segment
}

private func rebuild(_ generation: ReplicaGeneration, first: Segment, layout: ReplicaLayout, backend: any StorageBackend,
                     point: ReplicaRestorePoint, into candidate: URL, workFolder: URL) throws -> ReplicaRestoreResult {
    guard !FileManager.default.fileExists(atPath: candidate.path) else {
        throw ReplicationError(.io, "\(candidate.path) already exists; a restore never overwrites")
    }
    let packed = workFolder.appendingPathComponent("vaultops-replica-\(UUID().uuidString.prefix(8)).db.gz")
    defer { try? FileManager.default.removeItem(at: packed) }
    _ = try backend.load(layout.snapshotName(generation.name), to: packed, listed: generation.snapshot, progress: nil)
    try checkSnapshot(packed, named: layout.snapshotName(generation.name), on: backend)
    try ReplicaFiles.gunzip(packed, to: candidate)
    var result = ReplicaRestoreResult(generation: generation.name, segmentsApplied: 0, commitsApplied: 0,
                                      restoredTo: first.header.commitTime, file: candidate)
    do {
        let writer = try PageWriter(path: candidate.path)
        defer { writer.close() }
        var total = 0
        chain: for (offset, entry) in generation.chain.enumerated() {
            let segment = offset == 0 ? first
                : try loadSegment(entry, generation: generation.name, index: UInt64(offset), backend: backend)
            total += segment.header.commitCount
            // How many of the segment's commits to apply; nil: all of them.
            var commits: Int?
            switch point {
            case .latest:
                break
            case .time(let target):
                if segment.header.commitTime > target { break chain }
            case .transaction(let txid, _):
                // Segment 0 is whole: with the snapshot it is the generation's starting state. Past the txid (or when
                // it is before that state) the chain is only read on to name the generation's range.
                guard offset > 0 else { break }
                if txid >= first.header.commitCount, result.commitsApplied >= txid { break chain }
                commits = max(0, min(segment.header.commitCount, txid - result.commitsApplied))
                if txid < first.header.commitCount { commits = 0 }
            }
            if commits == 0 { continue }
            result.commitsApplied += try writer.apply(segment, commits: commits)
            result.segmentsApplied += 1
            result.restoredTo = segment.header.commitTime
        }
        if case .transaction(let txid, _) = point, txid != result.commitsApplied {
            throw ReplicationError(.noRestorePoint, "txid \(txid) is not in generation \(generation.name), which holds txids "
                + "\(first.header.commitCount)...\(total) (another generation: --txid GENERATION:N)")
        }
        try writer.sync()
        try finishAndCheck(candidate.path)
    } catch {
        try? FileManager.default.removeItem(at: candidate)
        throw error
    }
    return result
}

/// Refuses a snapshot that does not match its manifest (a replica written before snapshots had one is taken as is).
private func checkSnapshot(_ packed: URL, named snapshotName: String, on backend: any StorageBackend) throws {
    guard let manifest = try SnapshotManifest.load(for: snapshotName, on: backend) else { return }
    if let problem = try SnapshotManifest.mismatch(packed, of: snapshotName, manifest: manifest) {
        throw ReplicationError(.segmentFormat, problem)
    }
}

/// Leaves the file standalone (rollback-journal mode, as snapshots are) and runs `PRAGMA integrity_check`.
private func finishAndCheck(_ path: String) throws {
    let db = try Connection(path: path, options: [.readWrite])
    _ = try db.query("PRAGMA journal_mode=DELETE")
    let report = try db.query("PRAGMA integrity_check").compactMap { $0.values.first?.string }
    guard report == ["ok"] else {
        throw ReplicationError(.integrity, "\(path): integrity_check failed after replaying the replica: "
            + report.prefix(5).joined(separator: "; "))
    }
}

/// Writes WAL frames' pages into a database file as a checkpoint would, truncating it at each commit's size.
final class PageWriter {
    let handle: FileHandle
    let path: String
    let pageSize: Int

    init(path: String) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw ReplicationError(.io, "\(path): cannot open the restored snapshot for writing")
        }
        self.handle = handle
        self.path = path
        // The database header's page size (offset 16, big-endian; 1 means 65536).
        let head = try handle.read(upToCount: 18) ?? Data()
        guard head.count == 18 else { throw ReplicationError(.segmentFormat, "\(path): the snapshot is not a database") }
        let raw = Int(head[16]) << 8 | Int(head[17])
        pageSize = raw == 1 ? 65_536 : raw
    }

    /// Applies the segment's frames up to its `commits`-th commit (all of them when nil); returns the commits applied.
    @discardableResult
    func apply(_ segment: Segment, commits limit: Int? = nil) throws -> Int {
        guard segment.header.frameCount > 0 else { return 0 }
        guard segment.header.pageSize == pageSize else {
            throw ReplicationError(.segmentFormat, "segment \(segment.header.index) has \(segment.header.pageSize)-byte pages, "
                + "the snapshot \(pageSize)-byte ones")
        }
        var commits = 0
        try WALScanner.forEachFrame(in: segment.payload, pageSize: pageSize) { frame, page in
            if let limit, commits >= limit { return }
            try handle.seek(toOffset: UInt64(frame.pageNumber - 1) * UInt64(pageSize))
            try handle.write(contentsOf: page)
            if frame.isCommit {
                try handle.truncate(atOffset: UInt64(frame.databaseSizeAfterCommit) * UInt64(pageSize))
                commits += 1
            }
        }
        return commits
    }

    func sync() throws {
        try handle.synchronize()
    }

    func close() {
        try? handle.close()
    }
}
