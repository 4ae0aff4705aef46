import CLibPQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A time limit on all PostgreSQL work of this process for a while (one `run` source), enforced from a timer
/// thread: a stalled server (a stopped backend, a cut network, a lock that is never released) can otherwise
/// keep a blocking libpq call, and so the run's lock, forever.
///
/// While a deadline is active, every `Connection` opened registers itself; connecting waits at most until the
/// deadline (`connect_timeout`). When it passes, each registered connection's statement is cancelled
/// (`PQcancel`, which a live backend answers at once), and a connection still busy `grace` later has its socket
/// shut down, which ends any blocking read or write in libpq with an error: nothing waits past deadline + grace.
/// - Important: one deadline at a time per process (`run` backs up its sources one after another).
public final class ConnectionDeadline: @unchecked Sendable {
    // Safety: every mutable field is only touched while holding `lock`; libpq is only called through
    // `PQcancel` (thread-safe on its own PGcancel) and `shutdown(2)` on a descriptor the connection keeps open
    // until it unregisters, which also happens under `lock`.
    private let lock = NSLock()
    private var connections: [ObjectIdentifier: (token: CancelToken, socket: Int32)] = [:]
    private var ended = false
    private var fired = false
    /// When the limit passes.
    public let deadline: Date
    /// What the limit is, for messages (`6h`, `30s`).
    public let label: String
    private let grace: TimeInterval

    nonisolated(unsafe) private static var currentDeadline: ConnectionDeadline?
    private static let currentLock = NSLock()

    /// The active deadline, if any.
    static var current: ConnectionDeadline? { currentLock.withLock { currentDeadline } }

    private init(after seconds: TimeInterval, label: String, grace: TimeInterval) {
        deadline = Date().addingTimeInterval(seconds)
        self.label = label
        self.grace = grace
    }

    /// Starts a deadline `limit` from now for the connections opened until `end()`; `label` names it in messages.
    public static func begin(after limit: Duration, label: String, grace: Duration = .seconds(10)) -> ConnectionDeadline {
        let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
        let graceSeconds = Double(grace.components.seconds) + Double(grace.components.attoseconds) / 1e18
        let watchdog = ConnectionDeadline(after: seconds, label: label, grace: graceSeconds)
        currentLock.withLock { currentDeadline = watchdog }
        let thread = Thread { watchdog.watch() }
        thread.name = "vaultops.deadline"
        thread.start()
        return watchdog
    }

    /// Ends the deadline: nothing is cancelled after this.
    public func end() {
        lock.withLock { ended = true }
        ConnectionDeadline.currentLock.withLock {
            if ConnectionDeadline.currentDeadline === self { ConnectionDeadline.currentDeadline = nil }
        }
    }

    /// Whether the deadline passed and connections were cancelled.
    public var expired: Bool { lock.withLock { fired } }

    /// Seconds left, at least 1 (libpq's `connect_timeout` granularity).
    var secondsLeft: Int { max(1, Int(deadline.timeIntervalSinceNow.rounded(.up))) }

    func register(_ connection: Connection, token: CancelToken, socket: Int32) -> Bool {
        lock.withLock {
            guard !ended, !fired else { return false }
            connections[ObjectIdentifier(connection)] = (token, socket)
            return true
        }
    }

    func unregister(_ connection: Connection) {
        _ = lock.withLock { connections.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    private func watch() {
        // Polls once a second: cheap, and the limits are minutes to hours.
        while true {
            let (stop, due) = lock.withLock { (ended, Date() >= deadline) }
            if stop { return }
            if due { break }
            Thread.sleep(forTimeInterval: min(1, max(0.05, deadline.timeIntervalSinceNow)))
        }
        let tokens = lock.withLock { () -> [CancelToken] in
            fired = true
            return connections.values.map(\.token)
        }
        for token in tokens { token.cancel() }
        let until = Date().addingTimeInterval(grace)
        while Date() < until {
            if lock.withLock({ ended || connections.isEmpty }) { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        // Still busy after the cancel: the backend is stopped or the network is gone. Shutting the socket down
        // (never closing it: libpq owns the descriptor) makes libpq's blocked call fail at once.
        lock.withLock {
            guard !ended else { return }
            for entry in connections.values { _ = shutdown(entry.socket, Int32(SHUT_RDWR)) }
        }
    }
}
