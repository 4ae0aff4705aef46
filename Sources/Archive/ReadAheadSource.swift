import Foundation

/// Reads another source ahead on a thread of its own, so that its work (decompression, hashing) overlaps
/// with the consumer's (splitting statements, feeding the server).
///
/// One producer thread fills up to `depth` buffers of `chunkSize` bytes from the wrapped source and queues
/// them in order; `read(into:)` copies from the oldest and hands the emptied buffer back. Memory is bounded by
/// `depth × chunkSize` whatever the size of the stream. An error of the wrapped source is delivered after all
/// the bytes read before it, and again on every later read; the end of the stream is reported only after the
/// wrapped source itself reported it (so checks a source makes at its end, like a gzip trailer or a checksum,
/// come before the consumer sees the end).
///
/// - Important: The wrapped source is owned by the producer thread from `init` on and must not be used by
///   anyone else. `read(into:)` is called from one thread at a time. Dropping the reader stops the producer
///   (after the read it is in) and waits for it, so the wrapped source is gone when `deinit` returns.
public final class ReadAheadSource: ByteSource {
    private let shared: Shared
    /// The buffer being consumed and how far.
    private var current: (index: Int, count: Int, offset: Int)?
    private var finished: Result<Void, any Error>?

    /// Starts reading `source` ahead, at most `depth` chunks of `chunkSize` bytes.
    public init(_ source: sending any ByteSource, chunkSize: Int = 1 << 20, depth: Int = 4) {
        shared = Shared(chunkSize: max(chunkSize, 1), depth: max(depth, 2))
        let box = SourceBox(source)
        let shared = self.shared
        let thread = Thread { shared.produce(from: box) }
        thread.name = "vaultops.read-ahead"
        thread.start()
    }

    deinit {
        shared.stop()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        if current == nil {
            if let finished {
                try finished.get()
                return 0
            }
            switch shared.takeFilled() {
            case .chunk(let index, let count):
                current = (index, count, 0)
            case .end(let outcome):
                finished = outcome
                try outcome.get()
                return 0
            }
        }
        let (index, count, offset) = current!
        let n = min(buffer.count, count - offset)
        buffer.baseAddress!.copyMemory(from: UnsafeRawPointer(shared.buffers[index].baseAddress! + offset), byteCount: n)
        if offset + n == count {
            current = nil
            shared.giveBack(index)
        } else {
            current = (index, count, offset + n)
        }
        return n
    }

    /// The wrapped source, moved to the producer thread.
    private final class SourceBox: @unchecked Sendable {
        // Safety: `init` of ReadAheadSource takes the source as `sending` (the caller keeps no access to it), boxes it
        // and hands the box to the producer thread; from then on only the producer thread touches it (and lets go of it).
        var source: (any ByteSource)?
        init(_ source: any ByteSource) { self.source = source }
    }

    private enum Item {
        case chunk(index: Int, count: Int)
        case end(Result<Void, any Error>)
    }

    /// The buffers and the two queues between the producer and the consumer.
    private final class Shared: @unchecked Sendable {
        // Safety: `free`, `filled`, `stopped` and `producerDone` are only read and written with `condition`
        // locked. A buffer's bytes are written by the producer only while its index is out of `free` and not yet
        // in `filled`, and read by the consumer only after taking its index from `filled` and before returning
        // it to `free`; the lock hand-offs order those accesses. The error in `.end` is created by the producer
        // and only read by the consumer after the hand-off.
        let buffers: [UnsafeMutableRawBufferPointer]
        private let condition = NSCondition()
        private var free: [Int]
        private var filled: [Item] = []
        private var stopped = false
        private var producerDone = false

        init(chunkSize: Int, depth: Int) {
            buffers = (0..<depth).map { _ in .allocate(byteCount: chunkSize, alignment: 16) }
            free = Array(0..<depth)
        }

        deinit {
            for buffer in buffers { buffer.deallocate() }
        }

        /// The producer thread's loop: fill a free buffer completely (or up to the end), queue it, repeat.
        func produce(from box: SourceBox) {
            var outcome: Result<Void, any Error> = .success(())
            produceLoop: while true {
                guard let source = box.source, let index = takeFree() else { break produceLoop }
                let buffer = buffers[index]
                var count = 0
                var atEnd = false
                do {
                    while count < buffer.count {
                        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
                        if n == 0 {
                            atEnd = true
                            break
                        }
                        count += n
                    }
                } catch {
                    outcome = .failure(error)
                    atEnd = true
                }
                condition.lock()
                if count > 0 {
                    filled.append(.chunk(index: index, count: count))
                } else {
                    free.append(index)
                }
                if atEnd { filled.append(.end(outcome)) }
                condition.broadcast()
                condition.unlock()
                if atEnd { break produceLoop }
            }
            // Closed here, before `stop()` can return, so no file or zlib stream outlives the reader.
            box.source = nil
            condition.lock()
            producerDone = true
            condition.broadcast()
            condition.unlock()
        }

        /// A free buffer for the producer, or nil once the consumer has stopped.
        private func takeFree() -> Int? {
            condition.lock()
            defer { condition.unlock() }
            while free.isEmpty && !stopped { condition.wait() }
            return stopped ? nil : free.removeFirst()
        }

        /// The next filled buffer or the end, waiting for the producer.
        func takeFilled() -> Item {
            condition.lock()
            defer { condition.unlock() }
            while filled.isEmpty { condition.wait() }
            return filled.removeFirst()
        }

        func giveBack(_ index: Int) {
            condition.lock()
            free.append(index)
            condition.signal()
            condition.unlock()
        }

        /// Tells the producer to stop and waits until it has let go of the source.
        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            while !producerDone { condition.wait() }
            condition.unlock()
        }
    }
}

@available(*, unavailable)
extension ReadAheadSource: Sendable {}
