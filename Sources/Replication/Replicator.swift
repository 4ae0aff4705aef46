import Archive
import Foundation
import SQLite
import Storage
import VaultopsCore

/// How often a source is replicated and how long its replica is kept.
public struct ReplicationSettings: Sendable, Equatable {
    /// The longest time between a commit and the pass that ships it.
    public var interval: TimeInterval
    /// How old a generation may get before a new one starts with a fresh snapshot.
    public var snapshotEvery: TimeInterval
    /// How long generations are kept (prune's business).
    public var keep: TimeInterval

    /// The WAL size above which the replicator lets SQLite start the WAL over (its read transaction prevents that
    /// otherwise, and the file would grow without end).
    public var restartWALAbove: Int64

    /// How long a stop waits for the segments still queued for upload (the systemd unit allows 60 s in all).
    public var drainTimeout: TimeInterval

    public init(interval: TimeInterval = 1, snapshotEvery: TimeInterval = 86_400, keep: TimeInterval = 7 * 86_400,
                restartWALAbove: Int64 = 4 << 20, drainTimeout: TimeInterval = 30) {
        self.interval = interval
        self.snapshotEvery = snapshotEvery
        self.keep = keep
        self.restartWALAbove = restartWALAbove
        self.drainTimeout = drainTimeout
    }
}

/// Ships a WAL-mode SQLite database to a destination: a snapshot per generation, then its committed WAL frames.
///
/// Like Litestream, it holds a read transaction at all times so that SQLite cannot restart the WAL over frames
/// not shipped yet: each pass opens a read transaction on its second connection before ending the first's, reads
/// the WAL from where the last pass stopped, ships whole transactions as the next segment, then releases the older
/// transaction and runs a PASSIVE checkpoint (which cannot copy past the newer one). A WAL restart (new salts,
/// checkpoint sequence + 1) continues the generation from the new WAL's start; anything else unexpected (the file
/// replaced, the WAL restarted twice, a commit that shrinks the database such as VACUUM, `snapshotEvery` reached)
/// starts a new generation.
///
/// Under `run`, segments go to a `SegmentUploader` (one thread, strictly in order, retried until stored), so that
/// passes keep their interval while uploads fail; a new generation's snapshot is queued after the old one's segments.
/// The queue is mirrored in an `UploadSpool` on disk: a replicator killed while uploads lag leaves what it had read
/// there, and the next one stores it before its own new generation.
/// A `pass()` called on its own uploads its segment before it returns.
/// - Important: synchronous and not thread-safe: run it on one dedicated thread (it blocks in SQLite and I/O).
public final class Replicator {
    public let database: URL
    public let layout: ReplicaLayout
    public let settings: ReplicationSettings
    let backend: any StorageBackend
    let workFolder: URL
    let now: () -> Date
    let log: (String) -> Void

    private var connections: [Connection] = []
    private var pinned: Int?
    private var fileIdentity: [Int] = []
    private var state: GenerationState?
    private var lastGenerationStart = Date.distantPast
    /// Set while `run` runs: segments are queued to it instead of uploaded by the pass.
    private var uploader: SegmentUploader?
    /// Set while `run` runs: the queue's copy on disk, for the next replicator should this one be killed.
    private var spool: UploadSpool?
    private var stopRequested: () -> Bool = { false }
    private var shippedDirectly: Date?

    /// Where the current generation stands.
    struct GenerationState {
        var name: String
        var started: Date
        var nextIndex: UInt64
        /// Nil until a WAL with a valid header has been seen.
        var wal: WALPosition?
        var databaseSize: UInt32
    }

    struct WALPosition {
        var header: WALHeader
        var offset: Int64
        var checksum: WALChecksum
    }

    /// The current generation's name; nil before the first pass.
    public var generation: String? { state?.name }
    /// The commit time of the last segment stored at the destination (not merely queued): every commit up to it
    /// is restorable. The monitor's lag counts from it.
    public var lastShipped: Date? {
        [shippedDirectly, uploader?.lastUploaded].compactMap { $0 }.max()
    }
    /// Generations started by this replicator, oldest first.
    public private(set) var startedGenerations: [String] = []

    /// A replicator of `database` to `backend` under `replica/<source>/`; nothing is opened until `pass()`.
    public init(database: URL, source: String, backend: any StorageBackend, settings: ReplicationSettings = .init(),
                workFolder: URL = FileManager.default.temporaryDirectory, now: @escaping () -> Date = Date.init,
                log: @escaping (String) -> Void = { _ in }) {
        self.database = database
        self.layout = ReplicaLayout(source: source)
        self.settings = settings
        self.backend = backend
        self.workFolder = workFolder
        self.now = now
        self.log = log
    }

