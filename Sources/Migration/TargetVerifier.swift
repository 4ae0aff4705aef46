import Foundation
import LibPQ

/// Reads a loaded table back with `COPY (SELECT …) TO STDOUT` and computes the same checksum the export did.
///
/// The session must use `extra_float_digits = 1`, `bytea_output = 'hex'` and `DateStyle = 'ISO, YMD'`, so that
/// PostgreSQL prints values in the forms `ValueCodec.canonicalize` expects.
func targetChecksum(_ table: TablePlan, connection pg: LibPQ.Connection) throws -> RowChecksum {
    let columns = table.columns.map { pgIdentifier($0.source.name) }.joined(separator: ", ")
    let kinds = table.columns.map(\.mapping.kind)
    let identity = kinds.map(ValueCodec.canonicalIsIdentity)
    var checksum = RowChecksum()
    var canonical: [UInt8] = []
    var field: [UInt8] = []
    var normalized: [UInt8] = []
    canonical.reserveCapacity(1024)
    field.reserveCapacity(256)
    var parseError: MigrationError?
    try pg.copyOut("COPY (SELECT \(columns) FROM \(table.target)) TO STDOUT") { chunk in
        canonical.removeAll(keepingCapacity: true)
        var column = 0
        var i = 0
        let count = chunk.count
        // Text COPY format: tab-separated fields, \N for NULL, backslash escapes, a newline at the end.
        while column < kinds.count {
            field.removeAll(keepingCapacity: true)
            var isNull = false
            if i + 1 < count, chunk[i] == UInt8(ascii: "\\"), chunk[i + 1] == UInt8(ascii: "N"),
               i + 2 >= count || chunk[i + 2] == 9 || chunk[i + 2] == 10 {
                isNull = true
                i += 2
            } else {
                while i < count, chunk[i] != 9, chunk[i] != 10 {
                    var byte = chunk[i]
                    if byte == UInt8(ascii: "\\"), i + 1 < count {
                        i += 1
                        switch chunk[i] {
                        case UInt8(ascii: "b"): byte = 8
                        case UInt8(ascii: "f"): byte = 12
                        case UInt8(ascii: "n"): byte = 10
                        case UInt8(ascii: "r"): byte = 13
                        case UInt8(ascii: "t"): byte = 9
                        case UInt8(ascii: "v"): byte = 11
                        default: byte = chunk[i]
                        }
                    }
                    field.append(byte)
                    i += 1
                }
            }
            if isNull {
                canonical.append(0)
            } else {
                canonical.append(1)
                if identity[column] {
                    appendLength(field.count, to: &canonical)
                    canonical.append(contentsOf: field)
                } else {
                    normalized.removeAll(keepingCapacity: true)
                    field.withUnsafeBytes { ValueCodec.canonicalize(kinds[column], $0, into: &normalized) }
                    appendLength(normalized.count, to: &canonical)
                    canonical.append(contentsOf: normalized)
                }
            }
            column += 1
            if column < kinds.count {
                guard i < count, chunk[i] == 9 else {
                    parseError = MigrationError(.target, "\(table.source.name): a row read back has \(column) fields, expected \(kinds.count)")
                    return
                }
                i += 1
            }
        }
        checksum.add(rowBytes: canonical)
    }
    if let parseError { throw parseError }
    return checksum
}
