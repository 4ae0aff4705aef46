import Foundation
import Storage

/// Uploads a replicator's segments (and each new generation's snapshot) on a thread of its own, strictly in order,
/// so that passes keep reading the WAL every interval while the destination is slow or failing (an OSS outage): each
/// segment keeps the commit time of the pass that read it, and a restore to a time inside the outage is as close to
/// it as outside one. A snapshot waits in its work folder (on disk, not counted in `maxBytes`).
///
/// - Order: the head of the queue is retried with backoff until it is stored, and nothing behind it is sent before:
///   segment k + 1 is never stored without k, so a crash (kill -9) leaves a prefix of the chain, and the restarted
///   replicator starts a new generation as before.
/// - Bounded memory: at most `maxBytes` (and `maxCount` segments) wait; when the queue is full, `enqueue` waits
///   for room, so passes become as coarse as without the queue but memory stays bounded. The replicator also
///   writes each item to its `UploadSpool` (files a restarted replicator uploads) before queueing it here.
/// - Stop: `finish(within:)` waits a bounded time for the queue to empty, then abandons what is left.
final class SegmentUploader: @unchecked Sendable {
    /// One object to store: an encoded segment, or a generation's snapshot (a file) and its manifest.
    struct Item {
        enum Body {
            case data(Data, contentType: String)
            case file(URL)
        }

        var name: String
        var body: Body
        /// A segment's commit time (every commit in it is at or before this); nil for a snapshot and its manifest.
        var commitTime: Date?
        /// A work folder to remove once the item is stored or given up.
        var removeAfter: URL?

        init(name: String, body: Body, commitTime: Date? = nil, removeAfter: URL? = nil) {
            self.name = name
            self.body = body
            self.commitTime = commitTime
            self.removeAfter = removeAfter
        }

        /// The bytes it holds in memory (a file's are on disk).
        var bytes: Int {
            if case .data(let data, _) = body { return data.count }
            return 0
        }
    }

    /// Stores `item` on `backend` once, overwriting: a retry after an upload whose answer was lost re-sends the same
    /// object.
    static func store(_ item: Item, on backend: any StorageBackend) throws {
        switch item.body {
        case .data(let data, let contentType):
            _ = try backend.save(item.name, data: data, options: SaveOptions(overwrite: true, contentType: contentType))
        case .file(let file):
            _ = try backend.save(item.name, from: file, options: SaveOptions(overwrite: true), progress: nil)
        }
    }

    /// The queue's caps: 32 MiB of compressed segments is minutes of a busy database's commits.
    let maxBytes: Int
    let maxCount: Int
    /// The longest wait between two attempts of the same segment.
    static let maxRetryDelay: TimeInterval = 5

    // Safety: every field below is read and written under `condition`'s lock; `backend` and `log` are used by the
    // upload thread alone once it runs (the replicator thread uploads nothing while this instance exists).
    private let condition = NSCondition()
    private var items: [Item] = []
    private var queuedBytes = 0
    private var abandoned = false
    private var uploaded: Date?
    private let backend: any StorageBackend
    private let log: (String) -> Void

    /// Starts the upload thread; `backend` must be used by no other thread (see `uploadBackend(for:)`).
    init(backend: any StorageBackend, maxBytes: Int = 32 << 20, maxCount: Int = 1_024, log: @escaping (String) -> Void) {
        self.backend = backend
        self.maxBytes = maxBytes
        self.maxCount = maxCount
        self.log = log
        let thread = Thread { [self] in uploadLoop() }
        thread.name = "vaultops-replicate-upload"
        thread.start()
    }

    /// A backend for the upload thread (backends are not thread-safe: an OSS sibling has its own libcurl handle).
    static func uploadBackend(for backend: any StorageBackend) -> any StorageBackend {
        backend.sibling(parallelism: 1)
    }

    /// The commit time of the last segment stored; nil before the first.
    var lastUploaded: Date? {
        condition.lock()
        defer { condition.unlock() }
        return uploaded
    }

    /// Segments waiting (the one being uploaded included).
    var pending: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count
    }

    /// Queues `item` after the others; waits while the queue is full, unless `stopping()` (then it goes in anyway:
    /// one segment past the cap, so that what is committed at a stop is not dropped). `stopping` is called without
    /// the lock held, as `waitUntilEmpty`'s `keepWaiting`: they may read `lastUploaded` (the monitor's progress does).
    func enqueue(_ item: Item, stopping: () -> Bool) {
        // Only the replicator's thread adds items: room found stays room until the append.
        while !hasRoom(for: item.bytes), !stopping() { waitBriefly() }
        condition.lock()
        items.append(item)
        queuedBytes += item.bytes
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until every queued segment is stored; false when `keepWaiting` said stop first.
    func waitUntilEmpty(keepWaiting: () -> Bool) -> Bool {
        while pending > 0 {
            guard keepWaiting() else { return false }
            waitBriefly()
        }
        return true
    }

    private func hasRoom(for size: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return items.isEmpty || (queuedBytes + size <= maxBytes && items.count < maxCount)
    }

    /// Until the queue changes or 50 ms passed (the callers poll their own conditions between waits).
    private func waitBriefly() {
        condition.lock()
        _ = condition.wait(until: Date().addingTimeInterval(0.05))
        condition.unlock()
    }

    /// Waits up to `seconds` for the queue to empty, then ends the upload thread; returns how many segments were
    /// left (abandoned: a segment being sent may still be stored, it is the next of the chain either way). Their
    /// files are removed, except those under `keeping` (a spool left for the next replicator).
    func finish(within seconds: TimeInterval, keeping: [URL] = []) -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        _ = waitUntilEmpty { Date() < deadline }
        condition.lock()
        abandoned = true
        condition.broadcast()
        let left = items
        condition.unlock()
        let kept = keeping.map { $0.standardizedFileURL.path + "/" }
        for item in left {
            guard let folder = item.removeAfter, !kept.contains(where: { folder.standardizedFileURL.path.hasPrefix($0) }) else { continue }
            try? FileManager.default.removeItem(at: folder)
        }
        return left.count
    }

    private var isAbandoned: Bool {
        condition.lock()
        defer { condition.unlock() }
        return abandoned
    }

    private func uploadLoop() {
        while true {
            condition.lock()
            while items.isEmpty, !abandoned { condition.wait() }
            guard !abandoned, let head = items.first else {
                condition.unlock()
                return
            }
            condition.unlock()
            guard upload(head) else { return }
            condition.lock()
            items.removeFirst()
            queuedBytes -= head.bytes
            if let time = head.commitTime { uploaded = time }
            condition.broadcast()
            condition.unlock()
            if let folder = head.removeAfter { try? FileManager.default.removeItem(at: folder) }
        }
    }

    /// Stores `item`, retrying with capped exponential backoff; false when abandoned first.
    private func upload(_ item: Item) -> Bool {
        var delay = 0.25
        while true {
            do {
                try Self.store(item, on: backend)
                return true
            } catch {
                log("replicate: uploading \(item.name) failed: \(error); retrying in \(String(format: "%.1f", delay)) s")
            }
            let until = Date().addingTimeInterval(delay)
            while Date() < until {
                if isAbandoned { return false }
                Thread.sleep(forTimeInterval: 0.05)
            }
            if isAbandoned { return false }
            delay = min(Self.maxRetryDelay, delay * 2)
        }
    }
}
