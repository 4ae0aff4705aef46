import Foundation
import Replication
import SQLite
import Storage
import Testing
import TestSupport

/// An OSS outage (uploads that hang, then 5xx) delays segments, not passes: each segment keeps the commit time of
/// the pass that read it, so a restore to a time inside the outage is within one interval of it (issue 24's
/// matrix: "the same holds when … the emulator injects 5xx and resets").
@Suite(.serialized) struct UploadOutageTests {
    static let interval = 1.0
    /// As the soak tests: a pass's own time on a loaded machine.
    static let slack = 1.0

    @Test func aRestoreToATimeInsideAnUploadOutageIsWithinOneInterval() throws {
        let dir = try TempDir("repl-outage")
        let bucket = try OSSEmulator.freshBucket("outage")
        let settings = OSSSettings(environment: try OSSEmulator.cliEnvironment())
        let database = dir.file("app.db")
        let app = try makeAppDatabase(database.path)
        let stop = Locked(false)
        // What the monitor would see between passes: (when, replicator.lastShipped).
        let samples = Locked<[(at: Date, shipped: Date?)]>([])
        let thread = try OSSReplicatorThread(database, bucket: bucket, dir: dir, settings: ReplicationSettings(interval: Self.interval)) {
            replicator in
            samples.with { $0.append((Date(), replicator.lastShipped)) }
            return stop.current
        }
        var times: [Date] = []
        var outageStart: Date?
        let start = Date()
        while Date().timeIntervalSince(start) < 10 {
            if outageStart == nil, Date().timeIntervalSince(start) >= 3 {
                // About 4 s without a stored upload: one PutObject hangs 4 s, then two answer 503.
                try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "slow", "seconds": 4, "times": 1])
                try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "status", "status": 503,
                                                          "code": "ServiceUnavailable", "times": 2])
                outageStart = Date()
            }
            times.append(try commit(times.count + 1, on: app))
            Thread.sleep(forTimeInterval: 0.01)
        }
        Thread.sleep(forTimeInterval: 1.5)
        stop.with { $0 = true }
        thread.join()
        #expect(thread.failure.current == nil)
        let outage = try #require(outageStart)

        let backend = try settings.backend(bucket: bucket, prefix: "r")
        let generations = ReplicaLayout(source: "app").generations(in: try backend.list(prefix: "replica/app/", recursive: true))
        #expect(generations.count == 1 && generations.allSatisfy { $0.firstGap == nil && $0.snapshot != nil })
        let last = Int64(times.count)
        let latest = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("latest.db"),
                                                         workFolder: dir.url).file)
        #expect(latest.count == last && latest.max == last && latest.total == latest.sum)

        // Points spread over the outage and the second after it.
        var worstLag = 0.0
        for step in 0..<12 {
            let target = outage.addingTimeInterval(Double(step) * 5.0 / 11.0)
            let file = dir.file("at-\(step).db")
            let result = try restoreReplica(source: "app", from: backend, to: .time(target), into: file, workFolder: dir.url)
            let rows = try content(of: file)
            let n = Int(rows.max)
            #expect(rows.count == rows.max && rows.total == rows.sum, "at \(target): rows are not exactly 1...\(n)")
            #expect(result.restoredTo <= target)
            if n > 0 { #expect(times[n - 1] <= target, "row \(n) was committed after \(target)") }
            guard n < times.count else { continue }
            let lag = target.timeIntervalSince(times[n])
            worstLag = max(worstLag, lag)
            let late = target.timeIntervalSince(outage)
            #expect(lag < Self.interval + Self.slack, "at +\(late) s into the outage: row \(n + 1), begun \(lag) s before, is missing")
        }
        print("upload outage: worst lag of a restore inside the outage " + String(format: "%.2f s", worstLag))

        // Passes went on during the outage, and lastShipped (the monitor's lag) counts uploads, not passes.
        let during = samples.current.filter { $0.at > outage.addingTimeInterval(1.5) && $0.at < outage.addingTimeInterval(3.5) }
        #expect(during.count >= 2, "no pass ran inside the outage: \(samples.current.count) samples in all")
        #expect(during.contains { sample in sample.shipped.map { sample.at.timeIntervalSince($0) > 2 } ?? true },
                "lastShipped moved on while nothing was uploaded: \(during)")
        #expect(try OSSEmulator.log(bucket).contains { $0.op == "PutObject" && !$0.ok })
        withExtendedLifetime(app) {}
    }

    /// An outage while a generation starts (a replicator restarted after kill -9 uploads a snapshot first): the
    /// snapshot waits in the queue and passes go on behind it.
    @Test func anOutageWhileTheSnapshotUploadsDelaysNoPass() throws {
        let dir = try TempDir("repl-outage")
        let bucket = try OSSEmulator.freshBucket("outagesnap")
        let settings = OSSSettings(environment: try OSSEmulator.cliEnvironment())
        let database = dir.file("app.db")
        let app = try makeAppDatabase(database.path)
        for n in 1...50 { _ = try commit(n, on: app) }
        var times = [Date](repeating: .distantPast, count: 50)
        // The first upload of all (the snapshot's manifest) hangs 4 s.
        try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "slow", "seconds": 4, "times": 1])
        let stop = Locked(false)
        let thread = try OSSReplicatorThread(database, bucket: bucket, dir: dir, settings: ReplicationSettings(interval: Self.interval)) {
            _ in stop.current
        }
        let start = Date()
        while Date().timeIntervalSince(start) < 8 {
            times.append(try commit(times.count + 1, on: app))
            Thread.sleep(forTimeInterval: 0.01)
        }
        Thread.sleep(forTimeInterval: 1.5)
        stop.with { $0 = true }
        thread.join()
        #expect(thread.failure.current == nil)

        let backend = try settings.backend(bucket: bucket, prefix: "r")
        let generation = try #require(ReplicaLayout(source: "app").generations(in: try backend.list(prefix: "replica/app/", recursive: true)).first)
        let first = try Segment.decode(try backend.load(generation.chain[0].name, range: nil), name: generation.chain[0].name).header.commitTime
        var worstLag = 0.0
        for step in 0..<10 {
            let target = first.addingTimeInterval(0.2 + Double(step) * 0.5)
            let file = dir.file("at-\(step).db")
            _ = try restoreReplica(source: "app", from: backend, to: .time(target), into: file, workFolder: dir.url)
            let n = Int(try content(of: file).max)
            guard n < times.count else { continue }
            let lag = target.timeIntervalSince(times[n])
            worstLag = max(worstLag, lag)
            let late = target.timeIntervalSince(first)
            #expect(lag < Self.interval + Self.slack, "at +\(late) s after segment 0: row \(n + 1), begun \(lag) s before, is missing")
        }
        print("upload outage at a generation's start: worst lag " + String(format: "%.2f s", worstLag))
        withExtendedLifetime(app) {}
    }

    /// A stop (SIGTERM) while uploads hang: `run` waits for the queued segments, so everything committed before the
    /// stop is stored when it returns.
    @Test func aStopDuringAnOutageShipsWhatIsQueuedBeforeReturning() throws {
        let dir = try TempDir("repl-outage")
        let bucket = try OSSEmulator.freshBucket("outagestop")
        let settings = OSSSettings(environment: try OSSEmulator.cliEnvironment())
        let database = dir.file("app.db")
        let app = try makeAppDatabase(database.path)
        let stop = Locked(false)
        let thread = try OSSReplicatorThread(database, bucket: bucket, dir: dir, settings: ReplicationSettings(interval: Self.interval)) {
            _ in stop.current
        }
        var n = 0
        let start = Date()
        var faulted = false
        while Date().timeIntervalSince(start) < 4 {
            if !faulted, Date().timeIntervalSince(start) >= 2 {
                try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "slow", "seconds": 3, "times": 1])
                faulted = true
            }
            n += 1
            _ = try commit(n, on: app)
            Thread.sleep(forTimeInterval: 0.01)
        }
        // Stopped while the slow upload still hangs and later segments wait behind it.
        let stopped = Date()
        stop.with { $0 = true }
        thread.join()
        #expect(thread.failure.current == nil)
        #expect(Date().timeIntervalSince(stopped) < 30)
        let backend = try settings.backend(bucket: bucket, prefix: "r")
        let latest = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("latest.db"),
                                                         workFolder: dir.url).file)
        #expect(latest.count == Int64(n) && latest.max == Int64(n) && latest.total == latest.sum)
        withExtendedLifetime(app) {}
    }
}
