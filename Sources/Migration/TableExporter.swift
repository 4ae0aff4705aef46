import Foundation
import SQLite

/// An order-independent checksum over rows: the sum of a 128-bit hash of each row, plus a count.
///
/// Summing per-row hashes makes the result independent of row order (PostgreSQL returns rows in any order
/// without an expensive sort) while still counting duplicates, which an XOR would cancel. The row hash is
/// two independently seeded 64-bit multiply-xorshift lanes with a murmur3 finalizer: it detects accidental
/// change (a lost row, a rounded float, a truncated string) with probability 1 - 2^-128; it is not meant to
/// resist deliberate forgery, and a row hash 20× cheaper than SHA-256 keeps verification within budget.
public struct RowChecksum: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Rows hashed.
    public var rows: Int64 = 0
    var lane0: UInt64 = 0
    var lane1: UInt64 = 0

    /// An empty checksum.
    public init() {}

    /// Adds one row given as its canonical bytes.
    mutating func add(rowBytes: [UInt8]) {
        let (a, b) = rowBytes.withUnsafeBytes { Self.hash128($0) }
        lane0 &+= a
        lane1 &+= b
        rows += 1
    }

    @inline(__always)
    static func fmix(_ k: UInt64) -> UInt64 {
        var k = k
        k ^= k >> 33
        k &*= 0xff51afd7ed558ccd
        k ^= k >> 33
        k &*= 0xc4ceb9fe1a85ec53
        k ^= k >> 33
        return k
    }

    static func hash128(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        var h0: UInt64 = 0x9E3779B97F4A7C15 ^ UInt64(bytes.count)
        var h1: UInt64 = 0xC2B2AE3D27D4EB4F &+ UInt64(bytes.count)
        var i = 0
        let count = bytes.count
        while i + 8 <= count {
            let k = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h0 = (h0 ^ fmix(k &+ 0x165667B19E3779F9)) &* 0x100000001B3 &+ 0x27D4EB2F165667C5
            h1 = ((h1 ^ k) &* 0x87C37B91114253D5).rotateLeft(31) &+ h0
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h0 = fmix(h0 ^ fmix(tail ^ 0x94D049BB133111EB))
        h1 = fmix(h1 ^ (tail &* 0x4CF5AD432745937F) ^ h0.rotateLeft(17))
        return (h0, h1)
    }

    /// Hex form for reports.
    public var description: String { String(format: "%016llx%016llx", lane0, lane1) }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotateLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}

/// A row that could not be migrated, with everything needed to find and fix it in SQLite.
public struct RowError: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The SQLite table.
    public var table: String
    /// Which row: `rowid 42`, or the primary key of a WITHOUT ROWID table.
    public var row: String
    /// The column.
    public var column: String
    /// Why the value cannot be loaded.
    public var reason: String

    public var description: String { "\(table) \(row) column \(column): \(reason)" }
}

/// What exporting one table found.
package struct TableExport: Sendable {
    /// Rows written to the CSV.
    var rows: Int64 = 0
    /// Rows left out because of row errors.
    var skipped: Int64 = 0
    /// CSV bytes written.
    var bytes: Int64 = 0
    /// One profile per column.
    var profiles: [ColumnProfile]
    /// Checksum over the canonical form of every written row.
    var checksum = RowChecksum()
    /// Row errors (the first `maxRowErrors` only; `rowErrorCount` counts them all).
    var rowErrors: [RowError] = []
    var rowErrorCount: Int64 = 0
    /// Seconds spent.
    var seconds: Double = 0
}

/// Writes bytes to a file through a large buffer (`FILE*`), owning the handle.
final class BufferedFile {
    private let file: UnsafeMutablePointer<FILE>
    let path: String
    private var buffer: [UInt8] = []
    private(set) var written: Int64 = 0

