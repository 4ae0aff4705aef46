import Dispatch
import Foundation

/// Runs a throwing closure on a thread of its own, so that it overlaps with the caller's work; `wait()` joins it.
///
/// For blocking work (SQLite, file reads) that must not run on Swift's cooperative pool.
final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    // Safety: `result` is written once by the worker thread before it signals `done`; readers only read it after
    // waiting on `done`, which orders the accesses. `done` is signalled again after each wait so any number of
    // waits return.
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?

    /// Starts `work` at once on a new thread.
    init(_ work: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            result = Result { try work() }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the work to end; returns its value or throws its error (the same each time it is called).
    func wait() throws -> Value {
        done.wait()
        defer { done.signal() }
        return try result!.get()
    }
}
