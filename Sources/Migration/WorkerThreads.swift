import Foundation
import LibPQ

// The thread kit of the parallel export and load: plain threads, a shared work queue, a result collector and
// the barrier that lets every load connection commit only once all have loaded.

/// Runs `body(i)` for `count` worker threads and waits for all of them.
///
/// Plain threads rather than `concurrentPerform`: load workers block at a commit barrier until every worker
/// arrives, which would deadlock if the pool ran fewer threads than workers.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            body(i)
            group.leave()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
    group.wait()
}

/// A queue of work items handed out to worker threads.
final class WorkQueue<Item: Sendable>: @unchecked Sendable {
    // Safety: `items` and `position` are only touched while holding `lock`.
    private let lock = NSLock()
    private let items: [Item]
    private var position = 0

    init(_ items: [Item]) { self.items = items }

    func next() -> Item? {
        lock.lock()
        defer { lock.unlock() }
        guard position < items.count else { return nil }
        position += 1
        return items[position - 1]
    }
}

/// Results from worker threads, keyed by table.
final class Collector<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    // Safety: `values` is only touched while holding `lock`.
    private let lock = NSLock()
    private var values: [Key: Value] = [:]

    func set(_ key: Key, _ value: Value) {
        lock.lock()
        values[key] = value
        lock.unlock()
    }

    func get(_ key: Key) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        return values[key]
    }

    func all() -> [Value] {
        lock.lock()
        defer { lock.unlock() }
        return Array(values.values)
    }
}

/// Holds every load connection until all have loaded, then tells them all to commit or all to roll back.
final class CommitBarrier: @unchecked Sendable {
    // Safety: every mutable field is read and written only while holding `condition`.
    private let condition = NSCondition()
    let parties: Int
    private var arrived = 0
    private var anyFailed = false
    private var firstFailure: String?
    private var commitCount = 0

    init(parties: Int) { self.parties = parties }

    /// Marks the load as failed (with a message for the first failure).
    func fail(_ message: String?) {
        condition.lock()
        anyFailed = true
        if firstFailure == nil, let message { firstFailure = message }
        condition.unlock()
    }

    /// Records a successful commit.
    func committed() {
        condition.lock()
        commitCount += 1
        condition.unlock()
    }

    /// Waits for every party; returns true when all loaded without failure (so all should commit).
    func arriveAndWait() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        if arrived == parties { condition.broadcast() }
        while arrived < parties { condition.wait() }
        return !anyFailed
    }

    /// Arrives (failed or not), then commits `connection` when every party loaded, else rolls it back.
    func finish(_ connection: LibPQ.Connection?, failed: Bool) {
        if failed { fail(nil) }
        let commit = arriveAndWait()
        guard let connection else { return }
        if commit {
            do {
                try connection.execute("COMMIT")
                committed()
            } catch {
                fail("COMMIT failed: \(error)")
            }
        } else {
            _ = try? connection.execute("ROLLBACK")
        }
    }

    var failure: String? {
        condition.lock()
        defer { condition.unlock() }
        return firstFailure
    }

    var commits: Int {
        condition.lock()
        defer { condition.unlock() }
        return commitCount
    }
}
