/// Reads a tar stream entry by entry, streaming each entry's contents.
///
/// Understands POSIX ustar, pax 'x' and 'g' extended records, GNU `././@LongLink` long names ('L') and long link
/// targets ('K'), GNU base-256 numbers, and v7 headers. Every header's checksum is checked; a bad one is
/// `.corrupt` with its byte offset. After the end-of-archive marker only zero padding may follow, so a damaged or
/// appended-to archive is not reported as good.
///
/// Use: `while let entry = try reader.next() { … reader.read(into:) … }`; contents not read are skipped.
///
/// - Important: single-owner and not thread-safe.
public final class TarReader: ByteSource {
    /// The name used in error messages.
    public let path: String
    /// Offset in the uncompressed tar stream of the next unread byte.
    public private(set) var offset: UInt64 = 0

    private let source: ByteSource
    /// The decompressor when the file was gzip, for its sizes.
    private var gzip: GzipReader?
    private var remainingData: UInt64 = 0
    private var remainingPadding = 0
    private var globalRecords: [(String, String)] = []
    private var ended = false
    private var currentName = ""

    /// The size of a tar block: a header, or a unit of data.
    public static let blockSize = TarHeader.blockSize

    /// Why `head` (the first bytes of a stream) does not begin a tar archive, or nil when it does.
    ///
    /// Cheap: checks one header's checksum and fields (or the end marker of an empty archive), not the rest.
    public static func firstBlockProblem(_ head: [UInt8]) -> String? {
        guard head.count >= TarHeader.blockSize else {
            return "the content is \(head.count) bytes, shorter than one \(TarHeader.blockSize)-byte tar header"
        }
        let block = Array(head.prefix(TarHeader.blockSize))
        if TarHeader.isZeroBlock(block) { return nil }
        do {
            _ = try TarHeader.decode(block)
        } catch {
            return "its first \(TarHeader.blockSize) bytes are not a tar header: \(error.reason)"
        }
        return nil
    }

    /// Pax and GNU long-name payloads are metadata; anything larger than this is damage, not a name.
    static let maxMetadataSize: Int64 = 8 * 1024 * 1024

    /// Leading path components removed from every name (like GNU tar's `--strip-components`).
    ///
    /// Names that are absolute or hold `..` are passed on unchanged, so that safe extraction still refuses them.
    public let stripComponents: Int

    /// Reads tar data from `source`; `path` names it in errors.
    public init(source: ByteSource, path: String, stripComponents: Int = 0) {
        self.source = source
        self.path = path
        self.stripComponents = stripComponents
    }

    /// Opens a `.tar` or a gzip-compressed tar (recognised by its magic number, whatever the file name).
    public convenience init(path: String, stripComponents: Int = 0) throws {
        let file = try FileSource(path: path)
        var magic = [UInt8](repeating: 0, count: 2)
        let n = try magic.withUnsafeMutableBytes { try file.readFully(into: $0) }
        let prefixed = PrefixedSource(prefix: Array(magic[0..<n]), rest: file)
        if n == 2 && magic == [0x1f, 0x8b] {
            let gzip = try GzipReader(source: prefixed, path: path)
            self.init(source: gzip, path: path, stripComponents: stripComponents)
            self.gzip = gzip
        } else {
            self.init(source: prefixed, path: path, stripComponents: stripComponents)
        }
    }

    /// Which entries `next` returns, by their name as stored (before `stripComponents`); nil returns all of them.
    ///
    /// The others are skipped as if absent, so a plan and an extraction over this reader see only the chosen ones.
    public var include: ((String) -> Bool)?

    /// The next entry, or nil after the end-of-archive marker; unread contents of the previous entry are skipped.
    public func next() throws -> TarEntry? {
        while let (entry, stored) = try nextStored() {
            if include?(stored) ?? true { return entry }
        }
        return nil
    }

