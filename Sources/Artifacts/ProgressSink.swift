import Archive
import VaultopsCore

/// Forwards bytes to another sink and reports them to a progress display.
final class ProgressSink: ByteSink {
    private let base: ByteSink
    private let progress: ProgressReporter

    init(_ base: ByteSink, progress: ProgressReporter) {
        self.base = base
        self.progress = progress
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try base.write(bytes)
        progress.add(Int64(bytes.count))
    }
}

@available(*, unavailable) extension ProgressSink: Sendable {}