    init(creating path: String) throws {
        guard let file = fopen(path, "wx") else {
            throw MigrationError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        fchmod(fileno(file), 0o600)
        self.file = file
        self.path = path
        buffer.reserveCapacity(1 << 20)
    }

    deinit { fclose(file) }

    func append(_ byte: UInt8) { buffer.append(byte) }
    func append(contentsOf bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    func flushIfFull() throws {
        if buffer.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        let count = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard count == buffer.count else {
            throw MigrationError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        written += Int64(count)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        guard fflush(file) == 0 else { throw MigrationError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}

@available(*, unavailable)
extension BufferedFile: Sendable {}

/// Exports one table to a PostgreSQL-dialect CSV file, profiling and hashing every value on the way.
///
/// Every non-NULL field is quoted, so an empty string (`""`) stays distinct from NULL (an empty field).
/// Text is read as raw bytes (`CAST(… AS BLOB)` with a per-row storage-class mask) so NUL bytes and invalid
/// UTF-8 are seen instead of being papered over by a lossy decode.
package func exportTable(_ table: SourceTable, kinds: [ValueKind], db: SQLite.Connection, to path: String,
                         rowids: ClosedRange<Int64>? = nil, maxRowErrors: Int = 1000) throws -> TableExport {
    let started = Date()
    let columnCount = table.columns.count
    var export = TableExport(profiles: Array(repeating: ColumnProfile(), count: columnCount))
    let useRowid = !table.withoutRowid
    let rowidName = useRowid ? rowidAlias(for: table) : nil
    var selectList: [String] = []
    if let rowidName { selectList.append(rowidName) }
    let maskCount = (columnCount + 61) / 62
    for m in 0..<maskCount {
        let terms = (m * 62..<min(columnCount, (m + 1) * 62)).map {
            "((typeof(\(quoteIdentifier(table.columns[$0].name))) = 'text') << \($0 - m * 62))"
        }
        selectList.append(terms.isEmpty ? "0" : terms.joined(separator: " | "))
    }
    for column in table.columns {
        let name = quoteIdentifier(column.name)
        selectList.append("CASE WHEN typeof(\(name)) = 'text' THEN CAST(\(name) AS BLOB) ELSE \(name) END")
    }
    var sql = "SELECT \(selectList.joined(separator: ", ")) FROM \(quoteIdentifier(table.name))"
    if rowids != nil, let rowidName { sql += " WHERE \(rowidName) BETWEEN ? AND ?" }
    let statement = try db.prepare(sql)
    if let rowids, rowidName != nil {
        try statement.bind(.integer(rowids.lowerBound), at: 1)
        try statement.bind(.integer(rowids.upperBound), at: 2)
    }
    let firstValue = Int32((rowidName == nil ? 0 : 1) + maskCount)
    let primaryKey = table.primaryKey.compactMap { name in table.columns.firstIndex { $0.name == name } }
    let file = try BufferedFile(creating: path)
    var field: [UInt8] = []
    var canonical: [UInt8] = []
    var rowCSV: [UInt8] = []
    var normalized: [UInt8] = []
    normalized.reserveCapacity(64)
    field.reserveCapacity(256)
    canonical.reserveCapacity(1024)
    rowCSV.reserveCapacity(1024)
    var masks = [Int64](repeating: 0, count: maskCount)
    while try statement.step() {
        for m in 0..<maskCount {
            masks[m] = statement.column(Int32((rowidName == nil ? 0 : 1) + m)).int64 ?? 0
        }
        rowCSV.removeAll(keepingCapacity: true)
        canonical.removeAll(keepingCapacity: true)
        var failed = false
        for index in 0..<columnCount {
            let raw = statement.column(firstValue + Int32(index))
            let isText = (masks[index / 62] >> (index % 62)) & 1 == 1
            let value: SourceValue
            switch raw {
            case .null: value = .null
            case .integer(let v): value = .integer(v)
            case .real(let d): value = .real(d)
            case .text(let s): value = .text(Data(s.utf8))
            case .blob(let b): value = isText ? .text(b) : .blob(b)
            }
            field.removeAll(keepingCapacity: true)
            normalized.removeAll(keepingCapacity: true)
            if index > 0 { rowCSV.append(UInt8(ascii: ",")) }
            switch ValueCodec.transfer(value, kind: kinds[index], into: &field, canonical: &normalized,
                                       profile: &export.profiles[index]) {
            case .success(true):
                rowCSV.append(UInt8(ascii: "\""))
                for byte in field {
                    if byte == UInt8(ascii: "\"") { rowCSV.append(byte) }
                    rowCSV.append(byte)
                }
                rowCSV.append(UInt8(ascii: "\""))
                canonical.append(1)
                if ValueCodec.sourceCanonicalIsIdentity(kinds[index]) {
                    appendLength(field.count, to: &canonical)
                    canonical.append(contentsOf: field)
                } else {
                    appendLength(normalized.count, to: &canonical)
                    canonical.append(contentsOf: normalized)
                }
            case .success(false):
                canonical.append(0)
            case .failure(let error):
                failed = true
                export.rowErrorCount += 1
                if export.rowErrors.count < maxRowErrors {
                    let rowLabel: String
                    if rowidName != nil {
                        rowLabel = "rowid \(statement.column(0).int64.map(String.init) ?? "?")"
                    } else {
                        let parts = primaryKey.map { key -> String in
                            "\(table.columns[key].name)=\(describe(statement.column(firstValue + Int32(key))))"
                        }
                        rowLabel = "key (\(parts.joined(separator: ", ")))"
                    }
                    export.rowErrors.append(RowError(table: table.name, row: rowLabel, column: table.columns[index].name,
                                                     reason: error.reason))
                }
            }
        }
        if failed {
            export.skipped += 1
            continue
        }
        rowCSV.append(UInt8(ascii: "\n"))
        file.append(contentsOf: rowCSV)
        export.checksum.add(rowBytes: canonical)
        export.rows += 1
        try file.flushIfFull()
    }
    try file.close()
    export.bytes = file.written
    export.seconds = Date().timeIntervalSince(started)
    return export
}

extension TableExport {
    /// Combines the exports of consecutive rowid ranges of one table (in range order).
    package static func merge(_ parts: [TableExport], maxRowErrors: Int = 1000) -> TableExport {
        var merged = TableExport(profiles: parts.first?.profiles.map { _ in ColumnProfile() } ?? [])
        for part in parts {
            merged.rows += part.rows
            merged.skipped += part.skipped
            merged.bytes += part.bytes
            merged.checksum.rows += part.checksum.rows
            merged.checksum.lane0 &+= part.checksum.lane0
            merged.checksum.lane1 &+= part.checksum.lane1
            merged.rowErrors += part.rowErrors.prefix(max(0, maxRowErrors - merged.rowErrors.count))
            merged.rowErrorCount += part.rowErrorCount
            merged.seconds = max(merged.seconds, part.seconds)
            for i in merged.profiles.indices where i < part.profiles.count {
                let p = part.profiles[i]
                merged.profiles[i].integers += p.integers
                merged.profiles[i].reals += p.reals
                merged.profiles[i].texts += p.texts
                merged.profiles[i].blobs += p.blobs
                merged.profiles[i].nulls += p.nulls
                merged.profiles[i].nulBytes += p.nulBytes
                merged.profiles[i].invalidUTF8 += p.invalidUTF8
                merged.profiles[i].outOfRange += p.outOfRange
                merged.profiles[i].temporal += p.temporal
                merged.profiles[i].maxCharacters = max(merged.profiles[i].maxCharacters, p.maxCharacters)
            }
        }
        return merged
    }
}

/// Appends a 4-byte big-endian length, so that field boundaries are part of the hashed bytes.
@inline(__always)
func appendLength(_ count: Int, to out: inout [UInt8]) {
    out.append(UInt8(truncatingIfNeeded: count >> 24))
    out.append(UInt8(truncatingIfNeeded: count >> 16))
    out.append(UInt8(truncatingIfNeeded: count >> 8))
    out.append(UInt8(truncatingIfNeeded: count))
}

/// A name that reaches the rowid of `table` and is not shadowed by a column, or nil when all three are.
func rowidAlias(for table: SourceTable) -> String? {
    let names = Set(table.columns.map { $0.name.lowercased() })
    return ["rowid", "_rowid_", "oid"].first { !names.contains($0) }
        ?? table.rowidAlias.map(quoteIdentifier)
}

private func describe(_ value: SQLiteValue) -> String {
    switch value {
    case .null: "NULL"
    case .integer(let v): String(v)
    case .real(let d): ValueCodec.shortestReal(d)
    case .text(let s): "'\(s)'"
    case .blob(let b): b.count <= 32 ? "X'" + b.map { String(format: "%02X", $0) }.joined() + "'" : "blob(\(b.count) bytes)"
    }
}
