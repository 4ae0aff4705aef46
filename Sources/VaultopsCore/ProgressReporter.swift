import Foundation
import Logging

/// Progress of long work (backup, restore, upload, download, migrate): bytes, rate and ETA.
///
/// On a terminal it keeps one line updated in place (at most ~5 times a second); otherwise (cron) it
/// logs a plain line at most once per `logInterval`, so logs stay short. Thread-safe: pipeline stages
/// on different threads may report into the same value.
public final class ProgressReporter: @unchecked Sendable {
    // Safety: every mutable field is only touched while holding `lock`.
    private let lock = NSLock()
    private let label: String
    private var total: Int64?
    private var completed: Int64 = 0
    private let start: ContinuousClock.Instant
    private var lastShown: ContinuousClock.Instant?
    private var finished = false

    private let interactive: Bool
    private let logInterval: Duration
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let showLine: @Sendable (String) -> Void
    private let clearLine: @Sendable () -> Void
    private let logLine: @Sendable (String) -> Void

    /// Progress of `label` (e.g. `db_20250101.sql.gz`) towards `total` bytes, if known, on standard error.
    ///
    /// - Parameters:
    ///   - interactive: updating line or log lines; by default whether standard error is a terminal.
    ///   - logInterval: the least time between two log lines when not interactive.
    public convenience init(label: String, total: Int64?, interactive: Bool? = nil, logInterval: Duration = .seconds(30),
                            logger: Logger = Logger(label: "vaultops.progress")) {
        let output = TerminalOutput.shared
        self.init(label: label, total: total, interactive: interactive ?? output.isTerminal, logInterval: logInterval,
                  clock: { ContinuousClock.now }, showLine: { output.showProgress($0) }, clearLine: { output.clearProgress() },
                  logLine: { logger.info("\($0)") })
    }

    /// A progress reporter with every edge injected (for tests).
    public init(label: String, total: Int64?, interactive: Bool, logInterval: Duration,
                clock: @escaping @Sendable () -> ContinuousClock.Instant,
                showLine: @escaping @Sendable (String) -> Void, clearLine: @escaping @Sendable () -> Void,
                logLine: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.total = total
        self.interactive = interactive
        self.logInterval = logInterval
        self.clock = clock
        self.showLine = showLine
        self.clearLine = clearLine
        self.logLine = logLine
        self.start = clock()
    }

    /// Records `bytes` more done.
    public func add(_ bytes: Int64) {
        update { $0 += bytes }
    }

    /// Records the total done so far.
    public func set(completed value: Int64) {
        update { $0 = value }
    }

    /// Changes the expected total (e.g. once a size becomes known).
    public func set(total value: Int64?) {
        lock.withLock { total = value }
    }

    /// Records a transfer's progress as the OSS client reports it (bytes done of total).
    public func update(_ done: Int64, _ total: Int64) {
        set(total: total)
        set(completed: done)
    }

    /// Ends the report with a summary (a log line, and the terminal line cleared).
    public func finish() {
        let summary: String? = lock.withLock {
            guard !finished else { return nil }
            finished = true
            let elapsed = clock() - start
            return ProgressReporter.summary(label: label, completed: completed, elapsed: elapsed)
        }
        guard let summary else { return }
        if interactive { clearLine() }
        logLine(summary)
    }

    private func update(_ change: (inout Int64) -> Void) {
        let line: String? = lock.withLock {
            guard !finished else { return nil }
            change(&completed)
            let now = clock()
            let gap: Duration = interactive ? .milliseconds(200) : logInterval
            // Not interactive: the first line only after one interval, so short jobs log just their summary.
            let reference = lastShown ?? (interactive ? nil : start)
            if let reference, now - reference < gap { return nil }
            lastShown = now
            return ProgressReporter.describe(label: label, completed: completed, total: total, elapsed: now - start)
        }
        guard let line else { return }
        if interactive { showLine(line) } else { logLine(line) }
    }

    // MARK: Pure formatting

    /// `db: 12.0 MiB of 100.0 MiB (12%), 4.0 MiB/s, ETA 0:22` (parts missing when unknown).
    public static func describe(label: String, completed: Int64, total: Int64?, elapsed: Duration) -> String {
        let seconds = elapsed.seconds
        var text = "\(label): \(formatBytes(completed))"
        if let total, total > 0 {
            let percent = min(100, Int((Double(completed) / Double(total) * 100).rounded(.down)))
            text += " of \(formatBytes(total)) (\(percent)%)"
        }
        guard seconds > 0 else { return text }
        let rate = Double(completed) / seconds
        text += ", \(formatBytes(Int64(rate)))/s"
        if let total, total > completed, rate > 0 {
            text += ", ETA \(formatDuration(Double(total - completed) / rate))"
        }
        return text
    }

    /// `db: 100.0 MiB in 0:25 (4.0 MiB/s)`.
    public static func summary(label: String, completed: Int64, elapsed: Duration) -> String {
        let seconds = elapsed.seconds
        var text = "\(label): \(formatBytes(completed)) in \(formatDuration(seconds))"
        if seconds > 0 { text += " (\(formatBytes(Int64(Double(completed) / seconds)))/s)" }
        return text
    }

    /// Binary units with one decimal: `512 B`, `1.5 KiB`, `12.0 MiB`, `3.2 GiB`.
    public static func formatBytes(_ bytes: Int64) -> String {
        guard bytes >= 1024 else { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }

    /// `0:05`, `12:34`, `1:02:03` (rounded up, so an ETA never says 0:00 too early).
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return "0:00" }
        let total = Int(seconds.rounded(.up))
        let h = total / 3600, m = (total % 3600) / 60, s = total % 60
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    fileprivate var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