    var walPath: String { database.path + "-wal" }
    /// Whose queued items this replicator's spool holds and which dead replicators' it adopts.
    var spoolOwner: String { UploadSpool.owner(source: layout.source, database: database, destination: backend.location) }

    /// Runs passes that start `interval` apart (at once after one that took longer) until `stopRequested` says so,
    /// then one last pass that ships what is committed, and waits up to `drainTimeout` for the upload queue to
    /// empty. Uploads run on their own thread (see `SegmentUploader`), so an upload outage delays the segments but
    /// not the passes. A failed pass is logged and retried at the next one. Only a first open that fails is fatal
    /// (the database is missing or not in WAL mode); once replication ran, the same (a file replaced by one the app
    /// has not switched to WAL yet) is logged and waited out, since stopping would stop every other source's
    /// replication too.
    public func run(stopRequested: @escaping () -> Bool) throws {
        try openIfNeeded()
        let uploader = SegmentUploader(backend: SegmentUploader.uploadBackend(for: backend), log: log)
        self.uploader = uploader
        self.stopRequested = stopRequested
        defer { endUploads(uploader) }
        // A replicator killed before its queue emptied left the segments it had read: they go first, so that its
        // generation's chain reaches its last pass and restores before the kill are as close as any.
        for item in UploadSpool.leftovers(in: workFolder, owner: spoolOwner, log: log) { uploader.enqueue(item, stopping: { true }) }
        do {
            spool = try UploadSpool(workFolder: workFolder, owner: spoolOwner)
        } catch {
            log("replicate \(database.path): no upload spool in \(workFolder.path) (\(error)); a kill loses the queued segments")
        }
        repeat {
            let started = Date()
            do {
                try pass()
            } catch let error as ReplicationError where error.kind == .notWAL && startedGenerations.isEmpty {
                throw error
            } catch {
                log("replicate \(database.path): \(error); retrying at the next pass")
            }
            // From the pass's start, so that a commit waits at most one interval (plus the pass) to be read.
            let deadline = started.addingTimeInterval(settings.interval)
            while !stopRequested(), Date() < deadline { Thread.sleep(forTimeInterval: min(0.05, settings.interval)) }
        } while !stopRequested()
        try pass()
        close()
    }

    /// One pass: starts a generation when there is none (or the database was replaced), else ships new commits.
    public func pass() throws {
        try openIfNeeded()
        if state != nil, ReplicaFiles.identity(database.path) != fileIdentity {
            log("replicate \(database.path): the database file was replaced; starting a new generation")
            reopen()
            // Before opening: a replacement not in WAL mode yet fails the open, and later passes must start afresh.
            state = nil
            try openIfNeeded()
        }
        guard state != nil else { return try startGeneration() }
        var reason = try shipNewCommits()
        if reason == nil { reason = try letTheWALRestartIfLarge() }
        if reason == nil, let state, now().timeIntervalSince(state.started) >= settings.snapshotEvery {
            return try startGeneration()
        }
        if let reason {
            log("replicate \(database.path): \(reason); starting a new generation")
            try startGeneration()
        }
    }

    /// Ends the read transaction and closes the connections.
    public func close() {
        reopen()
    }

    /// Waits (bounded) for the queued segments, then stops the upload thread and uploads directly again. Segments
    /// still queued stay in the spools (this one's and those adopted from dead replicators) for the next start.
    private func endUploads(_ uploader: SegmentUploader) {
        let left = uploader.finish(within: settings.drainTimeout, keeping: UploadSpool.folders(in: workFolder))
        if left > 0 {
            let kept = spool.map { $0.broken ? "those written to \($0.folder.path) before it failed are" : "they are kept in \($0.folder.path)" }
            log("replicate \(database.path): stopping with \(left) segment(s) not uploaded after \(Int(settings.drainTimeout)) s; "
                + (kept.map { "\($0) and the next start of the replicator uploads them first" }
                   ?? "the replica ends before them (a restarted replicator starts a new generation)"))
        }
        shippedDirectly = lastShipped
        self.uploader = nil
        spool?.remove(keepingItems: left > 0)
        spool = nil
        // The spools whose items this replicator adopted and stored.
        UploadSpool.removeEmpty(in: workFolder, owner: spoolOwner)
        stopRequested = { false }
    }

