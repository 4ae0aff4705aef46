import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sets up swift-log for vaultops: one redacted line per event on standard error.
public enum VaultopsLogging {
    private static let state = BootstrapState()

    /// Installs `VaultopsLogHandler` as the process's log handler at `level`.
    ///
    /// Idempotent: swift-log allows one bootstrap per process, so later calls only change the level
    /// of loggers created afterwards.
    public static func bootstrap(level: Logger.Level = .info) {
        state.bootstrapOnce(level: level) {
            LoggingSystem.bootstrap { label in
                VaultopsLogHandler(label: label, level: state.level)
            }
        }
    }

    /// The level new loggers start with.
    public static var level: Logger.Level { state.level }

    /// A logger for `label` (e.g. `vaultops.backup`).
    public static func logger(_ label: String) -> Logger { Logger(label: label) }
}

private final class BootstrapState: @unchecked Sendable {
    // Safety: `done` and `current` are only touched while holding `lock`.
    private let lock = NSLock()
    private var done = false
    private var current: Logger.Level = .info

    var level: Logger.Level { lock.withLock { current } }

    func bootstrapOnce(level: Logger.Level, _ body: () -> Void) {
        let first = lock.withLock { () -> Bool in
            current = level
            defer { done = true }
            return !done
        }
        if first { body() }
    }
}

/// A swift-log handler that writes `2026-01-01T02:00:00Z INFO message key=value…` lines, secrets hidden.
public struct VaultopsLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// The logger's label (not printed; the message says what happened).
    public let label: String
    private let sink: @Sendable (String) -> Void
    private let now: @Sendable () -> Date

    /// A handler writing to standard error (through `TerminalOutput`, so progress lines stay tidy).
    public init(label: String, level: Logger.Level = .info) {
        self.init(label: label, level: level, now: { Date() }, sink: { TerminalOutput.shared.writeLine($0) })
    }

    /// A handler writing each formatted line to `sink` (for tests and other destinations).
    public init(label: String, level: Logger.Level = .info, now: @escaping @Sendable () -> Date,
                sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.logLevel = level
        self.now = now
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        sink(Self.format(date: now(), level: event.level, message: event.message.description, metadata: merged))
    }

    /// One log line (without the newline): time, level, message, sorted `key=value` pairs, all redacted.
    public static func format(date: Date, level: Logger.Level, message: String, metadata: Logger.Metadata = [:]) -> String {
        var line = Manifest.timestamp(date) + " " + levelName(level) + " " + oneLine(message)
        for key in metadata.keys.sorted() {
            line += " " + key + "=" + quoted(render(metadata[key]!))
        }
        return Redacted.text(line)
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .notice: "NOTICE"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }

    private static func render(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case let .string(s): s
        case let .stringConvertible(c): c.description
        case let .array(items): "[" + items.map(render).joined(separator: ",") + "]"
        case let .dictionary(d): "{" + d.keys.sorted().map { "\($0):\(render(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// Values with spaces, quotes or `=` are double-quoted, so lines stay machine-splittable.
    private static func quoted(_ value: String) -> String {
        let flat = oneLine(value)
        guard flat.isEmpty || flat.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\t" }) else { return flat }
        return "\"" + flat.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// One event is one line: embedded line breaks are shown as `\n`.
    private static func oneLine(_ s: String) -> String {
        guard s.contains(where: \.isNewline) else { return s }
        return s.replacingOccurrences(of: "\r\n", with: "\\n").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\n")
    }
}

/// Standard error, shared by log lines and the progress line so they never garble each other.
///
/// On a terminal the progress line is redrawn in place; a log line first clears it, prints, then redraws it.
public final class TerminalOutput: @unchecked Sendable {
    // Safety: `progressLine` is only touched, and fd 2 only written, while holding `lock`.
    private let lock = NSLock()
    private var progressLine: String?
    private let fd: Int32

    /// Standard error of this process.
    public static let shared = TerminalOutput(fd: 2)

    public init(fd: Int32) { self.fd = fd }

    /// Whether the output is a terminal (so an updating line makes sense).
    public var isTerminal: Bool { isatty(fd) == 1 }

    /// Writes `line` and a newline, keeping any progress line below it.
    public func writeLine(_ line: String) {
        lock.withLock {
            var text = progressLine == nil ? "" : "\r\u{1B}[2K"
            text += line + "\n"
            if let progressLine { text += progressLine }
            writeAll(text)
        }
    }

    /// Shows `line` as the single updating progress line (terminals only).
    public func showProgress(_ line: String) {
        lock.withLock {
            progressLine = line
            writeAll("\r\u{1B}[2K" + line)
        }
    }

    /// Removes the progress line.
    public func clearProgress() {
        lock.withLock {
            guard progressLine != nil else { return }
            progressLine = nil
            writeAll("\r\u{1B}[2K")
        }
    }

    private func writeAll(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return  // Nowhere left to report a failing stderr.
            }
            bytes = bytes.dropFirst(n)
        }
    }
}
