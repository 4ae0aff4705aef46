import Foundation
import Logging

/// A log handler that keeps every message, so tests can check what reached the logger.
final class LogCapture: LogHandler, @unchecked Sendable {
    // Safety: `entries` is only touched under `lock`; the other stored properties are set before sharing.
    private let lock = NSLock()
    private var entries: [(Logger.Level, String)] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { entries.append((event.level, event.message.description)) }
    }

    var messages: [(Logger.Level, String)] { lock.withLock { entries } }

    /// A logger writing into this capture.
    var logger: Logger { Logger(label: "test") { _ in self } }
}
