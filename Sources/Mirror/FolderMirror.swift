import Foundation
import Storage
import VaultopsCore

/// Keeps a folder and a storage backend (an OSS prefix) in step, in either direction.
///
/// The skip rule is size + CRC-64. ListObjectsV2 gives only key, size, ETag and date (real OSS puts no CRC
/// in listings), so a file whose size matches is checked with HeadObject, whose `x-oss-hash-crc64ecma` OSS
/// returns for every object, including the combined CRC of multipart uploads; the local side is hashed
/// streaming. A CRC kept in `x-oss-meta-*` would save nothing (listings do not return metadata either) and
/// could go stale when someone else writes the object, while OSS's own CRC always describes its bytes.
/// The ETag is not used: it is an MD5 only for single PUTs, and differs by upload method for equal bytes.
public enum FolderMirror {
    /// Mirrors `directories` to `destination` (a storage backend, such as an OSS prefix): each file goes to
    /// `<path relative to its folder>` under the backend's root.
    ///
    /// - Parameters:
    ///   - destination: used on this thread for listing and deleting; each worker gets a sibling of it.
    ///   - events: called from worker threads as files are sent, skipped, deleted or fail.
    /// - Throws: `MirrorError` when a folder cannot be walked, the backend's error when it cannot be listed.
    public static func upload<Backend: StorageBackend>(directories: [String], to destination: Backend, options: MirrorOptions,
                                                       progress: ProgressReporter? = nil,
                                                       events: @escaping @Sendable (MirrorEvent) -> Void = { _ in }) throws -> MirrorReport {
        let started = Date()
        let location = destination.location
        // OSS limits the whole key (prefix included) to 1,023 bytes.
        let keyPrefix = destination.keyPrefix
        var report = MirrorReport(direction: .upload, source: directories.joined(separator: ", "),
                                  destination: location, dryRun: options.dryRun)
        var source: [MirrorEntry] = []
        var fullPaths: [MirrorPath: String] = [:]
        var problems: [MirrorProblem] = []
        var excludedPaths: Set<MirrorPath> = []
        for directory in directories {
            let tree = try LocalWalker.walk(directory)
            problems += tree.problems
            for file in tree.files {
                if let include = options.include, !include(file.path.string) {
                    report.excluded += 1
                    excludedPaths.insert(file.path)
                    continue
                }
                if case let .failure(problem) = MirrorKey.key(prefix: keyPrefix, path: file.path) {
                    problems.append(MirrorProblem(subject: file.fullPath, path: file.path, message: problem.description))
                    continue
                }
                source.append(MirrorEntry(path: file.path, size: file.size))
                if fullPaths[file.path] == nil { fullPaths[file.path] = file.fullPath }
            }
        }
        var remote: [MirrorEntry] = []
        for object in try destination.list(prefix: "", recursive: true) where object.kind == .object {
            // Keys that could never be a file here (`a//b`, `..`, folder markers) are neither compared nor deleted.
            if case let .file(path) = MirrorKey.relativePath(key: object.name, prefix: "", size: object.size),
               !excludedPaths.contains(path) {
                remote.append(MirrorEntry(path: path, size: object.size))
            }
        }
        let plan = mirrorPlan(source: source, destination: remote, delete: options.delete, protected: problems)
        let backups = backupObjects(among: plan.delete)
        if !backups.isEmpty {
            throw MirrorError("refusing --delete: \(location) holds vaultops backups (\(backups.count) objects, e.g. \(backups[0].string)); backups are removed by 'vaultops prune', so mirror into a prefix of its own", usage: true)
        }
        report.problems = problems + plan.problems
        for problem in report.problems { events(.problem(problem)) }

        var items: [WorkItem] = plan.send.map { WorkItem(path: $0.path, size: $0.size, reason: $0.reason) }
        items += plan.compare.map { WorkItem(path: $0.path, size: $0.size, reason: nil) }
        let checkpoints = options.checkpointDirectory
        let dryRun = options.dryRun
        let files = fullPaths
        let outcome = run(items, jobs: options.jobs, backend: destination, progress: progress,
                          subject: { location + $0.path.string }, events: events) { item, backend, onBytes in
            let full = files[item.path]!
            let name = item.path.string
            var reason = item.reason
            if reason == nil {
                let local = try LocalFiles.crc64(path: full)
                let info = try backend.statIfPresent(name)
                switch MirrorPlan.decide(sourceSize: item.size, sourceCRC: local, destinationSize: info?.size,
                                         destinationCRC: info?.crc64, destinationCRCUnavailable: info != nil && info?.crc64 == nil) {
                case .skip, .compare: return .skipped
                case let .send(why): reason = why
                }
            }
            if dryRun { return .sent(bytes: item.size, reason: reason!) }
            let options = SaveOptions(overwrite: true, contentType: ContentType.forFile(name), checkpointDirectory: checkpoints)
            let result = try backend.save(name, from: URL(fileURLWithPath: full), options: options,
                                          progress: { done, _ in onBytes(done) })
            return .sent(bytes: result.size, reason: reason!)
        }
        report.apply(outcome, skippedInPlan: plan.skip.count)
        for path in plan.skip { events(.skipped(subject: location + path.string)) }
        report.extra = plan.extra.count
        if !plan.delete.isEmpty { delete(plan.delete.map(\.string), from: destination, dryRun: options.dryRun, report: &report, events: events) }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Deletes `names` in batches of 1,000 (one OSS DeleteMultipleObjects each); a batch that fails leaves the rest
    /// counted as failures.
    private static func delete(_ names: [String], from backend: some StorageBackend, dryRun: Bool, report: inout MirrorReport,
                               events: @Sendable (MirrorEvent) -> Void) {
        let location = backend.location
        if dryRun {
            report.deleted = names.count
            for name in names { events(.deleted(subject: location + name)) }
            return
        }
        var done = 0
        do {
            while done < names.count {
                let batch = Array(names[done..<min(done + 1000, names.count)])
                try backend.remove(batch)
                for name in batch { events(.deleted(subject: location + name)) }
                done += batch.count
            }
        } catch {
            let message = String(describing: error)
            report.failures.append("deleting \(names.count) objects: \(message)")
            events(.failed(subject: location, message: "deleting objects failed: \(message)"))
        }
        report.deleted = done
    }

    /// Mirrors every object in `source` (a storage backend, such as an OSS prefix) into the folder `directory`.
    ///
    /// Names that would land outside the folder (`..`, `.`, empty components, absolute, NUL) are refused and
    /// reported; parent folders are created one component at a time and a symlink or file in the way is
    /// refused, so nothing is ever written outside `directory`. Each file is written as `NAME.partial`,
    /// checked against the backend's CRC-64, fsynced and renamed into place (an interrupted OSS download resumes).
    public static func download<Backend: StorageBackend>(from source: Backend, to directory: String, options: MirrorOptions,
                                                         progress: ProgressReporter? = nil,
                                                         events: @escaping @Sendable (MirrorEvent) -> Void = { _ in }) throws -> MirrorReport {
        let started = Date()
        let location = source.location
        let root = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var report = MirrorReport(direction: .download, source: location, destination: root, dryRun: options.dryRun)
        var remote: [MirrorEntry] = []
        var listed: [MirrorPath: StorageEntry] = [:]
        var problems: [MirrorProblem] = []
        for object in try source.list(prefix: "", recursive: true) where object.kind == .object {
            switch MirrorKey.relativePath(key: object.name, prefix: "", size: object.size) {
            case let .file(path):
                remote.append(MirrorEntry(path: path, size: object.size))
                listed[path] = object
            case .directoryMarker: break
            case let .refused(problem):
                problems.append(MirrorProblem(subject: location + object.name, path: nil, message: "refused: the key \(problem)"))
            }
        }
        var local: [MirrorEntry] = []
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw MirrorError("\(root) exists and is not a folder", usage: true) }
            // Local problems (a symlink where a file should go) surface as that file's failure below.
            local = try LocalWalker.walk(root).files.map { MirrorEntry(path: $0.path, size: $0.size) }
        } else if !options.dryRun {
            do {
                try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            } catch {
                throw MirrorError("cannot create the folder \(root): \(error.localizedDescription)")
            }
        }
        let plan = mirrorPlan(source: remote, destination: local, delete: false)
        report.problems = problems + plan.problems
        for problem in report.problems { events(.problem(problem)) }

