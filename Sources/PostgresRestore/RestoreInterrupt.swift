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

    /// Records `signal` and stops the registered work; returns whether a restore was touching a target (else there is
    /// nothing to undo and the caller may end at once).
    @discardableResult
    public func trigger(_ signal: Int32) -> Bool {
        let (running, stops) = lock.withLock { () -> (Bool, [@Sendable () -> Void]) in
            if self.signal == nil { self.signal = signal }
            return (active > 0, Array(stoppers.values))
        }
        for stop in stops { stop() }
        return running
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
        lock.withLock { active -= 1 }
    }

    /// Runs `stop` when a signal comes (replacing what was registered under `key`).
    func register(_ key: String, _ stop: @escaping @Sendable () -> Void) {
        lock.withLock { stoppers[key] = stop }
    }

    /// Forgets the stoppers whose key starts with `prefix`.
    func unregister(_ prefix: String) {
        lock.withLock { stoppers = stoppers.filter { !$0.key.hasPrefix(prefix) } }
    }

    /// Catches the next SIGINT or SIGTERM: `stopping` runs when a restore is under way (it then undoes itself and
    /// throws), `idle` when none is (nothing to undo). Both run on the watcher thread.
    public func install(idle: @escaping @Sendable (Int32) -> Void, stopping: @escaping @Sendable (Int32) -> Void) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        signalPipe = fds[1]
        let readEnd = fds[0]
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while read(readEnd, &byte, 1) < 0 && errno == EINTR {}
            let signal = Int32(byte)
            if trigger(signal) { stopping(signal) } else { idle(signal) }
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
