import Foundation
import Replication
import SQLite
import SQLiteSnapshot
import Storage
import Testing
import TestSupport

@Suite(.serialized) struct ReplicationMonitorTests {
    @Test("pendingSince: nothing waiting clears it; what waits is dated from the last clear sample or the last ship")
    func pendingSinceRules() {
        let t = Date(timeIntervalSince1970: 1_000_000)
        func at(_ s: Double) -> Date { t.addingTimeInterval(s) }
        let cases: [(previous: Date?, waiting: Bool, shipped: Date?, clear: Date, expected: Date?)] = [
            (nil, false, at(5), at(10), nil),           // idle: not lagging, however old the last shipped commit
            (at(3), false, at(5), at(10), nil),         // caught up
            (nil, true, at(5), at(10), at(10)),         // new commits since the last clear sample
            (nil, true, at(12), at(10), at(12)),        // a ship after that sample: older commits went with it
            (at(10), true, at(5), at(20), at(10)),      // still waiting, nothing shipped: the episode's start stays
            (at(10), true, at(15), at(20), at(15)),     // shipped at 15 but more came: waiting since 15
            (nil, true, nil, at(0), at(0)),             // no generation yet: everything waits since the start
            (at(0), false, nil, at(0), at(0)),
        ]
        for c in cases {
            #expect(ReplicationLag.pendingSince(previous: c.previous, waiting: c.waiting, lastShipped: c.shipped, lastClear: c.clear)
                    == c.expected, "\(c)")
        }
    }

    /// A real database and replicator, passes by hand and the monitor sampled at chosen times: an idle database is
    /// never lagging; commits that wait raise one alert per episode and one recovery; the state file says so.
    @Test func lagAlertsOncePerEpisodeAndRecovers() throws {
        let dir = try TempDir("repl-monitor")
        let app = try makeAppDatabase(dir.file("app.db").path)
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend, workFolder: dir.url)
        defer { replicator.close() }
        let job = ReplicationJob(source: "app", database: dir.file("app.db"), settings: ReplicationSettings(), alertLag: 60)
        let alerts = Locked<[ReplicationAlert]>([])
        let published = Locked<[[ReplicaState]]>([])
        // Whole seconds, so that the times read back from the state file (milliseconds) compare equal.
        let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.up))
        let monitor = ReplicationMonitor(
            jobs: [job],
            settings: ReplicationMonitoring(stateDir: dir.path, alert: { alert in alerts.with { $0.append(alert) } },
                                            publish: { states in published.with { $0.append(states) } }),
            started: start, host: "web-1")
        let progress = try #require(monitor.progress(of: "app"))
        func passAndReport() throws {
            try replicator.pass()
            progress.update(generation: replicator.generation, lastShipped: replicator.lastShipped)
        }
        func at(_ s: Double) -> Date { start.addingTimeInterval(s) }
        func state() throws -> ReplicaState {
            try #require(ReplicaState.load(from: ReplicaState.fileURL(stateDir: dir.path, source: "app")))
        }

        // Before the first generation: everything waits since the start.
        monitor.sample(now: at(10))
        #expect(try state().lagSeconds == 10 && state().generation == nil)

        try passAndReport()
        for n in 1...5 { _ = try commit(n, on: app) }
        try passAndReport()
        monitor.sample(now: at(20))
        #expect(try state().lagSeconds == 0)
        // Idle for an hour: nothing to ship, so no lag.
        monitor.sample(now: at(3600))
        #expect(alerts.current.isEmpty)

        // Commits that the replicator does not ship (it hangs, OSS is down): the lag counts from the last clear sample.
        // A moment after the pass: file times come from the kernel's coarse clock (a few ms behind).
        Thread.sleep(forTimeInterval: 0.05)
        for n in 6...8 { _ = try commit(n, on: app) }
        monitor.sample(now: at(3601))
        monitor.sample(now: at(3640))
        #expect(alerts.current.isEmpty)
        monitor.sample(now: at(3700))
        monitor.sample(now: at(3800))
        #expect(alerts.current.map(\.event) == [.lagging])
        #expect(alerts.current.first?.lagSeconds == 100 && alerts.current.first?.source == "app")
        #expect(alerts.current.first?.title.contains("replication of app is 1m40s behind (alert_lag 1m00s)") == true)
        var written = try state()
        #expect(written.alerting && written.lagSeconds == 200 && written.pendingSince == at(3600))

        // Shipped: caught up, one recovery.
        try passAndReport()
        monitor.sample(now: at(3801))
        monitor.sample(now: at(3900))
        #expect(alerts.current.map(\.event) == [.lagging, .recovered])
        written = try state()
        #expect(!written.alerting && written.lagSeconds == 0 && written.pendingSince == nil && !written.stopped)
        #expect(written.pid == getpid() && written.host == "web-1" && written.generation == replicator.generation)
        #expect(abs((written.lastShippedCommit ?? .distantPast).timeIntervalSince(replicator.lastShipped ?? .distantFuture)) < 0.002)

        // The state file is the owner's only, and the metrics callback saw each write.
        let mode = try FileManager.default.attributesOfItem(atPath: ReplicaState.fileURL(stateDir: dir.path, source: "app").path)[.posixPermissions]
        #expect((mode as? NSNumber)?.intValue == 0o600)
        monitor.finish(now: at(3901))
        #expect(try state().stopped)
        #expect(published.current.last?.first?.stopped == true)
    }

    @Test("health: running, stalled, not running, stopped and never started, judged from the state file")
    func healthFromTheStateFile() {
        let now = Date(timeIntervalSince1970: 2_000_000)
        func state(heartbeatAgo: Double, pending: Double? = nil, stopped: Bool = false, host: String = "web-1") -> ReplicaState {
            ReplicaState(source: "app", pid: 4242, host: host, startedAt: now.addingTimeInterval(-9000),
                         heartbeat: now.addingTimeInterval(-heartbeatAgo), heartbeatEverySeconds: 5, generation: "g",
                         lastShippedCommit: now.addingTimeInterval(-500), pendingSince: pending.map { now.addingTimeInterval(-$0) },
                         lagSeconds: 0, alertLagSeconds: 60, alerting: false, stopped: stopped)
        }
        func judge(_ s: ReplicaState?, alive: Bool) -> ReplicatorHealth {
            ReplicatorHealth.judge(source: "app", state: s, alertLag: 60, now: now, host: "web-1", isAlive: { _ in alive })
        }
        var h = judge(state(heartbeatAgo: 3), alive: true)
        #expect(h.state == "running" && h.running && h.lagSeconds == 0 && !h.lagging, "\(h)")
        h = judge(state(heartbeatAgo: 3, pending: 90), alive: true)
        #expect(h.running && h.lagSeconds == 90 && h.lagging && h.detail.contains("lag 1m30s"))
        h = judge(state(heartbeatAgo: 600), alive: true)
        #expect(h.state == "stalled" && !h.running && h.lagSeconds == 600 && h.detail.contains("pid 4242"))
        h = judge(state(heartbeatAgo: 3), alive: false)
        #expect(h.state == "not running" && !h.running && h.detail.contains("pid 4242 is gone"))
        // Another host (a container with its own pids): the heartbeat alone decides.
        h = judge(state(heartbeatAgo: 3, host: "other"), alive: false)
        #expect(h.running)
        h = judge(state(heartbeatAgo: 120, stopped: true), alive: false)
        #expect(h.state == "stopped" && !h.running && h.lagSeconds == 120)
        h = judge(nil, alive: false)
        #expect(h.state == "never started" && !h.running && h.lagSeconds == nil)
    }

    /// Two replicators of one source: the second is refused at once, naming the first's pid; the first's state file
    /// has its heartbeat, then says stopped after SIGTERM's equivalent.
    @Test func aSecondReplicatorOfTheSourceIsRefusedNamingTheHolder() throws {
        let dir = try TempDir("repl-lock")
        let app = try makeAppDatabase(dir.file("app.db").path)
        for n in 1...3 { _ = try commit(n, on: app) }
        let job = ReplicationJob(source: "app", database: dir.file("app.db"), settings: ReplicationSettings(interval: 0.2))
        let destination = dir.file("dest").path
        let stop = StopRequest()
        let failure = Locked<String?>(nil)
        let stateDir = dir.path
        let first = TestThread {
            do {
                try ReplicationService.run([job], destination: { LocalFolderBackend(path: destination) }, stop: stop,
                                           monitoring: ReplicationMonitoring(stateDir: stateDir, sampleEvery: 0.1, writeEvery: 0.2),
                                           log: { _ in })
            } catch {
                failure.with { $0 = "\(error)" }
            }
        }
        let stateURL = ReplicaState.fileURL(stateDir: dir.path, source: "app")
        // Generous: a loaded machine may take a while to start the thread and the first generation.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ReplicaState.load(from: stateURL)?.generation == nil { Thread.sleep(forTimeInterval: 0.1) }
        #expect(ReplicaState.load(from: stateURL)?.generation != nil)

        #expect {
            try ReplicationService.run([job], destination: { LocalFolderBackend(path: destination) }, stop: StopRequest(),
                                       monitoring: ReplicationMonitoring(stateDir: stateDir), log: { _ in })
        } throws: { error in
            guard let error = error as? ReplicationError else { return false }
            return error.kind == .locked && error.message.contains("pid \(getpid())") && error.message.contains("vaultops replicate")
                && error.message.contains(".vaultops-replicate-app.lock")
        }

        // Committed just before the stop: the last pass ships them.
        for n in 4...6 { _ = try commit(n, on: app) }
        stop.request()
        first.join()
        #expect(failure.current == nil)
        let final = try #require(ReplicaState.load(from: stateURL))
        #expect(final.stopped && final.pid == getpid() && final.lastShippedCommit != nil)
        let restored = try content(of: try restoreReplica(source: "app", from: LocalFolderBackend(path: destination), to: .latest,
                                                           into: dir.file("r.db"), workFolder: dir.url).file)
        #expect(restored.count == 6)
    }

    /// The nightly snapshot (VACUUM INTO under a read transaction) of a database that the replicator pins: both go
    /// on, the snapshot is whole, and the replicator keeps its generation (nothing restarted or replaced the WAL).
    @Test func aNightlySnapshotDoesNotDisturbTheReplicator() throws {
        let dir = try TempDir("repl-snapshot")
        let app = try makeAppDatabase(dir.file("app.db").path)
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend, workFolder: dir.url)
        defer { replicator.close() }
        try replicator.pass()
        for n in 1...100 { _ = try commit(n, on: app) }
        try replicator.pass()

        // While the replicator holds its read transaction: a writer on its own thread, and the snapshot.
        let writing = TestThread {
            guard let db = try? makeAppDatabase(dir.file("app.db").path) else { return }
            for n in 101...300 { _ = try? commit(n, on: db) }
        }
        let info = try snapshot(of: dir.file("app.db"), into: dir.file("nightly.db"))
        writing.join()
        #expect((info.rowCounts["t"] ?? 0) >= 100)
        try integrityCheck(path: dir.file("nightly.db").path)

        for n in 301...320 { _ = try commit(n, on: app) }
        try replicator.pass()
        #expect(replicator.startedGenerations.count == 1)
        let restored = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r.db"),
                                                           workFolder: dir.url).file)
        let live = try content(of: dir.file("app.db"))
        #expect(restored.count == 320 && restored.total == live.total && restored.max == 320)
        #expect(try verifyReplica(source: "app", on: backend).allSatisfy(\.isHealthy))
    }

    @Test func rangesPerGenerationForBackups() throws {
        let dir = try TempDir("repl-ranges")
        let app = try makeAppDatabase(dir.file("app.db").path)
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend, workFolder: dir.url)
        defer { replicator.close() }
        let before = Date()
        try replicator.pass()
        for batch in 0..<3 {
            for n in (batch * 5 + 1)...(batch * 5 + 5) { _ = try commit(n, on: app) }
            try replicator.pass()
        }
        let ranges = try replicaRanges(source: "app", on: backend)
        #expect(ranges.count == 1)
        let range = try #require(ranges.first)
        #expect(range.generation == replicator.generation && range.segments == 4 && range.restorable && range.bytes > 0)
        let first = try #require(range.firstCommit), last = try #require(range.lastCommit)
        #expect(first >= before.addingTimeInterval(-1) && first <= last)
        // Segments store milliseconds.
        #expect(abs(last.timeIntervalSince(try #require(replicator.lastShipped))) < 0.002)
    }

    /// The replicator's own alert, end to end on its threads: segments cannot be stored (the generation's wal/ folder
    /// is replaced by a file), commits wait, the lag passes alert_lag and the alert fires; once they can be stored
    /// again the recovery follows, and nothing was lost. Alerts always alternate: one per episode.
    @Test func theRunningReplicatorAlertsWhenItCannotShipAndRecovers() throws {
        let dir = try TempDir("repl-alert")
        let app = try makeAppDatabase(dir.file("app.db").path)
        for n in 1...3 { _ = try commit(n, on: app) }
        let job = ReplicationJob(source: "app", database: dir.file("app.db"), settings: ReplicationSettings(interval: 0.2), alertLag: 1)
        let destination = dir.file("dest").path
        let alerts = Locked<[ReplicationAlert.Event]>([])
        let stop = StopRequest()
        let stateDir = dir.path
        let replicating = TestThread {
            try? ReplicationService.run([job], destination: { LocalFolderBackend(path: destination) }, stop: stop,
                                        monitoring: ReplicationMonitoring(stateDir: stateDir, alert: { alert in alerts.with { $0.append(alert.event) } },
                                                                          sampleEvery: 0.1, writeEvery: 0.2),
                                        log: { _ in })
        }
        // Should an expectation throw, the replicator still stops (and its thread ends on its own).
        defer { stop.request() }
        func waitFor(_ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(90)
            while Date() < deadline, !condition() { Thread.sleep(forTimeInterval: 0.1) }
            return condition()
        }
        let stateURL = ReplicaState.fileURL(stateDir: dir.path, source: "app")
        #expect(waitFor { ReplicaState.load(from: stateURL)?.generation != nil })
        let generation = try #require(ReplicaState.load(from: stateURL)?.generation)
        let wal = URL(fileURLWithPath: destination).appendingPathComponent("replica/app/\(generation)/wal")
        #expect(waitFor { FileManager.default.fileExists(atPath: wal.path) })

        // Break the destination, then commit: the commits wait.
        try FileManager.default.moveItem(at: wal, to: wal.appendingPathExtension("saved"))
        try Data().write(to: wal)
        for n in 4...6 { _ = try commit(n, on: app) }
        // The alarm is up (a loaded machine may have raised it a moment earlier already: then it stays up).
        #expect(waitFor { alerts.current.last == .lagging && (ReplicaState.load(from: stateURL)?.lagSeconds ?? 0) > 1 },
                "\(alerts.current)")

        // Repaired: shipped at the next pass, one recovery.
        let repaired = alerts.current.count
        try FileManager.default.removeItem(at: wal)
        try FileManager.default.moveItem(at: wal.appendingPathExtension("saved"), to: wal)
        #expect(waitFor { alerts.current.dropFirst(repaired).contains(.recovered) }, "\(alerts.current)")
        stop.request()
        replicating.join()

        let events = alerts.current
        #expect(events.enumerated().allSatisfy { $0.element == ($0.offset % 2 == 0 ? .lagging : .recovered) }, "\(events)")
        let restored = try content(of: try restoreReplica(source: "app", from: LocalFolderBackend(path: destination), to: .latest,
                                                           into: dir.file("r.db"), workFolder: dir.url).file)
        #expect(restored.count == 6)
        #expect(try verifyReplica(source: "app", on: LocalFolderBackend(path: destination)).allSatisfy(\.isHealthy))
    }
}
