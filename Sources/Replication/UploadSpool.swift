import Foundation

/// A replicator's upload queue mirrored on disk, so that what a killed replicator had read but not yet stored is
/// stored by the next one: without it, a kill -9 while uploads lag (an OSS outage, a burst of 5xx retried with
/// backoff) loses every queued segment, and the replica of the seconds before the kill ends where the uploads stood.
///
/// - Layout: `<work folder>/vaultops-replicate-spool-<pid>-<milliseconds since 1970>/`, an `owner` file (source,
///   database, destination) and one folder per item, `<12-digit sequence>/` with `item.json` and `body`, written as
///   `<sequence>.partial/` and renamed once complete. The uploader removes an item's folder once it is stored.
/// - A regular stop whose drain timed out leaves its spool in place (`remove(keepingItems:)`), as a kill does.
/// - Adoption: a starting replicator queues the items of dead replicators (no such process) of the same owner before
///   its own, oldest spool first and each in order, so every generation's chain still only grows by its next segment;
///   a segment that does not decode ends what is taken from its spool.
/// - Not flushed to disk: it is for a killed process, whose written files the kernel keeps; after a host crash a
///   torn segment fails its checksum and is dropped with the rest of its spool.
struct UploadSpool {
    static let prefix = "vaultops-replicate-spool-"

    let folder: URL
    private var next = 0
    /// Set by the first item that could not be written: none after it is, so that what a next replicator adopts is
    /// a prefix of the queue (a chain with a hole would be stored otherwise).
    private(set) var broken = false

    /// What ties a spool to one replica: items of another source, database or destination are never adopted.
    static func owner(source: String, database: URL, destination: String) -> String {
        "\(source)\n\(database.path)\n\(destination)\n"
    }

