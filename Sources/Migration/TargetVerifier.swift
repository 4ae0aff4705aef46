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
func targetChecksumMeasured(_ table: TablePlan, connection pg: LibPQ.Connection) throws -> (checksum: RowChecksum, largestRow: Int) {
    var largestRow = 0
    let columns = table.columns.map { pgIdentifier($0.source.name) }.joined(separator: ", ")
    let kinds = table.columns.map(\.mapping.kind)
    let identity = kinds.map(ValueCodec.canonicalIsIdentity)
    var checksum = RowChecksum()
    var canonical = ByteBuffer(capacity: 1024)
    var field = ByteBuffer(capacity: 256)
    var normalized: [UInt8] = []
    normalized.reserveCapacity(64)
    var parseError: MigrationError?
    try pg.copyOut("COPY (SELECT \(columns) FROM \(table.target)) TO STDOUT") { chunk in
        // One chunk is one row. Text COPY format: tab-separated fields, \N for NULL, backslash escapes, a
        // newline at the end.
        largestRow = max(largestRow, chunk.count)
        guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        canonical.count = 0
        var column = 0
        var i = 0
        let count = chunk.count
        while column < kinds.count {
            if i + 1 < count, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "N"),
               i + 2 >= count || base[i + 2] == 9 || base[i + 2] == 10 {
                i += 2
                canonical.append(0)
            } else {
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
                var start = base + i
                var length = end - i
                if escaped {
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
                    start = UnsafePointer(field.base)
                    length = field.count
                } else {
                    i = end
                }
                canonical.append(1)
                if identity[column] {
                    canonical.appendLength(length)
                    canonical.append(start, count: length)
                } else {
                    normalized.removeAll(keepingCapacity: true)
                    ValueCodec.canonicalize(kinds[column], UnsafeRawBufferPointer(start: start, count: length), into: &normalized)
                    canonical.appendLength(normalized.count)
                    canonical.append(contentsOf: normalized)
                }
            }
            column += 1
            if column < kinds.count {
                guard i < count, base[i] == 9 else {
                    parseError = MigrationError(.target, "\(table.source.name): a row read back has \(column) fields, expected \(kinds.count)")
                    return
                }
                i += 1
            }
        }
        checksum.add(rowBytes: canonical.bytes)
    }
    if let parseError { throw parseError }
    return (checksum, largestRow)
}