    // MARK: - Connections and the read transaction

    private func openIfNeeded() throws {
        guard connections.isEmpty else { return }
        // Checked here, while no connection holds a lock that closing the check's descriptor could drop.
        guard Connection.isSQLiteDatabase(path: database.path) else {
            throw ReplicationError(.notWAL, "\(database.path): cannot be replicated: no such file, or not a SQLite database")
        }
        var opened: [Connection] = []
        for _ in 0..<2 {
            let db: Connection
            do {
                // A file: URI, so that Connection does not read the header through a descriptor of its own: closing
                // any descriptor of the file drops every POSIX lock this process holds on it (SQLite's SHARED lock
                // included), and another process closing its last connection would then delete the WAL under us.
                db = try Connection(path: Self.fileURI(database.path), options: [.readWrite, .uri])
            } catch {
                throw ReplicationError(.notWAL, "\(database.path): cannot be replicated: \(error)")
            }
            try db.setBusyTimeout(milliseconds: 5_000)
            let mode = try db.scalar("PRAGMA journal_mode")?.string ?? "?"
            guard mode.lowercased() == "wal" else {
                throw ReplicationError(.notWAL, "\(database.path): the database is in \(mode) journal mode; replication needs WAL "
                    + "(the application sets it with PRAGMA journal_mode=WAL)")
            }
            // Checkpoints are this replicator's own, after each pass; never one in the middle of its reads.
            try db.execute("PRAGMA wal_autocheckpoint=0")
            // These connections read each page once (the snapshot's backup) or hardly at all (the pin): SQLite's
            // default 2 MB page cache each would only hold memory.
            try db.execute("PRAGMA cache_size=-256")
            opened.append(db)
        }
        connections = opened
        fileIdentity = ReplicaFiles.identity(database.path)
    }

    static func fileURI(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path)
    }

    private func reopen() {
        for db in connections where !db.isAutocommit { try? db.execute("ROLLBACK") }
        connections = []
        pinned = nil
    }

    /// Starts a read transaction on connection `index` (reading a page so that it takes its WAL snapshot now).
    private func pin(_ index: Int) throws {
        let db = connections[index]
        if !db.isAutocommit { try db.execute("COMMIT") }
        try db.execute("BEGIN DEFERRED")
        _ = try db.scalar("SELECT count(*) FROM sqlite_master")
    }

    private func unpin(_ index: Int) {
        let db = connections[index]
        if !db.isAutocommit { try? db.execute("COMMIT") }
    }

    private func checkpoint(on index: Int) {
        // PASSIVE never waits and never blocks the application; it copies no frame past the pinned snapshot.
        _ = try? connections[index].query("PRAGMA wal_checkpoint(PASSIVE)")
    }
}

