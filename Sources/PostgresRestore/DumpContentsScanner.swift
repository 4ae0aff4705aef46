import Archive

/// Finds the objects of a plain dump script as its bytes go by: each header comment between statements starts an
/// entry, and the entry runs to the next header (see `DumpEntry`).
///
/// Headers are looked for only between statements and outside COPY data (the statement splitter knows strings,
/// dollar quotes and comments), so a function body or a row that holds such a line does not start an entry.
/// It is fed in pieces (`consume`), so it can run as a backup writes its dump (`DumpIndexingSink`) or over the
/// parts of a file a ranged read returns; `jump(to:)` says that what follows starts at another offset.
/// With `keepText` every entry but table contents keeps its text (a restore of some tables builds its script
/// from them); COPY data is never held beyond one partial line.
///
/// - Important: Not thread-safe.
package final class DumpContentsScanner {
    private let keepText: Bool
    private let name: String
    private var buffer: [UInt8] = []
    /// Absolute offset of `buffer[0]`.
    private var base: UInt64 = 0
    /// Bytes before `start` belong to an entry already; `position` is where scanning resumes.
    private var start = 0
    private var position = 0
    private var splitter = StatementSplitter()
    private enum CopyState { case none, restOfStatementLine, data }
    private var copy = CopyState.none
    /// Whether `buffer[0]` starts a line (true at the start of the stream and after a jump).
    private var bufferStartsLine = true

    private var current: DumpEntry?
    private var currentText: [UInt8]?
    private var prelude: DumpEntry?
    private var entries: [DumpEntry] = []
    private var footer: DumpEntry?

    /// A scanner of the script called `name` in errors; `keepText` keeps the definitions' text.
    package init(name: String, keepText: Bool) {
        self.name = name
        self.keepText = keepText
        current = DumpEntry(kind: "", name: "", schema: nil, owner: nil, range: 0..<0)
        currentText = keepText ? [] : nil
    }

    /// Scans the next bytes of the script.
    package func consume(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        try scan()
        compact()
    }

    /// Says that the bytes consumed next start at `offset` of the script (a ranged read skipped what lies between).
    ///
    /// The bytes so far must end between two entries, and `offset` must start one.
    package func jump(to offset: UInt64) throws {
        try endOfPiece()
        closeCurrent(at: buffer.count)
        current = nil
        buffer.removeAll(keepingCapacity: true)
        base = offset
        start = 0
        position = 0
        let conforming = splitter.standardConformingStrings
        splitter = StatementSplitter()
        splitter.standardConformingStrings = conforming
        bufferStartsLine = true
    }

    /// Ends the scan and returns what it found.
    package func finish() throws -> DumpContents {
        try endOfPiece()
        closeCurrent(at: buffer.count)
        let empty = DumpEntry(kind: "", name: "", schema: nil, owner: nil, range: 0..<0, text: keepText ? "" : nil)
        return DumpContents(prelude: prelude ?? empty, entries: entries, footer: footer)
    }

    private func endOfPiece() throws {
        if copy != .none {
            throw PostgresRestoreError(kind: .truncated, message: "the script ends inside COPY data (no \\. line)", file: name)
        }
        if let boundary = splitter.finish(at: buffer.count), case .metaCommand(let metaStart, let stop, _) = boundary {
            findHeaders(start, metaStart)
            attribute(upTo: stop)
        }
        guard splitter.isAtBoundary else {
            throw PostgresRestoreError(kind: .truncated, message: "the script ends inside \(splitter.openConstruct)", file: name)
        }
        findHeaders(start, buffer.count)
        attribute(upTo: buffer.count)
    }

    private func scan() throws {
        while position < buffer.count {
            if copy != .none {
                guard scanCopy() else { return }
                continue
            }
            let found: (StatementSplitter.Boundary, Int)? = buffer.withUnsafeBytes { splitter.scan($0, from: position) }
            guard let (boundary, next) = found else {
                position = buffer.count
                return
            }
            position = next
            switch boundary {
            case .statement(let stop):
                let contentStart = splitter.contentStart
                findHeaders(start, contentStart)
                attribute(upTo: stop)
                guard stop - contentStart > 1 else { continue }
                let text = String(decoding: buffer[contentStart..<stop], as: UTF8.self)
                if let conforming = StatementInfo.standardConformingStrings(text) { splitter.standardConformingStrings = conforming }
                if StatementInfo.isCopyFromStdin(text) { copy = .restOfStatementLine }
            case .metaCommand(let metaStart, let stop, _):
                findHeaders(start, metaStart)
                attribute(upTo: stop)
            }
        }
    }

    /// Moves through COPY data; returns false when more bytes are needed.
    private func scanCopy() -> Bool {
        if copy == .restOfStatementLine {
            guard let newline = buffer[position...].firstIndex(of: 0x0A) else {
                position = buffer.count
                return false
            }
            position = newline + 1
            attribute(upTo: position)
            copy = .data
        }
        let scan = buffer.withUnsafeBytes { CopyDataScanner.scan($0, from: position) }
        if let stop = scan.terminatorEnd {
            attribute(upTo: stop)
            position = stop
            copy = .none
            return true
        }
        attribute(upTo: scan.dataEnd)
        position = scan.dataEnd
        return false
    }

    /// Starts an entry at each header line in `buffer[from..<to]` (text between statements).
    private func findHeaders(_ from: Int, _ to: Int) {
        var lineStart = from
        var previousLine: Range<Int>?
        if from > 0 ? buffer[from - 1] != 0x0A : !bufferStartsLine {
            // Not at a line start: skip to the next line.
            guard let newline = buffer[from..<to].firstIndex(of: 0x0A) else { return }
            lineStart = newline + 1
        }
        while lineStart < to {
            let lineEnd = buffer[lineStart..<to].firstIndex(of: 0x0A) ?? to
            if buffer[lineStart] == UInt8(ascii: "-"), lineEnd - lineStart > 10 {
                let line = String(decoding: buffer[lineStart..<lineEnd], as: UTF8.self)
                let isFooter = line.hasPrefix(DumpHeader.footerPrefix)
                if let header = DumpHeader.parse(line) ?? (isFooter ? DumpHeader(kind: "", name: "", schema: nil, owner: nil) : nil) {
                    let dashes = previousLine.map { Array(buffer[$0]) == Array("--".utf8) } ?? false
                    open(header, footer: isFooter, at: dashes ? previousLine!.lowerBound : lineStart)
                }
            }
            previousLine = lineStart..<lineEnd
            lineStart = lineEnd + 1
        }
    }

    private func open(_ header: DumpHeader, footer isFooter: Bool, at boundary: Int) {
        attribute(upTo: boundary)
        closeCurrent(at: boundary)
        let at = base + UInt64(boundary)
        current = DumpEntry(kind: header.kind, name: header.name, schema: header.schema, owner: header.owner, range: at..<at)
        if isFooter { current?.kind = "" }
        currentText = keepText && !DumpEntry.dataKinds.contains(header.kind) ? [] : nil
        if isFooter { footerOpen = true }
    }

    private var footerOpen = false

    private func closeCurrent(at index: Int) {
        guard var entry = current else { return }
        entry.range = entry.range.lowerBound..<(base + UInt64(index))
        if let currentText { entry.text = String(decoding: currentText, as: UTF8.self) }
        if prelude == nil {
            prelude = entry
        } else if footerOpen {
            footer = entry
            footerOpen = false
        } else {
            entries.append(entry)
        }
        current = nil
        currentText = nil
    }

    private func attribute(upTo stop: Int) {
        guard stop > start else { return }
        if current != nil, currentText != nil { currentText!.append(contentsOf: buffer[start..<stop]) }
        start = stop
    }

    private func compact() {
        guard start > 0 else { return }
        bufferStartsLine = buffer[start - 1] == 0x0A
        buffer.removeFirst(start)
        splitter.rebase(by: -start)
        position -= start
        base += UInt64(start)
        start = 0
    }
}

@available(*, unavailable)
extension DumpContentsScanner: Sendable {}

extension DumpContentsScanner {
    /// Scans all of `source` (a whole script).
    package static func scan(_ source: any ByteSource, name: String, keepText: Bool) throws -> DumpContents {
        let scanner = DumpContentsScanner(name: name, keepText: keepText)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { break }
            try scanner.consume(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return try scanner.finish()
    }
}

/// Passes a dump script on to another sink and finds its entries on the way (for a backup's manifest).
///
/// The index is a convenience for later partial restores: a script it cannot follow is still written whole, and
/// `finish` then returns nil.
package final class DumpIndexingSink: ByteSink {
    private let sink: any ByteSink
    private var scanner: DumpContentsScanner?

    package init(_ sink: any ByteSink, name: String) {
        self.sink = sink
        scanner = DumpContentsScanner(name: name, keepText: false)
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        try sink.write(bytes)
        do { try scanner?.consume(bytes) } catch { scanner = nil }
    }

    /// The entries of everything written, or nil when the script could not be followed.
    package func finish() -> DumpContents? { try? scanner?.finish() }
}
