#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the end of a `COPY … FROM stdin` data block: the line that is exactly `\.`.
///
/// COPY's text format escapes every backslash in the data as `\\`, so a line starting with `\.`
/// can only be the terminator (see <https://www.postgresql.org/docs/current/sql-copy.html>).
package enum CopyDataScanner {
    /// The result of scanning complete lines.
    package struct Scan: Equatable, Sendable {
        /// The index after the last complete data line (data may be sent up to here).
        package var dataEnd: Int
        /// The index after the terminator line, when it was found.
        package var terminatorEnd: Int?
        /// Complete lines scanned, the terminator included.
        package var lines: Int
    }

    /// Scans the complete lines of `bytes[from...]`, which must start at a line start.
    package static func scan(_ bytes: UnsafeRawBufferPointer, from: Int) -> Scan {
        guard let base = bytes.baseAddress else { return Scan(dataEnd: from, terminatorEnd: nil, lines: 0) }
        let end = bytes.count
        var lineStart = from
        var lines = 0
        while lineStart < end {
            guard let found = memchr(base + lineStart, 0x0A, end - lineStart) else { break }
            let newline = base.distance(to: UnsafeRawPointer(found))
            lines += 1
            if isTerminator(bytes, lineStart, newline) {
                return Scan(dataEnd: lineStart, terminatorEnd: newline + 1, lines: lines)
            }
            lineStart = newline + 1
        }
        return Scan(dataEnd: lineStart, terminatorEnd: nil, lines: lines)
    }

    /// Whether `bytes[start..<end]` (a line without its "\n") is `\.` or `\.\r`.
    package static func isTerminator(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        let length = end - start
        guard length == 2 || (length == 3 && bytes[start + 2] == 0x0D) else { return false }
        return bytes[start] == UInt8(ascii: "\\") && bytes[start + 1] == UInt8(ascii: ".")
    }
}