extension Replicator {
    /// Takes a page-exact snapshot under a fresh read transaction and ships it with the WAL's committed frames as
    /// segment 0. Retries when the WAL restarts while it is being read.
    func startGeneration() throws {
        let next = pinned.map { 1 - $0 } ?? 0
        try pin(next)
        if let old = pinned { unpin(old) }
        pinned = next
        // Never at or before the last generation's start, so that the newest generation sorts last.
        let started = max(now(), lastGenerationStart.addingTimeInterval(0.001))
        lastGenerationStart = started
        let name = ReplicaLayout.generationName(startedAt: started)
        removeStaleWorkFolders()
        let folder = workFolder.appendingPathComponent("vaultops-replicate-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A queued snapshot keeps its folder until the upload thread has stored it.
        var queued = false
        defer { if !queued { try? FileManager.default.removeItem(at: folder) } }
        let copy = folder.appendingPathComponent("snapshot.db")
        do {
            let destination = try Connection(path: copy.path, options: [.readWrite, .create])
            try connections[next].backup(into: destination)
        }
        // Frames from the WAL's start replayed onto the copy give the state at their last commit (each page ends
        // with its newest image, and the copy already holds everything older): segment 0.
        var wal = try WALFile(path: walPath)
        var frames = try wal?.allCommittedFrames()
        if let read = wal, try !read.headerUnchanged() {
            // The WAL restarted while it was read: read it again (all it held is in the copy now).
            wal = try WALFile(path: walPath)
            frames = try wal?.allCommittedFrames()
        }
        let header = wal?.header
        let seen = now()
        let databaseSize = UInt32(try connections[next].scalar("PRAGMA page_count")?.int64 ?? 0)
        let packed = folder.appendingPathComponent("snapshot.db.gz")
        try ReplicaFiles.gzip(copy, to: packed)
        let manifest = try ReplicaFiles.snapshotManifest(database: database, copy: copy, packed: packed, generation: name,
                                                         started: started, duration: now().timeIntervalSince(started))
        // The manifest first, as for nightly artifacts: a snapshot is never listed without it. Queued after the old
        // generation's segments (its chain stays whole up to where it ends), so that passes go on while it uploads.
        let manifestItem = SegmentUploader.Item(name: layout.snapshotName(name) + Manifest.sidecarSuffix,
                                                body: .data(try manifest.encoded(), contentType: "application/json"))
        let snapshotItem = SegmentUploader.Item(name: layout.snapshotName(name), body: .file(packed), removeAfter: folder)
        if let uploader {
            try? FileManager.default.removeItem(at: copy)
            queued = true
            uploader.enqueue(spooled(manifestItem), stopping: stopRequested)
            uploader.enqueue(spooled(snapshotItem), stopping: stopRequested)
        } else {
            try SegmentUploader.store(manifestItem, on: backend)
            try SegmentUploader.store(snapshotItem, on: backend)
        }
        var newState = GenerationState(name: name, started: started, nextIndex: 0, wal: nil, databaseSize: databaseSize)
        try ship(frames, header: header, startOffset: Int64(WALHeader.size), seen: seen, into: &newState, always: true)
        state = newState
        startedGenerations.append(name)
        checkpoint(on: 1 - next)
        log("replicate \(database.path): generation \(name) started (\(frames?.commitCount ?? 0) commits in the WAL)")
        // `keep` applies at each new generation (daily by default): older generations only go once one has replaced
        // them before the window; a failure to prune never stops replication.
        do {
            let removed = try pruneReplica(source: layout.source, on: backend, keep: settings.keep, now: now())
            if !removed.isEmpty { log("replicate \(database.path): pruned generations \(removed.joined(separator: ", "))") }
        } catch {
            log("replicate \(database.path): pruning old generations failed: \(error)")
        }
    }

    /// `item` written to the spool first when there is one (as the uploader should queue it), else as it is.
    private func spooled(_ item: SegmentUploader.Item) -> SegmentUploader.Item {
        guard var spool else { return item }
        defer { self.spool = spool }
        do {
            return try spool.add(item)
        } catch {
            // Said once: `self.spool` is still the value from before this call.
            if self.spool?.broken == true { return item }
            log("replicate \(database.path): could not spool \(item.name) (\(error)); it and the segments after it are "
                + "queued in memory only (a kill loses them)")
            return item
        }
    }

    /// Removes the work folders (`vaultops-replicate-<pid>-<8 hex>`) of replicators that are gone: one killed while
    /// it started a generation leaves a full copy of the database in its folder.
    func removeStaleWorkFolders() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: workFolder.path) else { return }
        for name in names where name.hasPrefix("vaultops-replicate-") {
            let parts = name.split(separator: "-")
            // kill(pid, 0) fails with ESRCH only when no such process exists (EPERM: it runs as another user).
            guard parts.count == 4, parts[3].count == 8, let pid = Int32(parts[2]), pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: workFolder.appendingPathComponent(name))
        }
    }

    /// Ships the commits since the last pass; returns why a new generation must start instead, if it must.
    func shipNewCommits() throws -> String? {
        guard var current = state, let old = pinned else { return "no read transaction is held" }
        let next = 1 - old
        try pin(next)
        let found: (header: WALHeader, frames: WALCommittedFrames)?
        switch try readNewFrames(after: current.wal) {
        case .restartNeeded(let reason):
            unpin(next)
            return reason
        case .noWAL:
            found = nil
        case .frames(let header, let frames):
            found = (header, frames)
        }
        let before = current.databaseSize
        do {
            try ship(found?.frames, header: found?.header, startOffset: found?.frames.startOffset ?? 0, seen: now(),
                     into: &current, always: false)
        } catch {
            // Keep the older read transaction: nothing past what is shipped may be checkpointed and restarted over.
            unpin(next)
            throw error
        }
        state = current
        unpin(old)
        pinned = next
        checkpoint(on: old)
        if let sizes = found?.frames.commitSizes, zip([before] + sizes, sizes).contains(where: { $1 < $0 }) {
            return "a commit made the database smaller (VACUUM)"
        }
        return nil
    }

    enum WALRead {
        case noWAL
        case frames(WALHeader, WALCommittedFrames)
        case restartNeeded(String)
    }

    /// The committed frames after `position`: in the same WAL, or from the start of a WAL restarted once since.
    private func readNewFrames(after position: WALPosition?) throws -> WALRead {
        // No WAL (or a truncated one): nothing new; the next header must follow the one shipped.
        guard let wal = try WALFile(path: walPath) else { return .noWAL }
        let header = wal.header
        if let position, header == position.header {
            guard wal.size >= position.offset else { return .restartNeeded("the WAL is shorter than what was shipped from it") }
            return .frames(header, try wal.committedFrames(from: position.offset, checksum: position.checksum))
        }
        if let position, header.checkpointSequence != position.header.checkpointSequence &+ 1 {
            return .restartNeeded("the WAL was restarted more than once since the last pass")
        }
        let frames = try wal.allCommittedFrames()
        guard try wal.headerUnchanged() else { return .restartNeeded("the WAL changed while it was read") }
        return .frames(header, frames)
    }

    /// Queues (under `run`) or uploads `frames` as the next segment (when there are commits, or `always`) and moves
    /// `state` past them.
    private func ship(_ frames: WALCommittedFrames?, header: WALHeader?, startOffset: Int64, seen: Date,
                      into state: inout GenerationState, always: Bool) throws {
        let found = frames ?? WALCommittedFrames(startOffset: startOffset, checksum: WALChecksum())
        if found.commitCount > 0 || always {
            let segmentHeader = SegmentHeader(
                generation: state.name, index: state.nextIndex, salt1: header?.salt1 ?? 0, salt2: header?.salt2 ?? 0,
                checkpointSequence: header?.checkpointSequence ?? 0, startOffset: startOffset,
                pageSize: header?.pageSize ?? 0, frameCount: found.frameCount, commitCount: found.commitCount,
                commitTime: seen, payloadSHA256: sha256Hex(of: found.payload))
            let stored = try Segment(header: segmentHeader, payload: found.payload).encoded()
            let name = layout.segmentName(state.name, index: state.nextIndex)
            let item = SegmentUploader.Item(name: name, body: .data(stored, contentType: "application/gzip"), commitTime: seen)
            if let uploader {
                uploader.enqueue(spooled(item), stopping: stopRequested)
            } else {
                try SegmentUploader.store(item, on: backend)
                shippedDirectly = seen
            }
            state.nextIndex += 1
        }
        if let header {
            // With no commit, endChecksum is the seed the scan started from: the old position's or the new header's.
            state.wal = WALPosition(header: header, offset: found.endOffset, checksum: found.endChecksum)
        }
        if let size = found.lastDatabaseSize { state.databaseSize = size }
    }

    /// When the current WAL holds more than `restartWALAbove` (where the last pass stopped in it; not the file's size,
    /// which SQLite never shrinks after a restart, so it would decide every pass once reached): blocks writers for a moment (BEGIN IMMEDIATE, no change),
    /// reads the last commits, releases both read transactions, checkpoints PASSIVE, and pins again after the
    /// writers resume, so that the app's next write can start the WAL over with nothing unread in it. Returns why a
    /// new generation must start, if it must (the last commits could not be uploaded after the window).
    func letTheWALRestartIfLarge() throws -> String? {
        guard var current = state, let held = pinned, let position = current.wal,
              position.offset > settings.restartWALAbove else { return nil }
        let writer = connections[1 - held]
        try writer.setBusyTimeout(milliseconds: 50)
        defer { try? writer.setBusyTimeout(milliseconds: 5_000) }
        // Busy: the app is writing; try again after the next pass.
        guard (try? writer.execute("BEGIN IMMEDIATE")) != nil else { return nil }
        let last: WALRead
        do {
            last = try readNewFrames(after: position)
        } catch {
            try? writer.execute("ROLLBACK")
            throw error
        }
        guard case .frames(let header, let frames) = last else {
            try? writer.execute("ROLLBACK")
            if case .restartNeeded(let reason) = last { return reason }
            return nil
        }
        unpin(held)
        pinned = nil
        checkpoint(on: held)
        try? writer.execute("ROLLBACK")
        try pin(held)
        pinned = held
        do {
            try ship(frames, header: header, startOffset: frames.startOffset, seen: now(), into: &current, always: false)
        } catch {
            // The WAL may start over before these commits are stored: this generation cannot go on safely.
            log("replicate \(database.path): the commits read before the WAL restart could not be stored: \(error)")
            state = nil
            return nil
        }
        state = current
        return nil
    }
}
