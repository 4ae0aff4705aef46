import Archive
import Foundation
import LibPQ
import Logging

/// The worker connections of a `--jobs N` restore: N threads, each with its own connection (and, for
/// table data, its own stream of the script), running `ParallelStep`s handed over by the main connection.
///
/// A step waits while an earlier step that shares a table is pending or running, so steps on one table run
/// one at a time and in script order, and two statements never wait on each other's locks (no deadlock
/// between foreign keys that point at each other's tables). Among the steps that may start, a free worker takes
/// the largest table's data first (longest first keeps the workers busy until the end, whatever the order of the
/// tables in the script), else the earliest step. The first failure stops the pool: running COPYs
/// stop at their next chunk, running statements are cancelled, and `submit`/`barrier` throw it.
///
/// Memory: each worker holds its script stream (about `chunkSize` plus the decompressor) and one statement.
/// - Important: `submit`, `barrier`, `addSetting` and `stop` are called from one thread (the restore's).
final class RestoreWorkers {
    /// A step to run, with what it needs from the script.
    struct Task: Sendable {
        var sql: String
        var line: Int
        var step: ParallelStep
        /// For COPY: where its data lies in the uncompressed script (from the check pass).
        var copyData: Range<Int64>?
        /// For COPY: where its data starts in the spool, when the check pass wrote one.
        var spoolOffset: Int64?
    }

    private let shared: Shared
    private var threads = 0

    /// Starts `jobs` workers against `url`; `open` gives each COPY worker its own stream of the script.
    init(url: String, jobs: Int, maintenanceWorkMem: String?, lockTimeout: String?, fileName: String, logger: Logger,
         spool: CopySpool?, open: @escaping @Sendable () throws -> any ByteSource) {
        shared = Shared(url: url, maintenanceWorkMem: maintenanceWorkMem, lockTimeout: lockTimeout, fileName: fileName,
                        logger: logger, spool: spool, open: open)
        for index in 0..<max(1, jobs) {
            let shared = self.shared
            let thread = Thread { shared.work() }
            thread.name = "vaultops.restore-\(index + 1)"
            shared.started()
            thread.start()
            threads += 1
        }
    }

    deinit { shared.stop() }

    /// A session setting (`SET …`) every worker applies before its next step, as the main connection did.
    func addSetting(_ sql: String) { shared.addSetting(sql) }

    /// Queues `tasks` together (so that a free worker chooses among all of them); throws the pool's first
    /// failure instead once there is one.
    func submit(_ tasks: [Task]) throws { try shared.submit(tasks) }

    /// Waits until every queued step has finished; returns the rows loaded per table and the statements run
    /// since the last barrier, or throws the first failure.
    func barrier() throws -> (rows: [String: Int64], statements: Int) { try shared.barrier() }

    /// Stops the workers (cancelling what runs) and waits until their connections are closed.
    func stop() { shared.stop() }

    /// What a signal calls from another thread: fails the pool (cancelling what runs), so that the restore's thread,
    /// in `barrier` or `submit`, stops and undoes the restore.
    func stopper(file: String) -> @Sendable () -> Void {
        let shared = self.shared
        return { shared.fail(PostgresRestoreError(kind: .interrupted, message: "stopped by a signal", file: file)) }
    }

    /// The queue and the workers' state, shared between the restore's thread and the workers.
    private final class Shared: @unchecked Sendable {
        // Safety: every `var` below is read and written only with `condition` locked. The workers' connections
        // and script streams are local to their threads. `url`, `fileName`, `logger`, `maintenanceWorkMem`, `lockTimeout`, `spool`
        // and `open` are immutable and Sendable.
        let url: String
        let maintenanceWorkMem: String?
        let lockTimeout: String?
        let fileName: String
        let logger: Logger
        let open: @Sendable () throws -> any ByteSource
        let spool: CopySpool?
        private let condition = NSCondition()
        private var pending: [Task] = []
        private var running = 0
        private var busy: Set<QualifiedName> = []
        private var settings: [String] = []
        private var failure: PostgresRestoreError?
        private var stopped = false
        private var alive = 0
        private var cancels: [ObjectIdentifier: CancelToken] = [:]
        private var rows: [String: Int64] = [:]
        private var statements = 0

