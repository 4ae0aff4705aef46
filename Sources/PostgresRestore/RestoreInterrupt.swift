#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// SIGINT and SIGTERM during a restore: the running statements are cancelled, the workers stopped, and the
/// restore's thread undoes the restore as it does on an error (rollback, or dropping what `--jobs N` created)
/// before the error says so; a signal before the restore touches the target just ends vaultops.
///
/// The handler only writes the signal number to a pipe; a watcher thread does the rest. It is one-shot
/// (`SA_RESETHAND`): a second signal ends vaultops at once, without the cleanup.
public final class RestoreInterrupt: @unchecked Sendable {
    // Safety: every `var` below is read and written only with `lock` held; the stoppers are @Sendable.
    private let lock = NSLock()
    private var signal: Int32?
    private var active = 0
    private var finished = 0
    private var stoppers: [String: @Sendable () -> Void] = [:]

    /// The one the `restore` command installs.
    public static let shared = RestoreInterrupt()

    public init() {}

    /// The signal received, if any.
    public var received: Int32? { lock.withLock { signal } }

    /// `SIGINT`, `SIGTERM`, … for messages.
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }

    /// Where the restore stood when a signal came.
    public enum Phase: Sendable, Equatable {
        /// No restore has touched a target yet: nothing to undo.
        case before
        /// A restore is under way: it stops, undoes itself and throws.
        case during
        /// The restore has finished (committed, or undone after an error): nothing to stop.
        case after
    }

    /// Records `signal` and stops the registered work; returns where the restore stood.
    @discardableResult
    public func trigger(_ signal: Int32) -> Phase {
        let (phase, stops) = lock.withLock { () -> (Phase, [@Sendable () -> Void]) in
            if self.signal == nil { self.signal = signal }
            return (active > 0 ? .during : finished > 0 ? .after : .before, Array(stoppers.values))
        }
        for stop in stops { stop() }
        return phase
    }

    /// A restore starts touching its target; throws when a signal already came.
    func begin(file: String) throws {
        try lock.withLock {
            if let signal {
                throw PostgresRestoreError(kind: .interrupted, message: "stopped by \(Self.name(signal)) before anything was changed", file: file)
            }
            active += 1
        }
    }

    /// The restore that called `begin` has finished (and undone what it had to).
    func end() {
        lock.withLock {
            active -= 1
            finished += 1
        }
    }

    /// Runs `stop` when a signal comes (replacing what was registered under `key`).
    func register(_ key: String, _ stop: @escaping @Sendable () -> Void) {
        lock.withLock { stoppers[key] = stop }
    }

    /// Forgets the stoppers whose key starts with `prefix`.
    func unregister(_ prefix: String) {
        lock.withLock { stoppers = stoppers.filter { !$0.key.hasPrefix(prefix) } }
    }

    /// Catches the next SIGINT or SIGTERM and calls `handler` on a watcher thread with where the restore stood
    /// (during a restore, the restore has been told to stop and undo itself by then).
    public func install(_ handler: @escaping @Sendable (Int32, Phase) -> Void) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        signalPipe = fds[1]
        let readEnd = fds[0]
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while read(readEnd, &byte, 1) < 0 && errno == EINTR {}
            let signal = Int32(byte)
            handler(signal, trigger(signal))
        }
        thread.name = "vaultops.signals"
        thread.start()
        // A parent may have started us with these blocked (a dispatch worker thread's mask is inherited).
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM] { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                // Async-signal-safe: one write(2) to the pipe.
                var byte = UInt8(truncatingIfNeeded: signal)
                _ = write(signalPipe, &byte, 1)
            }
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)
            sigemptyset(&action.sa_mask)
            sigaction(s, &action, nil)
        }
    }
}

// Safety: written once by `install` before the handlers are set, then only read (by the signal handler).
nonisolated(unsafe) private var signalPipe: Int32 = -1
