import Archive

/// One piece of a script, as `ScriptReader` hands it out.
package enum ScriptItem: Equatable, Sendable {
    /// A SQL statement (from its first significant byte through its semicolon) and the line it starts on.
    case statement(String, line: Int)
    /// A `COPY … FROM stdin` statement; its data follows and must be read with `readCopyData`.
    case copy(String, line: Int)
    /// A psql meta-command line (without its newline) and its line number.
    case metaCommand(String, line: Int)
}

/// Reads a script from a `ByteSource` in large chunks and splits it into statements, meta-commands
/// and COPY data, holding only the current statement (or a partial COPY line) in memory.
///
/// - Important: Not thread-safe.
package final class ScriptReader {
    private let source: any ByteSource
    private let name: String
    private var buffer: UnsafeMutableRawBufferPointer
    /// Start of the bytes not yet handed out, scan position, end of valid bytes.
    private var start = 0
    private var position = 0
    private var end = 0
    private var atEOF = false
    private var splitter = StatementSplitter()
    private var copyPending: (line: Int, dataStarted: Bool)?
    private var headBytes: [UInt8] = []
    private var tailBytes: [UInt8] = []

    /// Bytes read from the source so far.
    package private(set) var bytesRead: Int64 = 0
    /// Where the data of the last COPY handed to `readCopyData` starts in the stream (after its statement's line).
    package private(set) var copyDataStart: Int64 = 0
    /// Called after each read from the source with the total bytes read.
    package var onRead: ((Int64) -> Void)?

    /// How much of the start and end of the stream is kept for `DumpMarkers`.
    static let headSize = 4096
    static let tailSize = 1024

    /// A reader over `source`, called `name` in errors, reading `bufferSize` bytes at a time.
    package init(source: any ByteSource, name: String, bufferSize: Int = 1 << 20) {
        self.source = source
        self.name = name
        buffer = .allocate(byteCount: max(bufferSize, 16), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The first bytes of the stream (up to 4 KiB), once read.
    package var head: [UInt8] { headBytes }
    /// The last bytes of the stream (up to 1 KiB), complete once `next()` returned nil.
    package var tail: [UInt8] { tailBytes }

    /// The next item, or nil at a clean end of the script.
    package func next() throws -> ScriptItem? {
        if copyPending != nil { try readCopyData { _ in } }
        while true {
            if position == end {
                if atEOF { return try finish() }
                try refill()
                continue
            }
            let view = UnsafeRawBufferPointer(start: buffer.baseAddress, count: end)
            guard let (boundary, next) = splitter.scan(view, from: position) else {
                position = end
                continue
            }
            position = next
            switch boundary {
            case .statement(let stop):
                let first = splitter.contentStart
                let line = splitter.contentLine
                start = stop
                if stop - first <= 1 { continue } // an empty statement: a lone ";"
                let text = try sqlText(first, stop, line: line)
                if let conforming = StatementInfo.standardConformingStrings(text) {
                    splitter.standardConformingStrings = conforming
                }
                if StatementInfo.isCopyFromStdin(text) {
                    copyPending = (line, false)
                    return .copy(text, line: line)
                }
                return .statement(text, line: line)
            case .metaCommand(let metaStart, let stop, let inside):
                let line = splitter.line - 1
                if inside {
                    throw PostgresRestoreError(kind: .unsupportedMetaCommand,
                                               message: "a psql meta-command inside an unfinished statement",
                                               file: name, line: line, statement: string(metaStart, stop))
                }
                start = stop
                return .metaCommand(trimmed(metaStart, stop), line: line)
            }
        }
    }

    /// Streams the data of the COPY just returned by `next()` to `sink` in large runs of whole lines,
    /// up to (not including) its `\.` line; returns the number of data bytes.
    @discardableResult
    package func readCopyData(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        guard let pending = copyPending else { return 0 }
        copyPending = nil
        var sent: Int64 = 0
        // The data starts on the line after the statement; only blanks may follow its semicolon.
        try skipRestOfCopyLine(statementLine: pending.line)
        copyDataStart = bytesRead - Int64(end - start)
        while true {
            let view = UnsafeRawBufferPointer(start: buffer.baseAddress, count: end)
            let scan = CopyDataScanner.scan(view, from: position)
            if scan.lines > 0 { splitter.advanceLines(scan.lines) }
            if scan.dataEnd > start {
                try sink(UnsafeRawBufferPointer(rebasing: view[start..<scan.dataEnd]))
                sent += Int64(scan.dataEnd - start)
            }
            if let stop = scan.terminatorEnd {
                start = stop
                position = stop
                return sent
            }
            start = scan.dataEnd
            position = scan.dataEnd
            if atEOF {
                // A final "\." without a newline still ends the data.
                if CopyDataScanner.isTerminator(view, position, end) {
                    start = end
                    position = end
                    return sent
                }
                throw PostgresRestoreError(kind: .truncated,
                                           message: "the script ends inside the COPY data that starts after line \(pending.line) (no \\. line)",
                                           file: name, line: pending.line)
            }
            try refill()
        }
    }

    private func skipRestOfCopyLine(statementLine: Int) throws {
        while true {
            while position < end {
                let byte = buffer[position]
                position += 1
                if byte == 0x0A {
                    splitter.advanceLines(1)
                    start = position
                    return
                }
                if byte != 0x20 && byte != 0x09 && byte != 0x0D {
                    throw PostgresRestoreError(kind: .invalidScript,
                                               message: "text after COPY … FROM stdin on the same line; the data must start on the next line",
                                               file: name, line: statementLine)
                }
            }
            start = position
            if atEOF {
                throw PostgresRestoreError(kind: .truncated, message: "the script ends right after a COPY … FROM stdin statement",
                                           file: name, line: statementLine)
            }
            try refill()
        }
    }

    private func finish() throws -> ScriptItem? {
        if let boundary = splitter.finish(at: end), case .metaCommand(let metaStart, let stop, _) = boundary {
            start = stop
            position = stop
            return .metaCommand(trimmed(metaStart, stop), line: splitter.line)
        }
        if !splitter.isAtBoundary {
            let line = splitter.hasContent ? splitter.contentLine : splitter.line
            let statement = splitter.hasContent ? string(splitter.contentStart, end) : nil
            throw PostgresRestoreError(kind: .truncated,
                                       message: "the script ends inside \(splitter.openConstruct) (the file is truncated or not a complete SQL script)",
                                       file: name, line: line, statement: statement)
        }
        return nil
    }

    /// Moves unconsumed bytes to the front (growing the buffer when one item fills it) and reads more.
    private func refill() throws {
        if start > 0 {
            let keep = end - start
            if keep > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: keep) }
            splitter.rebase(by: -start)
            position -= start
            end = keep
            start = 0
        }
        if end == buffer.count {
            // One statement larger than the buffer: grow (only that statement is ever held).
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
            bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
            buffer.deallocate()
            buffer = bigger
        }
        let room = UnsafeMutableRawBufferPointer(rebasing: buffer[end...])
        let n = try source.read(into: room)
        if n == 0 {
            atEOF = true
            return
        }
        let fresh = UnsafeRawBufferPointer(rebasing: buffer[end..<(end + n)])
        if bytesRead == 0 && n >= 2 && fresh[0] == 0x1F && fresh[1] == 0x8B {
            throw PostgresRestoreError(kind: .invalidScript,
                                       message: "the input is gzip-compressed; open it through a gzip reader",
                                       file: name)
        }
        if headBytes.count < Self.headSize {
            headBytes.append(contentsOf: fresh.prefix(Self.headSize - headBytes.count))
        }
        if n >= Self.tailSize {
            tailBytes = Array(fresh.suffix(Self.tailSize))
        } else {
            tailBytes.append(contentsOf: fresh)
            if tailBytes.count > Self.tailSize { tailBytes.removeFirst(tailBytes.count - Self.tailSize) }
        }
        end += n
        bytesRead += Int64(n)
        onRead?(bytesRead)
    }

    /// Statement text for the server; refuses bytes that are not UTF-8 rather than altering them.
    ///
    /// Statements go to libpq as Swift strings, so a script in another client encoding (pg_dump -E LATIN1)
    /// cannot pass through unchanged; COPY data is sent as raw bytes and is not affected.
    private func sqlText(_ from: Int, _ to: Int, line: Int) throws -> String {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[from..<to])
        guard let text = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw PostgresRestoreError(kind: .invalidScript,
                                       message: "the statement is not valid UTF-8; only UTF-8 scripts can be restored (dump with -E UTF8)",
                                       file: name, line: line, statement: string(from, to))
        }
        return text
    }

    private func string(_ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: buffer[from..<to]), as: UTF8.self)
    }

    private func trimmed(_ from: Int, _ to: Int) -> String {
        var stop = to
        while stop > from, buffer[stop - 1] == 0x0A || buffer[stop - 1] == 0x0D { stop -= 1 }
        return string(from, stop)
    }
}

@available(*, unavailable)
extension ScriptReader: Sendable {}
