import Foundation
import LibPQ

/// Reads a loaded table back with `COPY (SELECT …) TO STDOUT` and computes the same checksum the export did.
///
/// The session must use `extra_float_digits = 1`, `bytea_output = 'hex'` and `DateStyle = 'ISO, YMD'`, so that
/// PostgreSQL prints values in the forms `ValueCodec.canonicalize` expects.
func targetChecksum(_ table: TablePlan, connection pg: LibPQ.Connection) throws -> RowChecksum {
    try targetChecksumMeasured(table, connection: pg).checksum
}

/// `targetChecksum`, and the largest row COPY handed over (the most the client held at once), for tests.
///
/// TEXT and BLOB values over `largeValueSize` characters or bytes come back as their SHA-256, computed by
/// the server, as the export hashed them: a 400 MB value is never sent back in one COPY row (libpq would
/// hold it twice, as hex).
func targetChecksumMeasured(_ table: TablePlan, connection pg: LibPQ.Connection) throws -> (checksum: RowChecksum, largestRow: Int) {
    var select: [String] = []
    var digested: [Bool] = []
    for column in table.columns {
        let name = pgIdentifier(column.source.name)
        switch column.mapping.kind {
        case .text:
            let large = "length(\(name)) > \(largeValueSize)"
            select.append("CASE WHEN \(large) THEN NULL ELSE \(name) END")
            select.append("CASE WHEN \(large) THEN encode(sha256(convert_to(\(name), 'UTF8')), 'hex') END")
            digested.append(true)
        case .blob:
            let large = "octet_length(\(name)) > \(largeValueSize)"
            select.append("CASE WHEN \(large) THEN NULL ELSE \(name) END")
            select.append("CASE WHEN \(large) THEN encode(sha256(\(name)), 'hex') END")
            digested.append(true)
        default:
            select.append(name)
            digested.append(false)
        }
    }
    let kinds = table.columns.map(\.mapping.kind)
    let identity = kinds.map(ValueCodec.canonicalIsIdentity)
    var checksum = RowChecksum()
    var largestRow = 0
    var canonical = ByteBuffer(capacity: 1024)
    var field = ByteBuffer(capacity: 256)
    var normalized: [UInt8] = []
    normalized.reserveCapacity(64)
    var parseError: MigrationError?
    try pg.copyOut("COPY (SELECT \(select.joined(separator: ", ")) FROM \(table.target)) TO STDOUT") { chunk in
        // One chunk is one row. Text COPY format: tab-separated fields, \N for NULL, backslash escapes, a
        // newline at the end.
        largestRow = max(largestRow, chunk.count)
        guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        canonical.count = 0
        var i = 0
        let count = chunk.count
        var fields = 0
        let expected = select.count
        /// The next field: nil for NULL, else its bytes (in place, or decoded into `field`).
        func nextField(_ field: inout ByteBuffer) -> UnsafeRawBufferPointer?? {
            if fields > 0 {
                guard i < count, base[i] == 9 else { return .none }
                i += 1
            }
            fields += 1
            if i + 1 < count, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "N"),
               i + 2 >= count || base[i + 2] == 9 || base[i + 2] == 10 {
                i += 2
                return .some(nil)
            }
            // Most fields have no escape: use them in place; the rest are decoded into `field`.
            var end = i
            var escaped = false
            while end < count {
                let byte = base[end]
                if byte == 9 || byte == 10 { break }
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    break
                }
                end += 1
            }
            guard escaped else {
                defer { i = end }
                return .some(UnsafeRawBufferPointer(start: base + i, count: end - i))
            }
            field.count = 0
            while i < count, base[i] != 9, base[i] != 10 {
                var byte = base[i]
                if byte == UInt8(ascii: "\\"), i + 1 < count {
                    i += 1
                    switch base[i] {
                    case UInt8(ascii: "b"): byte = 8
                    case UInt8(ascii: "f"): byte = 12
                    case UInt8(ascii: "n"): byte = 10
                    case UInt8(ascii: "r"): byte = 13
                    case UInt8(ascii: "t"): byte = 9
                    case UInt8(ascii: "v"): byte = 11
                    default: byte = base[i]
                    }
                }
                field.append(byte)
                i += 1
            }
            return .some(UnsafeRawBufferPointer(start: field.base, count: field.count))
        }
        for column in 0..<kinds.count {
            guard let value = nextField(&field) else { break }
            if digested[column] {
                guard let digest = nextField(&field) else { break }
                if let digest {
                    canonical.append(2)
                    canonical.appendLength(digest.count)
                    canonical.append(digest)
                    continue
                }
            }
            guard let value else {
                canonical.append(0)
                continue
            }
            canonical.append(1)
            if identity[column] {
                canonical.appendLength(value.count)
                canonical.append(value)
            } else {
                normalized.removeAll(keepingCapacity: true)
                ValueCodec.canonicalize(kinds[column], value, into: &normalized)
                canonical.appendLength(normalized.count)
                canonical.append(contentsOf: normalized)
            }
        }
        guard fields == expected else {
            parseError = MigrationError(.target, "\(table.source.name): a row read back has \(fields) fields, expected \(expected)")
            return
        }
        checksum.add(rowBytes: canonical.bytes)
    }
    if let parseError { throw parseError }
    return (checksum, largestRow)
}
