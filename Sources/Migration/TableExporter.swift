import Foundation
import SQLite

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
    /// The most memory the export's own buffers held at once (CSV chunk, canonical row), for tests.
    var peakBufferBytes = 0
}

/// Exports one table to a PostgreSQL-dialect CSV file (see `exportTable(_:kinds:db:rowids:maxRowErrors:sink:)`).
package func exportTable(_ table: SourceTable, kinds: [ValueKind], db: SQLite.Connection, to path: String,
                         rowids: ClosedRange<Int64>? = nil, maxRowErrors: Int = 1000) throws -> TableExport {
    let file = try BufferedFile(creating: path)
    let export = try exportTable(table, kinds: kinds, db: db, rowids: rowids, maxRowErrors: maxRowErrors) { chunk in
        try file.write(chunk)
    }
    try file.close()
    return export
}

/// Exports one table as PostgreSQL-dialect CSV handed to `sink` in chunks of about `chunkSize` bytes
/// (whole rows), profiling and hashing every value on the way.
///
/// Every non-NULL field is quoted, so an empty string (`""`) stays distinct from NULL (an empty field).
/// Values are read straight from SQLite's buffers by storage class (`Statement.columnType`), text as its raw
/// bytes (`Statement.bytes(at:)`), so NUL bytes and invalid UTF-8 are seen instead of being papered over
/// by a lossy decode; the common cases are encoded in place, the rest through `ValueCodec.transfer`, which
/// defines the rules. `onRowError` is called for every row left out.
package func exportTable(_ table: SourceTable, kinds: [ValueKind], db: SQLite.Connection,
                         rowids: ClosedRange<Int64>? = nil, maxRowErrors: Int = 1000, chunkSize: Int = 256 << 10,
                         onRowError: () -> Void = {}, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> TableExport {
    let started = Date()
    let columnCount = table.columns.count
    var export = TableExport(profiles: Array(repeating: ColumnProfile(), count: columnCount))
    let useRowid = !table.withoutRowid
    let rowidName = useRowid ? rowidAlias(for: table) : nil
    var selectList: [String] = []
    if let rowidName { selectList.append(rowidName) }
    selectList += table.columns.map { quoteIdentifier($0.name) }
    var sql = "SELECT \(selectList.joined(separator: ", ")) FROM \(quoteIdentifier(table.name))"
    // Rowid tables are read as a rowid range (in rowid order, as a full scan reads them), so that the scan can
    // be restarted after the row of a large value: SQLite keeps the buffer of a value read by a column
    // until the statement is reset, and the large values of several columns would otherwise add up.
    if let rowidName { sql += " WHERE \(rowidName) BETWEEN ? AND ?" }
    let statement = try db.prepare(sql)
    let lastRowid = rowids?.upperBound ?? Int64.max
    if rowidName != nil {
        try statement.bind(.integer(rowids?.lowerBound ?? Int64.min), at: 1)
        try statement.bind(.integer(lastRowid), at: 2)
    }
    let firstValue = Int32(rowidName == nil ? 0 : 1)
    let primaryKey = table.primaryKey.compactMap { name in table.columns.firstIndex { $0.name == name } }
    var csv = ByteBuffer(capacity: chunkSize + (64 << 10))
    var canonical = ByteBuffer(capacity: 1024)
    var scratch = ValueScratch()
    var profiles = export.profiles
    try profiles.withUnsafeMutableBufferPointer { profiles in
        try kinds.withUnsafeBufferPointer { kinds in
            while try statement.step() {
                var rowStart = csv.count
                canonical.count = 0
                var failed = false
                var streamable: Bool?
                var sawLarge = false
                for index in 0..<columnCount {
                    if index > 0 { csv.append(UInt8(ascii: ",")) }
                    let column = firstValue + Int32(index)
                    // A large TEXT or BLOB goes out in pieces (after checking that the rest of the row loads,
                    // as the row's start is sent first); a row that fails anyway takes the ordinary path.
                    let large = largeValue(statement, column, kind: kinds[index])
                    if large != nil { sawLarge = true }
                    if !failed, let value = large {
                        if streamable == nil {
                            streamable = !remainingRowFails(statement, from: index, firstValue: firstValue, kinds: kinds,
                                                            profiles: profiles, scratch: &scratch)
                        }
                        if streamable == true {
                            try streamLargeValue(value, textStorage: statement.columnType(column) == .text,
                                                 kind: kinds[index], csv: &csv, canonical: &canonical,
                                                 profile: &profiles[index], chunkSize: chunkSize, sent: &export.bytes, sink: sink)
                            rowStart = 0
                            continue
                        }
                    }
                    guard let error = encodeValue(statement, column, kind: kinds[index], csv: &csv,
                                                  canonical: &canonical, profile: &profiles[index], scratch: &scratch)
                    else { continue }
                    failed = true
                    export.rowErrorCount += 1
                    if export.rowErrors.count < maxRowErrors {
                        let rowLabel: String
                        if rowidName != nil {
                            rowLabel = "rowid \(statement.column(0).int64.map(String.init) ?? "?")"
                        } else {
                            let parts = primaryKey.map { key -> String in
                                "\(table.columns[key].name)=\(describe(rawValue(statement, firstValue + Int32(key))))"
                            }
                            rowLabel = "key (\(parts.joined(separator: ", ")))"
                        }
                        export.rowErrors.append(RowError(table: table.name, row: rowLabel, column: table.columns[index].name,
                                                         reason: error.reason))
                    }
                }
                if failed {
                    csv.count = rowStart
                    export.skipped += 1
                    onRowError()
                } else {
                    csv.append(UInt8(ascii: "\n"))
                    export.checksum.add(rowBytes: canonical.bytes)
                    export.rows += 1
                    if csv.count >= chunkSize {
                        try sink(csv.bytes)
                        export.bytes += Int64(csv.count)
                        csv.count = 0
                    }
                }
                if sawLarge, rowidName != nil {
                    // Frees SQLite's copy of the large value(s) before the next row is read.
                    let rowid = statement.int64(at: 0)
                    guard rowid < lastRowid else { break }
                    try statement.reset()
                    try statement.bind(.integer(rowid + 1), at: 1)
                }
            }
        }
    }
    if csv.count > 0 {
        try sink(csv.bytes)
        export.bytes += Int64(csv.count)
    }
    export.profiles = profiles
    export.seconds = Date().timeIntervalSince(started)
    export.peakBufferBytes = csv.capacity + canonical.capacity + scratch.field.capacity + scratch.normalized.capacity
    return export
}

/// Reusable buffers for values that take `ValueCodec.transfer`'s general path.
struct ValueScratch {
    var field: [UInt8] = []
    var normalized: [UInt8] = []
    init() {
        field.reserveCapacity(256)
        normalized.reserveCapacity(64)
    }
}

/// Encodes column `column` of the current row: the quoted CSV field into `csv`, the canonical form
/// (0 for NULL; 1, a length and the bytes otherwise) into `canonical`; returns the row error, if any.
///
/// Fast paths cover the common storage class / kind pairs and produce exactly what `ValueCodec.transfer`
/// produces (a test compares the two on every pair); everything else goes through `transfer` itself.
@inline(__always)
func encodeValue(_ row: SQLite.Statement, _ column: Int32, kind: ValueKind, csv: inout ByteBuffer,
                 canonical: inout ByteBuffer, profile: inout ColumnProfile, scratch: inout ValueScratch) -> ValueError? {
    switch row.columnType(column) {
    case .null:
        profile.nulls += 1
        canonical.append(0)
        return nil
    case .integer:
        let v = row.int64(at: column)
        switch kind {
        case .integer, .text, .date, .timestamp:
            profile.integers += 1
            csv.append(UInt8(ascii: "\""))
            let start = csv.count
            csv.appendDecimal(v)
            let length = csv.count - start
            csv.append(UInt8(ascii: "\""))
            canonical.append(1)
            canonical.appendLength(length)
            canonical.append(csv.base + start, count: length)
            return nil
        case .boolean where v == 0 || v == 1:
            profile.integers += 1
            csv.append(UInt8(ascii: "\""))
            csv.append(v == 1 ? UInt8(ascii: "t") : UInt8(ascii: "f"))
            csv.append(UInt8(ascii: "\""))
            canonical.append(1)
            canonical.appendLength(1)
            canonical.append(v == 1 ? UInt8(ascii: "t") : UInt8(ascii: "f"))
            return nil
        default:
            return encodeGeneral(.integer(v), kind: kind, csv: &csv, canonical: &canonical, profile: &profile, scratch: &scratch)
        }
    case .real:
        let d = row.double(at: column)
        if kind == .real {
            profile.reals += 1
            var text = ValueCodec.shortestReal(d)
            return text.withUTF8 { utf8 in
                csv.appendQuoted(utf8.baseAddress, count: utf8.count)
                canonical.append(1)
                canonical.appendLength(utf8.count)
                if let base = utf8.baseAddress { canonical.append(base, count: utf8.count) }
                return nil
            }
        }
        return encodeGeneral(.real(d), kind: kind, csv: &csv, canonical: &canonical, profile: &profile, scratch: &scratch)
    case .text:
        // The bytes as stored: no conversion for text.
        let raw = row.bytes(at: column)
        let pointer = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let count = raw.count
        switch kind {
        case .text, .date, .timestamp:
            profile.texts += 1
            if let pointer, count > 0, let nul = memchr(pointer, 0, count) {
                profile.nulBytes += 1
                return ValueError("text contains a NUL byte at offset \(UnsafeRawPointer(nul) - UnsafeRawPointer(pointer)) (PostgreSQL text cannot hold it)")
            }
            guard let characters = utf8ScalarCount(pointer, count) else {
                profile.invalidUTF8 += 1
                return ValueError("text is not valid UTF-8")
            }
            profile.maxCharacters = max(profile.maxCharacters, characters)
            let bytes = UnsafeRawBufferPointer(start: pointer, count: count)
            csv.appendQuoted(pointer, count: count)
            canonical.append(1)
            if kind == .timestamp {
                scratch.normalized.removeAll(keepingCapacity: true)
                if ValueCodec.normalizeTimestamp(bytes, into: &scratch.normalized) {
                    profile.temporal += 1
                    canonical.appendLength(scratch.normalized.count)
                    canonical.append(contentsOf: scratch.normalized)
                    return nil
                }
            } else if kind == .date, ValueCodec.isDate(bytes) {
                profile.temporal += 1
            }
            canonical.appendLength(count)
            if let pointer { canonical.append(pointer, count: count) }
            return nil
        case .blob:
            profile.texts += 1
            appendHexField(pointer, count: count, csv: &csv, canonical: &canonical)
            return nil
        default:
            let data = pointer.map { Data(bytes: $0, count: count) } ?? Data()
            return encodeGeneral(.text(data), kind: kind, csv: &csv, canonical: &canonical, profile: &profile, scratch: &scratch)
        }
    case .blob:
        let raw = row.bytes(at: column)
        let pointer = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let count = raw.count
        if kind == .blob {
            profile.blobs += 1
            appendHexField(pointer, count: count, csv: &csv, canonical: &canonical)
            return nil
        }
        let data = pointer.map { Data(bytes: $0, count: count) } ?? Data()
        return encodeGeneral(.blob(data), kind: kind, csv: &csv, canonical: &canonical, profile: &profile, scratch: &scratch)
    }
}

/// `"\x…"` into `csv` and its canonical form (the same text: bytea's is an identity) into `canonical`.
@inline(__always)
private func appendHexField(_ pointer: UnsafePointer<UInt8>?, count: Int, csv: inout ByteBuffer, canonical: inout ByteBuffer) {
    csv.append(UInt8(ascii: "\""))
    let start = csv.count
    csv.appendHex(pointer, count: count)
    let length = csv.count - start
    csv.append(UInt8(ascii: "\""))
    canonical.append(1)
    canonical.appendLength(length)
    canonical.append(csv.base + start, count: length)
}

/// The general path: `ValueCodec.transfer`, then quoting and the canonical form as the fast paths do.
private func encodeGeneral(_ value: SourceValue, kind: ValueKind, csv: inout ByteBuffer, canonical: inout ByteBuffer,
                           profile: inout ColumnProfile, scratch: inout ValueScratch) -> ValueError? {
    scratch.field.removeAll(keepingCapacity: true)
    scratch.normalized.removeAll(keepingCapacity: true)
    switch ValueCodec.transfer(value, kind: kind, into: &scratch.field, canonical: &scratch.normalized, profile: &profile) {
    case .success(true):
        scratch.field.withUnsafeBufferPointer { csv.appendQuoted($0.baseAddress, count: $0.count) }
        // The verification reads text over `largeValueSize` characters back as its digest.
        if kind == .text, scratch.field.count > largeValueSize,
           scratch.field.withUnsafeBufferPointer({ utf8ScalarCount($0.baseAddress, $0.count) ?? 0 }) > largeValueSize {
            scratch.field.withUnsafeBytes { appendDigest($0, to: &canonical) }
            return nil
        }
        canonical.append(1)
        let canonicalBytes = ValueCodec.sourceCanonicalIsIdentity(kind) ? scratch.field : scratch.normalized
        canonical.appendLength(canonicalBytes.count)
        canonical.append(contentsOf: canonicalBytes)
        return nil
    case .success(false):
        canonical.append(0)
        return nil
    case .failure(let error):
        return error
    }
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

/// A column of the current row with text as its bytes (as the row error labels have always shown keys).
private func rawValue(_ row: SQLite.Statement, _ column: Int32) -> SQLiteValue {
    switch row.columnType(column) {
    case .integer: return .integer(row.int64(at: column))
    case .real: return .real(row.double(at: column))
    case .null: return .null
    case .text, .blob: return .blob(Data(row.bytes(at: column)))
    }
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