    /// The next entry and its name as stored.
    private func nextStored() throws -> (TarEntry, String)? {
        if ended { return nil }
        try skip(remainingData + UInt64(remainingPadding))
        remainingData = 0
        remainingPadding = 0

        var local: [(String, String)] = []
        var longName: [UInt8]?
        var longLink: [UInt8]?
        var firstHeaderOffset: UInt64?
        while true {
            let headerOffset = offset
            guard let block = try readBlock(allowEOF: true) else {
                throw ArchiveError.truncated(path, detail: "the tar data ends at byte \(headerOffset) without an end-of-archive marker")
            }
            if TarHeader.isZeroBlock(block) {
                guard firstHeaderOffset == nil else {
                    throw ArchiveError.corrupt(path, offset: headerOffset, reason: "an extended header is followed by an empty block")
                }
                try readEndOfArchive(firstZeroAt: headerOffset)
                return nil
            }
            let raw: TarHeader.Raw
            do {
                raw = try TarHeader.decode(block)
            } catch {
                throw ArchiveError.corrupt(path, offset: headerOffset, reason: error.reason)
            }
            if firstHeaderOffset == nil { firstHeaderOffset = headerOffset }
            guard raw.size >= 0 else {
                throw ArchiveError.corrupt(path, offset: headerOffset, reason: "negative size \(raw.size)")
            }
            switch raw.typeflag {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let payload = try readMetadata(size: raw.size, at: headerOffset, what: "pax extended header")
                let records: [(String, String)]
                do {
                    records = try TarHeader.parsePaxRecords(payload)
                } catch {
                    throw ArchiveError.corrupt(path, offset: headerOffset, reason: error.reason)
                }
                if raw.typeflag == UInt8(ascii: "g") { globalRecords += records } else { local += records }
                continue
            case UInt8(ascii: "L"):
                longName = trimNULs(try readMetadata(size: raw.size, at: headerOffset, what: "GNU long name"))
                continue
            case UInt8(ascii: "K"):
                longLink = trimNULs(try readMetadata(size: raw.size, at: headerOffset, what: "GNU long link name"))
                continue
            default:
                break
            }

            var name = raw.name
            if !raw.prefix.isEmpty { name = raw.prefix + [UInt8(ascii: "/")] + name }
            if let longName { name = longName }
            var entry = TarEntry(
                name: String(decoding: name, as: UTF8.self),
                kind: TarEntry.Kind(typeflag: raw.typeflag),
                size: UInt64(raw.size),
                mode: UInt32(truncatingIfNeeded: raw.mode) & 0o7777,
                mtime: raw.mtime,
                uid: Int(raw.uid), gid: Int(raw.gid),
                uname: String(decoding: raw.uname, as: UTF8.self),
                gname: String(decoding: raw.gname, as: UTF8.self),
                linkName: String(decoding: longLink ?? raw.linkName, as: UTF8.self),
                headerOffset: firstHeaderOffset!)
            // Global records first, so that an entry's own records win.
            for (key, value) in globalRecords + local {
                try apply(key: key, value: value, to: &entry, at: headerOffset)
            }
            if entry.kind.isHeaderOnly { entry.size = 0 }
            // A v7 header marks directories only with a trailing slash.
            if entry.kind == .regular && raw.typeflag == 0 && entry.name.hasSuffix("/") { entry.kind = .directory; entry.size = 0 }
            let stored = entry.name
            if stripComponents > 0 {
                entry.name = Self.strip(entry.name, components: stripComponents)
                if entry.kind == .hardlink { entry.linkName = Self.strip(entry.linkName, components: stripComponents) }
            }
            remainingData = entry.size
            remainingPadding = TarHeader.padding(for: remainingData)
            currentName = entry.name
            return (entry, stored)
        }
    }

