import Foundation
import Replication
import Storage
import Testing
import TestSupport

/// A replicator killed with -9 while its uploads lag behind its passes (one upload held up by the emulator, as a
/// burst of 5xx retried with backoff holds them up) must not lose the segments it had read: the restarted replicator
/// stores them, so restores up to the kill are within an interval, as anywhere else.
@Suite(.serialized) struct KilledWhileUploadingTests {
    @Test func segmentsQueuedAtAKillAreStoredByTheRestartedReplicator() throws {
        let harness = try SoakHarness(label: "killqueued")
        try harness.startReplicator()
        try harness.startWriter(seconds: 14)
        #expect(harness.wait(upTo: 20) { ((try? harness.generations().first?.chain.count) ?? 0) >= 2 }, "\(harness.replicatorMessages)")
        let generation = try #require(try harness.generations().last).name
        // The next upload waits 8 s; the passes go on queueing a segment a second behind it.
        try OSSEmulator.addFault(bucket: harness.bucket, ["op": "PutObject", "action": "slow", "seconds": 8, "times": 1])
        let held = Date()
        Thread.sleep(forTimeInterval: 4)
        let killed = Date()
        harness.killReplicator()
        try harness.startReplicator()
        let last = try harness.waitForWriter()
        #expect(harness.wait(upTo: 30) { (try? latestCommitShipped(harness, last)) == true }, "\(harness.replicatorMessages)")
        #expect(harness.stopReplicator() == 0, "\(harness.replicatorMessages)")

        // The killed generation's chain reaches its last pass before the kill (at most an interval and a pass before).
        let killedGeneration = try #require(try harness.generations().first { $0.name == generation })
        let segments = try harness.segments(of: killedGeneration)
        #expect(chainBreaks(segments).isEmpty)
        let end = try #require(segments.last).header.commitTime
        let behind = killed.timeIntervalSince(end)
        #expect(behind < ReplicationSoakTests.interval + ReplicationSoakTests.slack,
                "the chain of \(generation) ends \(behind) s before the kill (the upload was held up \(killed.timeIntervalSince(held)) s before it)")

        // And restores between the held-up upload and the kill are as close as any.
        let times = try harness.commitTimes()
        for step in 0..<4 {
            let target = held.addingTimeInterval(0.5 + Double(step) * killed.timeIntervalSince(held) / 4)
            guard target < end else { continue }
            let result = try restoreReplica(source: "app", from: harness.backend, to: .time(target),
                                            into: harness.dir.file("held-\(step).db"), workFolder: harness.dir.url)
            let rows = try content(of: result.file)
            let n = Int(rows.max)
            #expect(rows.count == rows.max && rows.total == rows.sum, "at \(target): \(rows)")
            guard let next = times[n + 1] else { continue }
            #expect(target.timeIntervalSince(next) < ReplicationSoakTests.interval + ReplicationSoakTests.slack,
                    "at \(target): row \(n + 1), begun \(target.timeIntervalSince(next)) s before, is missing")
        }
        // Nothing stays behind in the work folder once every queued item is stored.
        let left = try FileManager.default.contentsOfDirectory(atPath: harness.dir.path).filter { $0.hasPrefix("vaultops-replicate-") }
        #expect(left.isEmpty, "\(left)")
    }
}
