import Archive

/// A sink that drops everything: reading a stream to its end only to check it.
final class DiscardSink: ByteSink {
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
}