    /// `name` without its first `count` components; `.` when nothing is left; unchanged when unsafe.
    static func strip(_ name: String, components count: Int) -> String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if name.hasPrefix("/") || parts.contains("..") { return name }
        let kept = parts.dropFirst(count)
        return kept.isEmpty ? "." : kept.joined(separator: "/")
    }

    /// Reads the current entry's contents; 0 at its end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remainingData > 0, buffer.count > 0 else { return 0 }
        let want = Int(min(UInt64(buffer.count), remainingData))
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
        guard n > 0 else {
            throw ArchiveError.truncated(path, detail: "the data of \(currentName.debugDescription) ends early at byte \(offset), \(remainingData) bytes missing")
        }
        remainingData -= UInt64(n)
        offset += UInt64(n)
        return n
    }

    /// Reads every entry to the end, checking all headers (and, for a gzip file, every CRC); returns the entries.
    public static func list(path: String) throws -> [TarEntry] {
        let reader = try TarReader(path: path)
        var entries: [TarEntry] = []
        try reader.forEach { entries.append($0) }
        return entries
    }

    /// The compressed and uncompressed sizes when the archive is gzip; complete once `next()` has returned nil.
    public var gzipStats: GzipStats? { gzip?.stats }

    /// Reads a whole tar or tar.gz, checking every header, the end marker and (for gzip) every CRC; memory stays flat.
    public static func verify(path: String) throws -> TarStats {
        let reader = try TarReader(path: path)
        var stats = TarStats()
        while let entry = try reader.next() {
            stats.entries += 1
            switch entry.kind {
            case .regular: stats.files += 1; stats.fileBytes += entry.size
            case .directory: stats.directories += 1
            case .symlink, .hardlink: stats.links += 1
            default: break
            }
        }
        stats.tarBytes = reader.offset
        stats.gzip = reader.gzipStats
        return stats
    }

    /// Calls `body` for each entry (before its contents are skipped) until the end of the archive.
    public func forEach(_ body: (TarEntry) throws -> Void) throws {
        while let entry = try next() { try body(entry) }
    }

    private func apply(key: String, value: String, to entry: inout TarEntry, at headerOffset: UInt64) throws {
        func bad() -> ArchiveError {
            .corrupt(path, offset: headerOffset, reason: "pax record \(key)=\(value.debugDescription) is not valid")
        }
        switch key {
        case "path": entry.name = value
        case "linkpath": entry.linkName = value
        case "size":
            guard let size = UInt64(value) else { throw bad() }
            entry.size = size
        case "mtime":
            guard let (seconds, nanos) = TarHeader.parsePaxTime(value) else { throw bad() }
            entry.mtime = seconds
            entry.mtimeNanoseconds = nanos
        case "uid":
            guard let uid = Int(value) else { throw bad() }
            entry.uid = uid
        case "gid":
            guard let gid = Int(value) else { throw bad() }
            entry.gid = gid
        case "uname": entry.uname = value
        case "gname": entry.gname = value
        default:
            // GNU sparse files store a map instead of the data; extracting them as-is would corrupt the file.
            if key.hasPrefix("GNU.sparse.") {
                throw ArchiveError.unsupported(path, reason: "\(entry.name.debugDescription) is a GNU sparse file (pax \(key))")
            }
            // Other keys (atime, ctime, SCHILY.*, LIBARCHIVE.*) carry nothing a restore needs.
        }
    }

    private func readMetadata(size: Int64, at headerOffset: UInt64, what: String) throws -> [UInt8] {
        guard size <= Self.maxMetadataSize else {
            throw ArchiveError.corrupt(path, offset: headerOffset, reason: "\(what) of \(size) bytes is implausibly large")
        }
        var payload = [UInt8](repeating: 0, count: Int(size))
        let n = try payload.withUnsafeMutableBytes { try source.readFully(into: $0) }
        offset += UInt64(n)
        guard n == Int(size) else {
            throw ArchiveError.truncated(path, detail: "the \(what) at byte \(headerOffset) ends early")
        }
        try skip(UInt64(TarHeader.padding(for: UInt64(size))))
        return payload
    }

    private func trimNULs(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        while bytes.last == 0 { bytes.removeLast() }
        return bytes
    }

    /// After a first zero block: a second one, then only zero padding until the end of the data.
    private func readEndOfArchive(firstZeroAt zeroOffset: UInt64) throws {
        ended = true
        guard let second = try readBlock(allowEOF: true) else { return }   // a lone zero block at EOF, as GNU tar accepts
        guard TarHeader.isZeroBlock(second) else {
            throw ArchiveError.corrupt(path, offset: zeroOffset, reason: "a single empty block in the middle of the archive")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { return }
            if let i = buffer[0..<n].firstIndex(where: { $0 != 0 }) {
                throw ArchiveError.corrupt(path, offset: offset + UInt64(i), reason: "data after the end-of-archive marker")
            }
            offset += UInt64(n)
        }
    }

    /// One 512-byte block; nil at a clean end of data when `allowEOF`.
    private func readBlock(allowEOF: Bool) throws -> [UInt8]? {
        var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
        let n = try block.withUnsafeMutableBytes { try source.readFully(into: $0) }
        if n == 0 && allowEOF { return nil }
        guard n == TarHeader.blockSize else {
            throw ArchiveError.truncated(path, detail: "a header block at byte \(offset) ends after \(n) bytes")
        }
        offset += UInt64(n)
        return block
    }

    private func skip(_ count: UInt64) throws {
        guard count > 0 else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(count, 256 * 1024)), alignment: 16)
        defer { buffer.deallocate() }
        var remaining = count
        while remaining > 0 {
            let want = Int(min(UInt64(buffer.count), remaining))
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            guard n > 0 else {
                throw ArchiveError.truncated(path, detail: "the data of \(currentName.debugDescription) ends early at byte \(offset)")
            }
            remaining -= UInt64(n)
            offset += UInt64(n)
        }
    }
}

@available(*, unavailable)
extension TarReader: Sendable {}

/// What a full read of a tar archive found (`TarReader.verify`).
public struct TarStats: Sendable, Equatable {
    /// All entries.
    public var entries = 0
    /// Regular files.
    public var files = 0
    /// Directories.
    public var directories = 0
    /// Symlinks and hard links.
    public var links = 0
    /// Total size of the regular files.
    public var fileBytes: UInt64 = 0
    /// Size of the uncompressed tar stream.
    public var tarBytes: UInt64 = 0
    /// Sizes of the gzip layer, when there is one.
    public var gzip: GzipStats?

    public init() {}
}

/// A source that returns some bytes already read, then the rest of another source.
final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private var position = 0
    private let rest: ByteSource

    init(prefix: [UInt8], rest: ByteSource) {
        self.prefix = prefix
        self.rest = rest
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if position < prefix.count {
            let n = min(buffer.count, prefix.count - position)
            buffer.copyBytes(from: prefix[position..<(position + n)])
            position += n
            return n
        }
        return try rest.read(into: buffer)
    }
}