        init(url: String, maintenanceWorkMem: String?, lockTimeout: String?, fileName: String, logger: Logger, spool: CopySpool?,
             open: @escaping @Sendable () throws -> any ByteSource) {
            self.lockTimeout = lockTimeout
            self.spool = spool
            self.url = url
            self.maintenanceWorkMem = maintenanceWorkMem
            self.fileName = fileName
            self.logger = logger
            self.open = open
        }

        func started() {
            condition.lock()
            alive += 1
            condition.unlock()
        }

        func addSetting(_ sql: String) {
            condition.lock()
            settings.append(sql)
            condition.unlock()
        }

        func submit(_ tasks: [Task]) throws {
            condition.lock()
            defer { condition.unlock() }
            if let failure { throw failure }
            pending.append(contentsOf: tasks)
            condition.broadcast()
        }

        func barrier() throws -> (rows: [String: Int64], statements: Int) {
            condition.lock()
            defer { condition.unlock() }
            while failure == nil && (!pending.isEmpty || running > 0) {
                if alive == 0 {
                    failure = PostgresRestoreError(kind: .io, message: "internal: the restore workers ended with work queued", file: fileName)
                    break
                }
                condition.wait()
            }
            if let failure { throw failure }
            let done = (rows, statements)
            rows = [:]
            statements = 0
            return done
        }

        /// Makes `error` the pool's failure (unless there is one) and cancels what the workers run.
        func fail(_ error: PostgresRestoreError) {
            condition.lock()
            if failure == nil && !stopped {
                failure = error
                for token in cancels.values { token.cancel() }
            }
            condition.broadcast()
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopped = true
            for token in cancels.values { token.cancel() }
            condition.broadcast()
            while alive > 0 { condition.wait() }
            condition.unlock()
        }

        /// Whether the pool is stopping (a COPY checks between chunks).
        private var shouldStop: Bool {
            condition.lock()
            defer { condition.unlock() }
            return stopped || failure != nil
        }

        /// The next task this worker may start (no earlier or running task shares a table with it; the most data
        /// first), taken off the queue.
        private func takeRunnable() -> Task? {
            var blocked = busy
            var best: (index: Int, size: Int64)?
            for (index, task) in pending.enumerated() {
                if task.step.tables.allSatisfy({ !blocked.contains($0) }) {
                    let size = task.copyData.map { $0.upperBound - $0.lowerBound } ?? 0
                    if best == nil || size > best!.size { best = (index, size) }
                }
                blocked.formUnion(task.step.tables)
            }
            guard let best else { return nil }
            let task = pending.remove(at: best.index)
            busy.formUnion(task.step.tables)
            running += 1
            return task
        }

        /// A worker thread's loop.
        func work() {
            let worker = Worker(shared: self)
            condition.lock()
            while !stopped && failure == nil {
                guard let task = takeRunnable() else {
                    condition.wait()
                    continue
                }
                let newSettings = Array(settings[worker.appliedSettings...])
                condition.unlock()
                let outcome: Result<Int64?, PostgresRestoreError>
                do {
                    outcome = .success(try worker.run(task, settings: newSettings))
                } catch {
                    outcome = .failure(error)
                }
                condition.lock()
                running -= 1
                busy.subtract(task.step.tables)
                switch outcome {
                case .success(let loaded):
                    statements += 1
                    if let loaded, case .data = task.step.phase {
                        rows[task.step.tables[0].description, default: 0] += loaded
                    }
                case .failure(let error):
                    if failure == nil && !stopped {
                        failure = error
                        // The first failure ends the restore: cancel what the other workers run.
                        for token in cancels.values { token.cancel() }
                    }
                }
                condition.broadcast()
            }
            condition.unlock()
            worker.close()
            condition.lock()
            alive -= 1
            condition.broadcast()
            condition.unlock()
        }

        func register(_ worker: ObjectIdentifier, cancel: CancelToken?) {
            condition.lock()
            cancels[worker] = cancel
            condition.unlock()
        }

        var isStopping: Bool { shouldStop }
    }

    /// One worker's connection and script stream; lives on its thread only.
    private final class Worker {
        unowned let shared: Shared
        private var connection: Connection?
        private var stream: (any ByteSource)?
        private var streamOffset: Int64 = 0
        private var buffer: UnsafeMutableRawBufferPointer?
        private(set) var appliedSettings = 0

        init(shared: Shared) { self.shared = shared }

