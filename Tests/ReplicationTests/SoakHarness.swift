import Foundation
import Replication
import SQLite
import Storage
import Testing
import TestSupport

/// The end-to-end setting of issue 24's test matrix: the app (Fixtures/replication/writer.py, a process of its own)
/// and `vaultops replicate` (the built binary) side by side on one database, replicating to the OSS emulator, so
/// that either can be killed with -9 and restarted.
final class SoakHarness {
    static let writerScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/replication/writer.py")

    let dir: TempDir
    let bucket: String
    let database: URL
    let commitLog: URL
    let config: URL
    let environment: [String: String]
    /// The library's view of the same destination (for listings, verify and restores at sub-second points).
    let backend: any StorageBackend
    private var replicatorLog: FileHandle
    private(set) var replicator: Process?
    private(set) var writer: Process?
    private var writerOutput: URL?

    init(label: String) throws {
        dir = try TempDir("repl-soak")
        bucket = try OSSEmulator.freshBucket(label)
        database = dir.file("app.db")
        commitLog = dir.file("commits.log")
        environment = try OSSEmulator.cliEnvironment()
        config = dir.file("vaultops.yml")
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        try Data("""
            backup_dir: \(dir.file("backups").path)
            sources:
              - name: app
                sqlite: \(database.path)
                replicate: { interval: 1s }
            oss:
              bucket: \(bucket)
              prefix: nightly/
              endpoint: ${OSS_ENDPOINT}
              region: ${OSS_REGION}
              access_key_id: ${OSS_ACCESS_KEY_ID}
              access_key_secret: ${OSS_ACCESS_KEY_SECRET}
            """.utf8).write(to: config)
        backend = try OSSSettings(environment: environment).backend(bucket: bucket, prefix: "nightly/")
        _ = FileManager.default.createFile(atPath: dir.file("replicate.log").path, contents: nil)
        replicatorLog = try FileHandle(forWritingTo: dir.file("replicate.log"))
        // The database exists, in WAL mode with its tables, before the replicator first looks at it.
        let r = try runProcess("python3", [Self.writerScript.path, database.path, commitLog.path, "--seconds", "0"])
        guard r.status == 0 else { throw TestSupportError("writer.py failed: \(r.stderr)") }
    }

    deinit {
        for process in [replicator, writer].compactMap({ $0 }) where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? replicatorLog.close()
    }

    /// What the replicators wrote to stderr so far (for failure messages).
    var replicatorMessages: String {
        (try? String(contentsOf: dir.file("replicate.log"), encoding: .utf8)) ?? ""
    }

    func startReplicator() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: vaultopsExecutable)
        process.arguments = ["replicate", "--config", config.path]
        // TMPDIR: its work folders (what a kill -9 leaves of them) stay in the test's folder.
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            .merging(["TMPDIR": dir.path]) { _, new in new }
        process.standardOutput = replicatorLog
        process.standardError = replicatorLog
        try process.run()
        replicator = process
    }

    /// kill -9 of the replicator; returns when it is gone.
    func killReplicator() {
        guard let replicator else { return }
        kill(replicator.processIdentifier, SIGKILL)
        replicator.waitUntilExit()
    }

    /// SIGTERM: the replicator ships what is committed and exits; returns its exit status.
    func stopReplicator() -> Int32 {
        guard let replicator else { return -1 }
        replicator.terminate()
        replicator.waitUntilExit()
        return replicator.terminationStatus
    }

    /// Starts the app committing at `rate` per second for `seconds` (continuing after the rows already there).
    func startWriter(seconds: Double, rate: Double = 200, truncateEvery: Int = 0) throws {
        let output = dir.file("writer-\(UUID().uuidString.prefix(6)).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.writerScript.path, database.path, commitLog.path, "--rate", "\(rate)",
                             "--seconds", "\(seconds)", "--truncate-every", "\(truncateEvery)"]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = replicatorLog
        try process.run()
        writer = process
        writerOutput = output
    }

    func killWriter() {
        guard let writer, writer.isRunning else { return }
        kill(writer.processIdentifier, SIGKILL)
        writer.waitUntilExit()
    }

    /// Waits for the writer to finish; returns the last n it committed.
    func waitForWriter() throws -> Int {
        guard let writer, let writerOutput else { throw TestSupportError("no writer was started") }
        writer.waitUntilExit()
        let text = try String(contentsOf: writerOutput, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard writer.terminationStatus == 0, let last = Int(text) else {
            throw TestSupportError("the writer exited \(writer.terminationStatus) printing '\(text)'")
        }
        return last
    }

    /// The time just before each transaction n began (the last line for n: an earlier one was killed before COMMIT).
    func commitTimes() throws -> [Int: Date] {
        var times: [Int: Date] = [:]
        for line in try String(contentsOf: commitLog, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let n = Int(parts[0]), let seconds = Double(parts[1]) else { continue }
            times[n] = Date(timeIntervalSince1970: seconds)
        }
        return times
    }

    /// The replica's generations as listed now.
    func generations() throws -> [ReplicaGeneration] {
        ReplicaLayout(source: "app").generations(in: try backend.list(prefix: "replica/app/", recursive: true))
    }

    /// Every segment of `generation`'s chain, decoded, in order.
    func segments(of generation: ReplicaGeneration) throws -> [Segment] {
        try generation.chain.map { try Segment.decode(try backend.load($0.name, range: nil), name: $0.name) }
    }

    /// Polls `condition` every half second for up to `timeout` seconds (generous: the machine may be loaded).
    func wait(upTo timeout: Double, for condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return try condition()
    }
}

/// What a soak run's restores are checked against: each commit's time, and when the replica could lag further
/// than one interval (a replicator killed and not yet restarted).
struct SoakRecord {
    var commitTimes: [Int: Date]
    var lastCommitted: Int
    /// Stretches during which no replicator shipped (from a kill -9 to the restarted one's first segment).
    var outages: [ClosedRange<Date>] = []
    /// The 10 s after each burst of upload faults, for reporting the lag there (checked like any other time).
    var faultBursts: [ClosedRange<Date>] = []
}

/// Where each segment of a chain starts must be where the one before ended (or the start of the next WAL after a
/// restart): no frame shipped twice, none skipped. Returns the problems found.
func chainBreaks(_ segments: [Segment]) -> [String] {
    var problems: [String] = []
    var end: (sequence: UInt32, salts: [UInt32], offset: Int64)?
    for segment in segments {
        let h = segment.header
        let frameSize = Int64(WALFrameHeader.size + h.pageSize)
        if let previous = end, h.frameCount > 0 || h.pageSize > 0 {
            let sameWAL = h.checkpointSequence == previous.sequence && [h.salt1, h.salt2] == previous.salts
            let continues = sameWAL ? h.startOffset == previous.offset
                : h.checkpointSequence == previous.sequence &+ 1 && h.startOffset == Int64(WALHeader.size)
            if !continues {
                problems.append("segment \(h.index) starts at WAL \(h.checkpointSequence)/\(h.startOffset); the one before ended at "
                    + "\(previous.sequence)/\(previous.offset)")
            }
        }
        if h.pageSize > 0 {
            end = (h.checkpointSequence, [h.salt1, h.salt2], h.startOffset + Int64(h.frameCount) * frameSize)
        }
    }
    return problems
}

/// How many times the chain moves on to a restarted WAL (checkpoint sequence + 1).
func walRestarts(_ segments: [Segment]) -> Int {
    let sequences = segments.filter { $0.header.pageSize > 0 }.map(\.header.checkpointSequence)
    return zip(sequences, sequences.dropFirst()).filter { $0 != $1 }.count
}