        var items: [WorkItem] = plan.send.map { WorkItem(path: $0.path, size: $0.size, reason: $0.reason) }
        items += plan.compare.map { WorkItem(path: $0.path, size: $0.size, reason: nil) }
        let dryRun = options.dryRun
        let objects = listed
        let outcome = run(items, jobs: options.jobs, backend: source, progress: progress,
                          subject: { root + "/" + $0.path.string }, events: events) { item, backend, onBytes in
            let name = item.path.string
            let destination = root + "/" + name
            var reason = item.reason
            // New files use the listing's size and ETag (no HeadObject); a changed file (rare) is asked about again.
            var known = objects[item.path]
            if reason == nil {
                known = nil
                let local = try LocalFiles.crc64(path: destination)
                let info = try backend.stat(name)
                switch MirrorPlan.decide(sourceSize: info.size, sourceCRC: info.crc64, destinationSize: item.size,
                                         destinationCRC: local, destinationCRCUnavailable: info.crc64 == nil) {
                case .skip, .compare: return .skipped
                case let .send(why): reason = why
                }
            }
            if dryRun { return .sent(bytes: item.size, reason: reason!) }
            try LocalFiles.prepareDestination(root: root, path: item.path)
            let result = try backend.load(name, to: URL(fileURLWithPath: destination), listed: known,
                                          progress: { done, _ in onBytes(done) })
            return .sent(bytes: result.size, reason: reason!)
        }
        report.apply(outcome, skippedInPlan: plan.skip.count)
        for path in plan.skip { events(.skipped(subject: root + "/" + path.string)) }
        report.extra = plan.extra.count
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    // MARK: - Workers