        deinit { buffer?.deallocate() }

        func close() {
            shared.register(ObjectIdentifier(self), cancel: nil)
            connection = nil
            stream = nil
        }

        /// Runs `task`; returns the rows a COPY loaded.
        func run(_ task: Task, settings: [String]) throws(PostgresRestoreError) -> Int64? {
            do {
                let connection = try connected()
                for setting in settings {
                    _ = try connection.execute(setting)
                    appliedSettings += 1
                }
                guard let range = task.copyData else {
                    _ = try connection.execute(task.sql)
                    return nil
                }
                if let spool = shared.spool, let start = task.spoolOffset {
                    return try copyFromSpool(spool, at: start, count: range.upperBound - range.lowerBound, task: task, into: connection)
                }
                try seek(to: range.lowerBound)
                let buffer = self.buffer!
                return try connection.copyIn(task.sql) { writer in
                    var left = range.upperBound - range.lowerBound
                    while left > 0 {
                        if shared.isStopping {
                            throw PostgresRestoreError(kind: .io, message: "stopped", file: shared.fileName)
                        }
                        let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(Int64(buffer.count), left))]))
                        guard n > 0 else {
                            throw PostgresRestoreError(kind: .truncated, message: "the script ended inside the COPY data after line \(task.line) on a second read",
                                                       file: shared.fileName, line: task.line)
                        }
                        try writer.write(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                        left -= Int64(n)
                    }
                }
            } catch let error as PostgresRestoreError {
                throw error
            } catch let error as PostgresError {
                let kind: PostgresRestoreError.Kind = error.kind == .connectionLost ? .connectionLost : .statementFailed
                throw PostgresRestoreError(kind: kind, message: error.message, file: shared.fileName, line: task.line,
                                           statement: task.sql, underlying: error)
            } catch {
                throw PostgresRestoreError(kind: .io, message: "\(error)", file: shared.fileName, line: task.line)
            }
        }

        /// Loads `count` bytes of COPY data from `spool` at `start`.
        private func copyFromSpool(_ spool: CopySpool, at start: Int64, count: Int64, task: Task, into connection: Connection) throws -> Int64 {
            if buffer == nil { buffer = .allocate(byteCount: 1 << 20, alignment: 16) }
            let buffer = self.buffer!
            return try connection.copyIn(task.sql) { writer in
                var done: Int64 = 0
                while done < count {
                    if shared.isStopping {
                        throw PostgresRestoreError(kind: .io, message: "stopped", file: shared.fileName)
                    }
                    let n = try spool.read(at: start + done, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(Int64(buffer.count), count - done))]))
                    guard n > 0 else {
                        throw PostgresRestoreError(kind: .io, message: "the temporary copy of the table data ends early", file: shared.fileName, line: task.line)
                    }
                    try writer.write(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                    done += Int64(n)
                }
            }
        }

        private func connected() throws -> Connection {
            if let connection { return connection }
            let connection = try Connection(shared.url, logger: shared.logger)
            if let memory = shared.maintenanceWorkMem {
                _ = try connection.query("SELECT pg_catalog.set_config('maintenance_work_mem', $1, false)", [memory])
            }
            if let timeout = shared.lockTimeout {
                _ = try connection.query("SELECT pg_catalog.set_config('lock_timeout', $1, false)", [timeout])
            }
            shared.register(ObjectIdentifier(self), cancel: try? connection.cancelToken())
            self.connection = connection
            return connection
        }

        private func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = try stream!.read(into: target)
            streamOffset += Int64(n)
            return n
        }

        /// Positions the worker's stream at `offset` of the uncompressed script, reopening it to go back.
        private func seek(to offset: Int64) throws {
            if buffer == nil { buffer = .allocate(byteCount: 1 << 20, alignment: 16) }
            if stream == nil || streamOffset > offset {
                stream = nil
                stream = try shared.open()
                streamOffset = 0
            }
            let buffer = self.buffer!
            while streamOffset < offset {
                let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(Int64(buffer.count), offset - streamOffset))]))
                guard n > 0 else {
                    throw PostgresRestoreError(kind: .truncated, message: "the script ended before offset \(offset) on a second read",
                                               file: shared.fileName)
                }
            }
        }
    }
}

@available(*, unavailable)
extension RestoreWorkers: Sendable {}
