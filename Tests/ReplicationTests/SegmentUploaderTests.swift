import Foundation
@testable import Replication
import Storage
import Testing
import TestSupport

/// A folder whose small-object uploads can be held (`open` false) or made to fail, recording what was stored.
final class GatedBackend: StorageBackend, @unchecked Sendable {
    // Safety: the mutable state is a `Locked`; `folder` is a value used read-only.
    let folder: LocalFolderBackend
    let open = Locked(true)
    /// Uploads of these names fail this many more times.
    let failures = Locked<[String: Int]>([:])
    let stored = Locked<[String]>([])

    init(path: String) { folder = LocalFolderBackend(path: path) }

    var location: String { folder.location }
    var displayLocation: String { folder.displayLocation }
    var keyPrefix: String { folder.keyPrefix }
    func displayName(of entry: StorageEntry) -> String { folder.displayName(of: entry) }
    func save(_ name: String, from file: URL, options: SaveOptions, progress: StorageProgress?) throws -> SavedObject {
        try folder.save(name, from: file, options: options, progress: progress)
    }
    func save(_ name: String, data: Data, options: SaveOptions) throws -> SavedObject {
        while !open.current { Thread.sleep(forTimeInterval: 0.01) }
        let fail = failures.with { left -> Bool in
            guard let n = left[name], n > 0 else { return false }
            left[name] = n - 1
            return true
        }
        if fail { throw TestSupportError("injected failure for \(name)") }
        let saved = try folder.save(name, data: data, options: options)
        stored.with { $0.append(name) }
        return saved
    }
    func load(_ name: String, range: ClosedRange<Int64>?) throws -> Data { try folder.load(name, range: range) }
    func load(_ name: String, to destination: URL, listed: StorageEntry?, progress: StorageProgress?) throws -> LoadedObject {
        try folder.load(name, to: destination, listed: listed, progress: progress)
    }
    func stat(_ name: String) throws -> StorageEntry { try folder.stat(name) }
    func list(prefix: String, recursive: Bool) throws -> [StorageEntry] { try folder.list(prefix: prefix, recursive: recursive) }
    func remove(_ name: String) throws { try folder.remove(name) }
    func remove(_ names: [String]) throws { try folder.remove(names) }
    func isNotFound(_ error: any Error) -> Bool { folder.isNotFound(error) }
    func isProtected(_ error: any Error) -> Bool { folder.isProtected(error) }
    func sibling(parallelism: Int) -> GatedBackend { self }
    func incompleteUploads(prefix: String) throws -> [IncompleteUpload] { try folder.incompleteUploads(prefix: prefix) }
    func abortUpload(_ upload: IncompleteUpload) throws { try folder.abortUpload(upload) }
}

/// The upload queue between the replicator's passes and the destination.
@Suite struct SegmentUploaderTests {
    func item(_ index: Int, bytes: Int = 10) -> SegmentUploader.Item {
        SegmentUploader.Item(name: "seg-\(index)", body: .data(Data(count: bytes), contentType: "application/gzip"),
                             commitTime: Date(timeIntervalSince1970: Double(index)))
    }

    /// A segment that keeps failing holds back the ones after it: they are stored in order once it succeeds, and
    /// `lastUploaded` follows what is stored, not what is queued.
    @Test func storesInOrderAndRetriesTheHeadBeforeAnythingBehindIt() throws {
        let dir = try TempDir("uploader")
        let backend = GatedBackend(path: dir.file("dest").path)
        // Segment 1 fails until the test lets it through, so what is checked below holds however long the test
        // takes to look (a fixed 0.3 s inside its first backoffs could be too early or too late on a loaded machine).
        let failing = 1_000_000
        backend.failures.with { $0 = ["seg-1": failing] }
        let uploader = SegmentUploader(backend: backend, log: { _ in })
        for index in 0..<5 { uploader.enqueue(item(index), stopping: { false }) }
        let deadline = Date().addingTimeInterval(120)  // only a backstop
        while failing - (backend.failures.current["seg-1"] ?? 0) < 3, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        // Segment 1 has failed three times (backoff 0.25 s, 0.5 s, ...) and is still failing: nothing after it is stored.
        #expect(backend.stored.current == ["seg-0"])
        #expect(uploader.lastUploaded == Date(timeIntervalSince1970: 0))
        backend.failures.with { $0 = [:] }
        #expect(uploader.waitUntilEmpty { true })
        #expect(backend.stored.current == (0..<5).map { "seg-\($0)" })
        #expect(uploader.lastUploaded == Date(timeIntervalSince1970: 4))
        #expect(uploader.finish(within: 1) == 0)
    }

    /// A full queue makes `enqueue` wait for room (memory stays bounded), unless stopping.
    @Test func aFullQueueMakesEnqueueWaitUntilThereIsRoom() throws {
        let dir = try TempDir("uploader")
        let backend = GatedBackend(path: dir.file("dest").path)
        backend.open.with { $0 = false }
        let uploader = SegmentUploader(backend: backend, maxBytes: 100, maxCount: 10, log: { _ in })
        uploader.enqueue(item(0, bytes: 60), stopping: { false })
        let queued = Locked(false)
        let adder = TestThread {
            uploader.enqueue(self.item(1, bytes: 60), stopping: { false })
            queued.with { $0 = true }
        }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(queued.current == false && uploader.pending == 1)
        backend.open.with { $0 = true }
        adder.join()
        #expect(uploader.waitUntilEmpty { true })
        #expect(backend.stored.current == ["seg-0", "seg-1"])

        // Stopping: the segment goes in past the cap rather than being dropped.
        backend.open.with { $0 = false }
        uploader.enqueue(item(2, bytes: 60), stopping: { false })
        uploader.enqueue(item(3, bytes: 60), stopping: { true })
        #expect(uploader.pending == 2)
        backend.open.with { $0 = true }
        #expect(uploader.finish(within: 10) == 0)
        #expect(backend.stored.current == (0..<4).map { "seg-\($0)" })
    }

    /// `finish` waits a bounded time, then gives up what is left (the thread ends at its next attempt).
    @Test func finishGivesUpAfterItsTimeout() throws {
        let dir = try TempDir("uploader")
        let backend = GatedBackend(path: dir.file("dest").path)
        backend.failures.with { $0 = ["seg-0": 1_000] }
        let uploader = SegmentUploader(backend: backend, log: { _ in })
        uploader.enqueue(item(0), stopping: { false })
        uploader.enqueue(item(1), stopping: { false })
        // The head never succeeds, so returning at all shows finish gave up; 60 s is only a backstop (a tight bound
        // fails when the machine stalls).
        let started = Date()
        #expect(uploader.finish(within: 0.5) == 2)
        #expect(Date().timeIntervalSince(started) < 60)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(backend.stored.current.isEmpty)
    }
}
