import Crypto
import Foundation
import SQLite

/// Values longer than this (bytes for BLOBs, characters for TEXT) are verified through their SHA-256 rather
/// than their bytes, and TEXT or BLOB values over this many bytes go to the CSV in pieces: apart from
/// SQLite's own copy of such a value, neither the export nor the verification holds it in memory.
let largeValueSize = 1 << 20

/// The bytes of column `column` of the current row when it is a TEXT or BLOB value of a text or blob column
/// larger than `largeValueSize` (the ones `streamLargeValue` handles), else nil.
@inline(__always)
func largeValue(_ row: SQLite.Statement, _ column: Int32, kind: ValueKind) -> UnsafeRawBufferPointer? {
    guard kind == .text || kind == .blob else { return nil }
    let type = row.columnType(column)
    guard type == .text || (type == .blob && kind == .blob) else { return nil }
    // The size alone first (the common case ends here); for UTF-8 text and blobs it converts nothing, so
    // the bytes SQLite hands out next are exactly that many.
    guard row.byteCount(at: column) > largeValueSize else { return nil }
    let bytes = row.bytes(at: column)
    return bytes.baseAddress == nil ? nil : bytes
}

/// Whether columns `from...` of the current row hold a value that cannot be migrated: checked before a
/// large value is streamed, since the start of the row is then already sent and can no longer be dropped.
func remainingRowFails(_ row: SQLite.Statement, from: Int, firstValue: Int32, kinds: UnsafeBufferPointer<ValueKind>,
                       profiles: UnsafeMutableBufferPointer<ColumnProfile>, scratch: inout ValueScratch) -> Bool {
    var csv = ByteBuffer(capacity: 256)
    var canonical = ByteBuffer(capacity: 256)
    for index in from..<kinds.count {
        let column = firstValue + Int32(index)
        if let value = largeValue(row, column, kind: kinds[index]) {
            if kinds[index] == .text, largeTextCharacters(value) == nil { return true }
            continue
        }
        var profile = profiles[index]  // a copy: the real encoding counts the value
        csv.count = 0
        canonical.count = 0
        if encodeValue(row, column, kind: kinds[index], csv: &csv, canonical: &canonical, profile: &profile, scratch: &scratch) != nil {
            return true
        }
    }
    return false
}

/// The characters of a large TEXT value, or nil when PostgreSQL text cannot hold it (NUL, invalid UTF-8).
private func largeTextCharacters(_ value: UnsafeRawBufferPointer) -> Int? {
    let base = value.baseAddress!.assumingMemoryBound(to: UInt8.self)
    guard memchr(base, 0, value.count) == nil else { return nil }
    return utf8ScalarCount(base, value.count)
}

/// Streams one large value of a row that is known to load: what `csv` holds so far goes to `sink`, then the
/// quoted field in pieces of about `chunkSize` bytes; its canonical form is the SHA-256 (hex) of its bytes
/// when it is large by the verification's measure, else its bytes as usual.
func streamLargeValue(_ value: UnsafeRawBufferPointer, textStorage: Bool, kind: ValueKind, csv: inout ByteBuffer,
                      canonical: inout ByteBuffer, profile: inout ColumnProfile, chunkSize: Int, sent: inout Int64,
                      sink: (UnsafeRawBufferPointer) throws -> Void) throws {
    func flush(_ csv: inout ByteBuffer) throws {
        try sink(csv.bytes)
        sent += Int64(csv.count)
        csv.count = 0
    }
    let base = value.baseAddress!.assumingMemoryBound(to: UInt8.self)
    let count = value.count
    let piece = max(1, chunkSize / 2)
    csv.append(UInt8(ascii: "\""))
    let digested: Bool
    if kind == .blob {
        if textStorage { profile.texts += 1 } else { profile.blobs += 1 }
        csv.append(UInt8(ascii: "\\"))
        csv.append(UInt8(ascii: "x"))
        var offset = 0
        while offset < count {
            try flush(&csv)
            let n = min(piece, count - offset)
            csv.appendHexDigits(base + offset, count: n)
            offset += n
        }
        digested = true
    } else {
        profile.texts += 1
        let characters = largeTextCharacters(value) ?? 0
        profile.maxCharacters = max(profile.maxCharacters, characters)
        var offset = 0
        while offset < count {
            try flush(&csv)
            let n = min(piece, count - offset)
            csv.appendDoublingQuotes(base + offset, count: n)
            offset += n
        }
        digested = characters > largeValueSize
    }
    csv.append(UInt8(ascii: "\""))
    if digested {
        appendDigest(value, to: &canonical)
    } else {
        canonical.append(1)
        canonical.appendLength(count)
        canonical.append(base, count: count)
    }
}

/// The canonical form of a value verified by digest: 2, the length 64, the lowercase hex SHA-256 of its bytes
/// (what PostgreSQL's `encode(sha256(…), 'hex')` prints).
func appendDigest(_ bytes: UnsafeRawBufferPointer, to canonical: inout ByteBuffer) {
    var hasher = SHA256()
    hasher.update(bufferPointer: bytes)
    let digest = Array(hasher.finalize())
    canonical.append(2)
    canonical.appendLength(64)
    let hex = Array("0123456789abcdef".utf8)
    for byte in digest {
        canonical.append(hex[Int(byte >> 4)])
        canonical.append(hex[Int(byte & 0xF)])
    }
}