    /// A file to send, or (reason nil) to compare by CRC-64 first.
    struct WorkItem: Sendable {
        var path: MirrorPath
        var size: Int64
        var reason: MirrorPlan.Reason?
    }

    enum ItemResult: Sendable {
        case sent(bytes: Int64, reason: MirrorPlan.Reason)
        case skipped
    }

    struct Outcome {
        var sent = 0
        var skipped = 0
        var bytes: Int64 = 0
        var failures: [String] = []
    }

    /// Runs `work` over `items` on `jobs` threads, each with its own sibling backend (an OSS client's libcurl handle
    /// is single-threaded).
    ///
    /// The pool is `jobs` threads pulling the next item from a shared index: at most `jobs` files are in
    /// flight, and a failure is recorded and never stops the others. The threads share `jobs` among their
    /// multipart parts, so that a few big files still use every connection and many never open `jobs²`.
    static func run<Backend: StorageBackend>(_ items: [WorkItem], jobs: Int, backend: Backend, progress: ProgressReporter?,
                                             subject: @escaping @Sendable (WorkItem) -> String,
                                             events: @escaping @Sendable (MirrorEvent) -> Void,
                                             work: @escaping @Sendable (WorkItem, Backend, _ onBytes: @escaping @Sendable (Int64) -> Void) throws -> ItemResult) -> Outcome {
        let state = PoolState(items: items)
        progress?.set(total: items.reduce(0) { $0 + $1.size })
        let group = DispatchGroup()
        let threads = max(1, min(jobs, items.count))
        for _ in 0..<threads {
            let box = BackendBox(backend.sibling(parallelism: max(1, jobs / threads)))
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let backend = box.backend
                while let index = state.take() {
                    let item = state.items[index]
                    let counter = ByteCounter(progress: progress)
                    do {
                        let result = try work(item, backend, { done in counter.reached(done) })
                        switch result {
                        case let .sent(bytes, reason):
                            counter.reached(bytes)
                            state.record { $0.sent += 1; $0.bytes += bytes }
                            events(.sent(subject: subject(item), bytes: bytes, reason: reason))
                        case .skipped:
                            // Bytes that will not move leave the total, so rate and ETA stay honest.
                            progress?.set(total: state.shrinkTotal(by: item.size))
                            state.record { $0.skipped += 1 }
                            events(.skipped(subject: subject(item)))
                        }
                    } catch {
                        let message = String(describing: error)
                        state.record { $0.failures.append("\(subject(item)): \(message)") }
                        events(.failed(subject: subject(item), message: message))
                    }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        return state.outcome
    }
}

extension MirrorReport {
    mutating func apply(_ outcome: FolderMirror.Outcome, skippedInPlan: Int) {
        sent = outcome.sent
        skipped = outcome.skipped + skippedInPlan
        bytesSent = outcome.bytes
        failures += outcome.failures
    }
}

/// The work list and results shared by the mirror's worker threads.
private final class PoolState: @unchecked Sendable {
    // Safety: `items` is immutable; `next`, `outcome` and `total` are only touched while holding `lock`.
    let items: [FolderMirror.WorkItem]
    private let lock = NSLock()
    private var next = 0
    private var result = FolderMirror.Outcome()
    private var total: Int64

    init(items: [FolderMirror.WorkItem]) {
        self.items = items
        total = items.reduce(0) { $0 + $1.size }
    }

    func take() -> Int? {
        lock.withLock {
            guard next < items.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func record(_ change: (inout FolderMirror.Outcome) -> Void) { lock.withLock { change(&result) } }

    func shrinkTotal(by bytes: Int64) -> Int64 { lock.withLock { total -= bytes; return total } }

    var outcome: FolderMirror.Outcome { lock.withLock { result } }
}

/// Turns one file's "done so far" callbacks (from its part threads) into increments of the shared progress.
private final class ByteCounter: @unchecked Sendable {
    // Safety: `reported` is only touched while holding `lock`; `progress` is itself thread-safe.
    private let lock = NSLock()
    private var reported: Int64 = 0
    private let progress: ProgressReporter?

    init(progress: ProgressReporter?) { self.progress = progress }

    func reached(_ done: Int64) {
        let delta: Int64 = lock.withLock {
            guard done > reported else { return 0 }
            defer { reported = done }
            return done - reported
        }
        if delta > 0 { progress?.add(delta) }
    }
}

/// Hands a freshly made sibling backend to the one worker thread that owns it from then on.
private struct BackendBox<Backend: StorageBackend>: @unchecked Sendable {
    // Safety: the creating thread never touches the backend after boxing it; only the worker thread uses it.
    let backend: Backend
    init(_ backend: Backend) { self.backend = backend }
}

