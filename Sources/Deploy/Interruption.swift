import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT, SIGTERM and SIGHUP during a deploy or rollback: the running command's process group gets SIGTERM,
/// nothing further starts, and the release is recorded as interrupted instead of vanishing half-done.
///
/// The first signal is caught; the handler is one-shot (`SA_RESETHAND`), so a second one ends vaultops at once.
public enum Interruption {
    // Safety: written only by the signal handler (one aligned Int32 store), read by the deploy's thread,
    // which polls it between blocking calls; no other state is shared with the handler.
    nonisolated(unsafe) private static var received: Int32 = 0

    /// The signal received since `install()`, if any.
    public static var signal: Int32? {
        let s = received
        return s == 0 ? nil : s
    }

    /// `SIGINT`, `SIGTERM`, … for messages.
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }

    /// Catches the next SIGINT, SIGTERM or SIGHUP.
    public static func install() {
        received = 0
        // A parent may have started us with these blocked (a dispatch worker thread's mask is inherited).
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for s in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { Interruption.received = $0 }
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)
            sigemptyset(&action.sa_mask)
            sigaction(s, &action, nil)
        }
    }
}