    /// Creates this process's spool folder in `workFolder`.
    init(workFolder: URL, owner: String) throws {
        let stamp = Int64(Date().timeIntervalSince1970 * 1000)
        folder = workFolder.appendingPathComponent("\(Self.prefix)\(getpid())-\(stamp)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(owner.utf8).write(to: folder.appendingPathComponent("owner"))
        Self.live.insert(folder.path)
    }

    /// The spools this process writes now. In a container a restarted replicator often has its predecessor's pid
    /// (pid 1, or the same few), so a spool named with this pid is an earlier process's unless it is one of these.
    private static let live = LiveSpools()

    private final class LiveSpools: @unchecked Sendable {
        // Safety: `paths` is only touched under `lock`.
        private let lock = NSLock()
        private var paths = Set<String>()
        func insert(_ path: String) { lock.withLock { _ = paths.insert(path) } }
        func remove(_ path: String) { lock.withLock { _ = paths.remove(path) } }
        func contains(_ path: String) -> Bool { lock.withLock { paths.contains(path) } }
    }

    struct Record: Codable {
        var name: String
        var contentType: String?
        var commitTime: Date?
    }

    /// Writes `item` into the spool and returns it as the uploader should queue it: removing its spool folder once
    /// stored (a snapshot's file is moved into the spool and its work folder removed). After a failure, every
    /// later call fails too (the caller queues the item as it was, in memory only).
    mutating func add(_ item: SegmentUploader.Item) throws -> SegmentUploader.Item {
        guard !broken else { throw CocoaError(.fileWriteUnknown) }
        do {
            return try write(item)
        } catch {
            broken = true
            throw error
        }
    }

    private mutating func write(_ item: SegmentUploader.Item) throws -> SegmentUploader.Item {
        let sequence = String(format: "%012d", next)
        let partial = folder.appendingPathComponent(sequence + ".partial")
        let entry = folder.appendingPathComponent(sequence)
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        var record = Record(name: item.name, commitTime: item.commitTime)
        var queued = item
        let body = partial.appendingPathComponent("body")
        if case .data(let data, let contentType) = item.body {
            try data.write(to: body)
            record.contentType = contentType
        }
        try JSONEncoder().encode(record).write(to: partial.appendingPathComponent("item.json"))
        if case .file(let file) = item.body {
            try FileManager.default.moveItem(at: file, to: body)
            do {
                try FileManager.default.moveItem(at: partial, to: entry)
            } catch {
                // The caller queues the item as it was: its file goes back.
                try? FileManager.default.moveItem(at: body, to: file)
                throw error
            }
            if let old = item.removeAfter { try? FileManager.default.removeItem(at: old) }
            queued.body = .file(entry.appendingPathComponent("body"))
        } else {
            try FileManager.default.moveItem(at: partial, to: entry)
        }
        next += 1
        queued.removeAfter = entry
        return queued
    }

    /// Ends this process's use of the spool: removes it, or with `keepingItems` (a stop that left queued items)
    /// leaves it for the next replicator of its owner to adopt, as a killed one's.
    func remove(keepingItems: Bool) {
        Self.live.remove(folder.path)
        if !keepingItems { try? FileManager.default.removeItem(at: folder) }
    }

    /// The items that dead replicators of `owner` left in `workFolder`, to queue first (as files: they wait on disk,
    /// outside the queue's memory cap); removes those spools that hold nothing more.
    static func leftovers(in workFolder: URL, owner: String, log: (String) -> Void) -> [SegmentUploader.Item] {
        let manager = FileManager.default
        var items: [SegmentUploader.Item] = []
        for spool in deadSpools(in: workFolder, owner: owner) {
            let entries = ((try? manager.contentsOfDirectory(atPath: spool.path)) ?? []).sorted()
            var taken = 0
            var damaged = false
            for name in entries where name != "owner" {
                let entry = spool.appendingPathComponent(name)
                // Whole items only (a `.partial` one was being written at the kill), and none after a damaged one.
                if !damaged, name.count == 12, let item = adopt(entry) {
                    items.append(item)
                    taken += 1
                    continue
                }
                if !damaged, name.count == 12 {
                    log("replicate: \(entry.path) is damaged; it and the rest of its spool are not uploaded")
                    damaged = true
                }
                try? manager.removeItem(at: entry)
            }
            if taken == 0 { try? manager.removeItem(at: spool) }
        }
        if !items.isEmpty { log("replicate: uploading \(items.count) item(s) an earlier replicator left queued (killed, or stopped before they were stored)") }
        return items
    }

    /// Every spool folder in `workFolder`, live or dead.
    static func folders(in workFolder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: workFolder.path)) ?? [])
            .filter { $0.hasPrefix(prefix) }.map { workFolder.appendingPathComponent($0) }
    }

    /// Removes the spools of dead replicators of `owner` that hold no item any more (their items were adopted and
    /// stored).
    static func removeEmpty(in workFolder: URL, owner: String) {
        for spool in deadSpools(in: workFolder, owner: owner) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []
            if entries.allSatisfy({ $0 == "owner" }) { try? FileManager.default.removeItem(at: spool) }
        }
    }

    /// The spools of `owner` whose process is gone, oldest first.
    private static func deadSpools(in workFolder: URL, owner: String) -> [URL] {
        folders(in: workFolder).compactMap { url -> (stamp: Int64, url: URL)? in
            let parts = url.lastPathComponent.dropFirst(prefix.count).split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), let stamp = Int64(parts[1]) else { return nil }
            if pid == getpid() {
                guard !live.contains(url.path) else { return nil }
            } else {
                // kill(pid, 0) fails with ESRCH only when no such process exists (EPERM: it runs as another user).
                guard kill(pid, 0) != 0, errno == ESRCH else { return nil }
            }
            guard (try? String(contentsOf: url.appendingPathComponent("owner"), encoding: .utf8)) == owner else { return nil }
            return (stamp, url)
        }.sorted { ($0.stamp, $0.url.path) < ($1.stamp, $1.url.path) }.map(\.url)
    }

    /// The item stored in `entry`, or nil when it is incomplete or a segment that does not decode.
    private static func adopt(_ entry: URL) -> SegmentUploader.Item? {
        let body = entry.appendingPathComponent("body")
        guard let json = try? Data(contentsOf: entry.appendingPathComponent("item.json")),
              let record = try? JSONDecoder().decode(Record.self, from: json),
              FileManager.default.fileExists(atPath: body.path) else { return nil }
        if record.commitTime != nil {
            guard let stored = try? Data(contentsOf: body), (try? Segment.decode(stored, name: record.name)) != nil else { return nil }
        }
        return SegmentUploader.Item(name: record.name, body: .file(body), commitTime: record.commitTime, removeAfter: entry)
    }
}
