import Foundation

/// Writes into another sink on a thread of its own, so that the work behind it (encryption, hashing, the file
/// write) overlaps with the writer's (dumping, parallel compression).
///
/// The mirror of `ReadAheadSource`: `write` copies into one of `depth` buffers of `chunkSize` bytes and, when it
/// is full, queues it; one consumer thread writes the queued buffers in order into the wrapped sink and hands
/// them back. Memory is bounded by `depth × chunkSize` whatever the size of the stream. `finish()` queues what is
/// left, waits until the consumer has written everything, runs the `finish` closure there, and reports the first
/// error of the wrapped sink. After such an error later writes throw it too (bytes queued after it are dropped).
///
/// - Important: The wrapped sink, the `finish` closure and whatever they write to are owned by the consumer thread
///   from `init` until `finish()` or `cancel()` returns; the caller must not touch them in between. `write` is
///   called from one thread at a time. Dropping the sink without `finish()` cancels: the consumer stops after
///   the write it is in and `deinit` waits for it.
public final class WriteBehindSink: ByteSink {
    private let shared: Shared
    private let chunkSize: Int
    /// The buffer being filled and how far.
    private var current: (index: Int, count: Int)?
    private var closed = false

    /// Starts writing into `sink` behind the caller, at most `depth` chunks of `chunkSize` bytes queued; `finish`
    /// runs on the consumer thread after the last byte (to end the wrapped sink's stream there).
    public init(_ sink: any ByteSink, chunkSize: Int = 1 << 20, depth: Int = 4, finish: (() throws -> Void)? = nil) {
        self.chunkSize = max(chunkSize, 1)
        shared = Shared(chunkSize: self.chunkSize, depth: max(depth, 2))
        let box = SinkBox(sink, finish: finish)
        let shared = self.shared
        let thread = Thread { shared.consume(box) }
        thread.name = "vaultops.write-behind"
        thread.start()
    }

    deinit {
        shared.stop()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !closed else { throw ArchiveError.misuse("write to a WriteBehindSink after finish() or cancel()") }
        var offset = 0
        while offset < bytes.count {
            let (index, count) = try current ?? (shared.takeFree(), 0)
            let n = min(chunkSize - count, bytes.count - offset)
            UnsafeMutableRawBufferPointer(rebasing: shared.buffers[index][count..<(count + n)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            offset += n
            if count + n == chunkSize {
                shared.queue(.chunk(index: index, count: chunkSize))
                current = nil
            } else {
                current = (index, count + n)
            }
        }
    }

    /// Queues what is left, waits until the consumer has written it and run `finish`, and throws the first error.
    public func finish() throws {
        guard !closed else { throw ArchiveError.misuse("WriteBehindSink.finish() called twice or after cancel()") }
        closed = true
        if let (index, count) = current {
            shared.queue(count > 0 ? .chunk(index: index, count: count) : .unused(index))
            current = nil
        }
        shared.queue(.end)
        try shared.waitUntilDone()
    }

    /// Stops the consumer after the write it is in and waits for it; nothing more is written (`finish` does not run).
    public func cancel() {
        closed = true
        shared.stop()
    }

    /// The wrapped sink and its finishing step, moved to the consumer thread.
    private final class SinkBox: @unchecked Sendable {
        // Safety: the caller of `WriteBehindSink.init` hands both over and, by the type's contract, does not use them
        // (or what they write to) until `finish()` or `cancel()` has returned, which waits for the consumer to let
        // go of them; only the consumer thread touches them in between.
        var sink: (any ByteSink)?
        var finish: (() throws -> Void)?
        init(_ sink: any ByteSink, finish: (() throws -> Void)?) {
            self.sink = sink
            self.finish = finish
        }
    }

    private enum Item {
        case chunk(index: Int, count: Int)
        /// A buffer taken but left empty, handed back.
        case unused(Int)
        case end
    }

    /// The buffers and the two queues between the writer and the consumer.
    private final class Shared: @unchecked Sendable {
        // Safety: `free`, `queued`, `failure`, `stopped` and `consumerDone` are only read and written with
        // `condition` locked. A buffer's bytes are written by the writer only while its index is out of `free` and
        // not yet in `queued`, and read by the consumer only after taking its index from `queued` and before giving
        // it back to `free`; the lock hand-offs order those accesses.
        let buffers: [UnsafeMutableRawBufferPointer]
        private let condition = NSCondition()
        private var free: [Int]
        private var queued: [Item] = []
        private var failure: (any Error)?
        private var stopped = false
        private var consumerDone = false

        init(chunkSize: Int, depth: Int) {
            buffers = (0..<depth).map { _ in .allocate(byteCount: chunkSize, alignment: 16) }
            free = Array(0..<depth)
        }

        deinit {
            for buffer in buffers { buffer.deallocate() }
        }

        /// The consumer thread's loop: write each queued buffer, give it back, until the end or a stop.
        func consume(_ box: SinkBox) {
            while let item = takeQueued() {
                switch item {
                case .chunk(let index, let count):
                    if !hasFailed, let sink = box.sink {
                        do {
                            try sink.write(UnsafeRawBufferPointer(rebasing: buffers[index][..<count]))
                        } catch {
                            fail(error)
                        }
                    }
                    giveBack(index)
                case .unused(let index):
                    giveBack(index)
                case .end:
                    if !hasFailed, let finish = box.finish {
                        do { try finish() } catch { fail(error) }
                    }
                }
                if case .end = item { break }
            }
            // Released here, before `stop()` or `waitUntilDone()` return, so the caller may use what they wrote to.
            box.sink = nil
            box.finish = nil
            condition.lock()
            consumerDone = true
            condition.broadcast()
            condition.unlock()
        }

        private var hasFailed: Bool {
            condition.lock()
            defer { condition.unlock() }
            return failure != nil
        }

        private func fail(_ error: any Error) {
            condition.lock()
            if failure == nil { failure = error }
            condition.broadcast()
            condition.unlock()
        }

        /// The next queued item, or nil once stopped.
        private func takeQueued() -> Item? {
            condition.lock()
            defer { condition.unlock() }
            while queued.isEmpty && !stopped { condition.wait() }
            return stopped ? nil : queued.removeFirst()
        }

        /// A free buffer for the writer; throws the consumer's error once there is one.
        func takeFree() throws -> Int {
            condition.lock()
            defer { condition.unlock() }
            while free.isEmpty && failure == nil { condition.wait() }
            if let failure { throw failure }
            return free.removeFirst()
        }

        func queue(_ item: Item) {
            condition.lock()
            queued.append(item)
            condition.broadcast()
            condition.unlock()
        }

        private func giveBack(_ index: Int) {
            condition.lock()
            free.append(index)
            condition.broadcast()
            condition.unlock()
        }

        /// Waits until the consumer has handled the end; throws its first error.
        func waitUntilDone() throws {
            condition.lock()
            defer { condition.unlock() }
            while !consumerDone { condition.wait() }
            if let failure { throw failure }
        }

        /// Tells the consumer to stop and waits until it has let go of the sink.
        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            while !consumerDone { condition.wait() }
            condition.unlock()
        }
    }
}

@available(*, unavailable)
extension WriteBehindSink: Sendable {}
